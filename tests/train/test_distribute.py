"""coreopt optimizers under tf.distribute; the oracle is the same training on one device.

The distributed runs happen in subprocesses (`worker.py`): two logical CPU
devices must be set before TensorFlow starts, and MultiWorkerMirroredStrategy
needs one process per worker.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.train import distribute
from tests.train import worker

WORKER = str(Path(__file__).with_name("worker.py"))
ROOT = str(Path(__file__).resolve().parents[2])
TIMEOUT_S = 240


@pytest.fixture(scope="module")
def single_device():
    """The oracle: the same training, one device, no strategy."""
    weights, steps, _ = worker.train(None)
    initial = [v.numpy() for v in worker.model.MLP(worker.SIZES, seed=0).trainable_variables]
    return weights, steps, initial


def _env(tf_config=None):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


def _spawn(args, tf_config=None):
    return subprocess.Popen([sys.executable, WORKER, *args], env=_env(tf_config), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process, timeout=TIMEOUT_S):
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"worker did not finish within {timeout} s:\n{err[-3000:]}")
    return process.returncode, err


def _load(path):
    with np.load(path) as f:
        weights = [f[f"arr_{i}"] for i in range(len(f.files) - 3)]
        return weights, int(f["steps"]), int(f["replicas"]), bool(f["copies_equal"])


def _assert_matches_oracle(weights, oracle):
    expected, _, initial = oracle
    for got, want, start in zip(weights, expected, initial, strict=True):
        # Training moved the weights far more than the tolerance allows ...
        assert np.max(np.abs(want - start)) > 1e-2
        # ... and only the order of the gradient sums differs from one device.
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_mirrored_two_cpus_equals_one_device(tmp_path, single_device):
    out = tmp_path / "mirrored.npz"
    code, err = _finish(_spawn(["mirrored", str(out)]))
    assert code == 0, err[-3000:]
    weights, steps, replicas, copies_equal = _load(out)
    assert replicas == 2 and copies_equal
    assert steps == single_device[1]
    _assert_matches_oracle(weights, single_device)


@pytest.mark.slow  # 11-22 s; test_mirrored_two_cpus_equals_one_device stays in the default run
def test_sam_chain_on_two_cpus_equals_one_device(tmp_path):
    """The Trainer steps SAM by `minimize` in `strategy.run`: both gradients are global."""
    out = tmp_path / "sam.npz"
    code, err = _finish(_spawn(["mirrored-sam", str(out)]))
    assert code == 0, err[-3000:]
    weights, steps, replicas, copies_equal = _load(out)
    expected, expected_steps, _ = worker.train(None, worker.SAM_CHAIN, None)
    assert replicas == 2 and copies_equal and steps == expected_steps == 46
    initial = [v.numpy() for v in worker.model.MLP(worker.SIZES, seed=0).trainable_variables]
    _assert_matches_oracle(weights, (expected, expected_steps, initial))


@pytest.mark.slow  # 10-19 s
def test_keras_adapter_in_fit_under_mirrored_equals_one_device(tmp_path):
    out = tmp_path / "keras.npz"
    code, err = _finish(_spawn(["keras-mirrored", str(out)]))
    assert code == 0, err[-3000:]
    weights, steps, _, _ = _load(out)
    expected, expected_steps = worker.keras_fit(None)
    assert steps == expected_steps == 46
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # 11-22 s: two worker processes
def test_multiworker_two_processes_equal_one_process(tmp_path, single_device):
    cluster = {"worker": [f"localhost:{p}" for p in _free_ports(2)]}
    processes = [
        _spawn(["multiworker", str(tmp_path / f"w{i}.npz"), "120"],
               {"cluster": cluster, "task": {"type": "worker", "index": i}})
        for i in range(2)
    ]
    for process in processes:
        code, err = _finish(process)
        assert code == 0, err[-3000:]
    (w0, steps0, replicas, _), (w1, steps1, _, _) = (_load(tmp_path / f"w{i}.npz")
                                                      for i in range(2))
    assert replicas == 2 and steps0 == steps1 == single_device[1]
    for a, b in zip(w0, w1, strict=True):
        np.testing.assert_array_equal(a, b)
    _assert_matches_oracle(w0, single_device)


@pytest.mark.slow  # a fresh process that waits out its timeout
def test_worker_without_peer_times_out_with_a_message(tmp_path):
    cluster = {"worker": [f"localhost:{p}" for p in _free_ports(2)]}
    out = tmp_path / "lonely.npz"
    process = _spawn(["multiworker", str(out), "3"],
                     {"cluster": cluster, "task": {"type": "worker", "index": 0}})
    code, err = _finish(process, timeout=120)
    assert code != 0
    assert "could not" in err or "do not answer within 3 s" in err
    assert "Timeout" in err
    assert not out.exists()


def test_apply_gradients_inside_run_matches_plain_call():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        x = tf.Variable([1.0, -2.0, 3.0])
        opt = coreopt.Adam(learning_rate=0.1)
        opt.build([x])
    y = tf.Variable([1.0, -2.0, 3.0])
    plain = coreopt.Adam(learning_rate=0.1)

    @tf.function
    def step(g):
        strategy.run(lambda: opt.apply_gradients([x * 0 + g], [x]))

    for g in ([0.5, 1.0, -1.0], [0.1, -0.3, 2.0]):
        step(tf.constant(g))
        plain.apply_gradients([tf.constant(g)], [y])
    np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6)
    assert int(opt.iterations.numpy()) == 2


def test_apply_gradients_needs_a_built_optimizer():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        x = tf.Variable([1.0])
    opt = coreopt.GradientDescent(learning_rate=0.1)
    with pytest.raises(ValueError, match="build"):
        strategy.run(lambda: opt.apply_gradients([tf.ones([1])], [x]))
    np.testing.assert_array_equal(x.numpy(), [1.0])


def test_make_strategy_rejects_bad_input():
    with pytest.raises(ValueError, match="Unknown strategy 'ring'"):
        distribute.make_strategy("ring")
    with pytest.raises(ValueError, match="timeout_s"):
        distribute.make_strategy("multiworker", timeout_s=0)
    assert distribute.make_strategy("none") is None
