import os
import zlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

from coreopt.cli.main import TF_NOISE, stderr_without  # noqa: E402  (imports no TensorFlow)

with stderr_without(TF_NOISE):  # the C++ lines TensorFlow prints as it loads, once per worker
    import tensorflow  # noqa: E402, F401


def pytest_addoption(parser):
    parser.addoption("--shard", default=None, metavar="I/N",
                     help="run the I-th of N shards (0 <= I < N) of the collected tests, each "
                          "test's shard fixed by a hash of its id (the slow tier runs in shards: "
                          "see the Makefile)")


SHARD = pytest.StashKey()


def pytest_configure(config):
    shard = config.getoption("--shard")  # a bad value stops the run before collection
    config.stash[SHARD] = None if shard is None else _parse_shard(shard)


def pytest_collection_modifyitems(config, items):
    if config.stash[SHARD] is None:
        return
    index, count = config.stash[SHARD]
    keep, drop = [], []
    for item in items:
        (keep if zlib.crc32(item.nodeid.encode()) % count == index else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


def _parse_shard(text):
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--shard takes I/N, two integers; received {text!r}") from None
    if not 0 <= index < count:
        raise pytest.UsageError(f"--shard {text}: I must be in [0, N); received I={index}, "
                                f"N={count}")
    return index, count
