"""The Ray backend's bad input, without Ray: fast, in the default tier.

No Ray here (`import_ray` is replaced, or made to fail); the runs on a real cluster are in
test_bench_ray.py (`make test-ray`).
"""

from __future__ import annotations

import socket
import sys
import time
import types

import pytest

from coreopt.train import bench, ray_backend
from coreopt.train.ray_backend import Ray, RayUnavailable

SMALL = dict(budget=2, seeds=1, epochs=1)


@pytest.fixture
def fake_ray(monkeypatch):
    """A stand-in for the `ray` module: enough for `check`, and a `get` that times out."""
    class GetTimeoutError(Exception):
        pass

    fake = types.SimpleNamespace(exceptions=types.SimpleNamespace(GetTimeoutError=GetTimeoutError),
                                 cancelled=[], is_initialized=lambda: True)
    fake.remote = lambda **_: lambda task: types.SimpleNamespace(
        remote=lambda fn, job: job["optimizer"])  # a job's "object ref": its optimizer

    def get(ref, timeout):
        if ref == "slow":
            raise GetTimeoutError
        return [{"optimizer": ref}]

    fake.get, fake.cancel = get, lambda ref, force: fake.cancelled.append(ref)
    monkeypatch.setattr(ray_backend, "import_ray", lambda: fake)
    return fake


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_cluster_at_the_address_fails_fast_naming_it(fake_ray, tmp_path):
    address = f"127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(RayUnavailable, match=f"'{address}'.*ray start --head --port=6379"):
        bench.run(["wine-logreg"], ["adam"], out=tmp_path, backend=Ray(address), **SMALL)
    assert time.monotonic() - start < 10
    assert not (tmp_path / "results.jsonl").exists()  # refused before anything is written


def test_a_port_that_is_not_a_ray_head_fails_fast(fake_ray, tmp_path):
    with socket.socket() as server:  # listens (the kernel accepts) but never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(RayUnavailable, match=f"'{address}' answers, but not as a Ray"):
            bench.run(["wine-logreg"], ["adam"], out=tmp_path,
                      backend=Ray(address, connect_timeout=1), **SMALL)
        assert time.monotonic() - start < 10
    assert not (tmp_path / "results.jsonl").exists()


def test_ray_missing_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(RayUnavailable, match=r"Ray is not installed: pip install 'coreopt\[ray\]'"):
        bench.run(["wine-logreg"], ["adam"], out=tmp_path, backend=Ray("127.0.0.1:6379"),
                  **SMALL)
    assert not (tmp_path / "results.jsonl").exists()


def test_a_job_past_the_timeout_cancels_the_rest_and_names_itself(fake_ray):
    jobs = [{"problem": "p", "optimizer": name} for name in ("adam", "slow", "gd")]
    results = Ray("127.0.0.1:6379", timeout=5).map(None, jobs)
    assert next(results) == [{"optimizer": "adam"}]  # handed back before the wait that fails
    with pytest.raises(TimeoutError, match=r"\(p, slow\) did not finish in 5 s"):
        next(results)
    assert fake_ray.cancelled == ["slow", "gd"]


@pytest.mark.parametrize("kwargs, message", [
    ({"address": "localhost"}, "HOST:PORT"), ({"address": "host:99999"}, "HOST:PORT"),
    ({"address": 6379}, "HOST:PORT"), ({"address": "h:1", "timeout": 0}, "`timeout`"),
])
def test_bad_settings_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Ray(**kwargs)


def test_an_unknown_backend_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown backend 'spark'"):
        bench.run(["wine-logreg"], ["adam"], out=tmp_path, backend="spark", **SMALL)
    assert not (tmp_path / "results.jsonl").exists()
