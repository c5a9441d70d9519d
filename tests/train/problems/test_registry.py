"""Every registered problem: NumPy oracles, seeded init, data, vectorized_map and XLA."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from coreopt.train import problems
from tests.train.problems import reference

NAMES = problems.names()
MEMBERS = 3
BATCH = 16


@pytest.fixture(scope="module", params=NAMES)
def problem(request):
    return problems.get(request.param)


def perturbed(problem, seed):
    """The seed's init plus N(0, 0.05^2) noise, so biases are not all zero."""
    rng = np.random.default_rng(seed)
    return [tf.constant(p.numpy() + 0.05 * rng.normal(size=p.shape), tf.float32)
            for p in problem.init(seed)]


def batch(problem, member):
    d = problem.data
    rows = np.random.default_rng(100 + member).choice(len(d.x_train), BATCH, replace=False)
    return d.x_train[rows], d.y_train[rows]


def test_every_registered_problem_has_a_numpy_oracle(problem):
    assert problem.name in reference.TABLE, (
        f"{problem.name!r} has no oracle: add its loss and metric to "
        "tests/train/problems/reference.py")


def test_loss_and_metric_match_the_numpy_oracle(problem):
    loss_ref, metric_ref = reference.oracles(problem)
    params = perturbed(problem, seed=1)
    as64 = [p.numpy().astype(np.float64) for p in params]
    x, y = batch(problem, 0)
    assert float(problem.loss(params, x, y)) == pytest.approx(loss_ref(as64, x, y), rel=1e-5)
    d = problem.data
    got = float(problem.metric(params, d.x_valid, d.y_valid))
    assert got == pytest.approx(metric_ref(as64, d.x_valid, d.y_valid), rel=1e-5, abs=1e-7)


def test_init_is_float32_deterministic_per_seed_and_differs_between_seeds(problem):
    a, b, c = problem.init(3), problem.init(3), problem.init(4)
    assert all(p.dtype == tf.float32 for p in a)
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert any(not np.array_equal(p.numpy(), q.numpy()) for p, q in zip(a, c, strict=True))


def test_data_and_class_attributes_are_consistent(problem):
    d = problem.data
    assert len(d.x_train) == len(d.y_train) and len(d.x_valid) == len(d.y_valid)
    assert d.x_train.dtype == np.float32 and d.x_train.shape[1:] == d.x_valid.shape[1:]
    assert 1 <= problem.batch_size <= len(d.x_train) and 1 <= problem.epochs <= 30
    assert np.isfinite(problem.target) and problem.metric_name
    assert problems.PROBLEMS[problem.name] is type(problem)
    assert float(problem.loss(problem.init(0), *batch(problem, 0))) > 0.0


def _loss_and_grads(problem):
    def one(args):
        params, x, y = args
        with tf.GradientTape() as tape:
            tape.watch(params)
            loss = problem.loss(params, x, y)
        return loss, tape.gradient(loss, params)
    return one


def _stacked(problem):
    members = [perturbed(problem, seed) for seed in range(MEMBERS)]
    xs, ys = zip(*(batch(problem, m) for m in range(MEMBERS)))
    stacked = [tf.stack(list(ps)) for ps in zip(*members)]
    return members, xs, ys, (stacked, tf.constant(np.stack(xs)), tf.constant(np.stack(ys)))


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "xla"])
def test_vectorized_map_without_fallback_equals_members_one_by_one(problem, jit):
    one = _loss_and_grads(problem)
    members, xs, ys, args = _stacked(problem)

    def batched():
        return tf.vectorized_map(one, args, fallback_to_while_loop=False)

    loss, grads = tf.function(batched, jit_compile=True)() if jit else batched()
    for m in range(MEMBERS):
        want_loss, want_grads = one((members[m], tf.constant(xs[m]), tf.constant(ys[m])))
        assert float(loss[m]) == pytest.approx(float(want_loss), rel=1e-5)
        for g, w in zip(grads, want_grads, strict=True):
            np.testing.assert_allclose(g[m].numpy(), w.numpy(), rtol=1e-5,
                                       atol=1e-5 * float(np.max(np.abs(w.numpy()))))
