"""Every registered test function against its known answers and an independent oracle."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from coreopt import functions
from tests.functions import oracle

# Every name at its defaults, plus a few other parameter values.
CASES = [(n, {}) for n in functions.names()] + [
    ("quadratic", {"dim": 10, "condition": 100.0}), ("quadratic", {"dim": 1}),
    ("rosenbrock", {"dim": 5}), ("rastrigin", {"dim": 3}), ("styblinski_tang", {"dim": 3}),
    ("styblinski_tang", {"dim": 6}),
]
IDS = [n + "".join(f"-{k}{v}" for k, v in p.items()) for n, p in CASES]


@pytest.fixture(params=CASES, ids=IDS, scope="module")
def f(request):
    name, params = request.param
    return functions.get(name, **params)


def vg64(f, x):
    loss, grad = f.value_and_gradient(tf.constant(np.asarray(x, np.float64)))
    return loss.numpy(), grad.numpy()


def grad_tol(f, pts):
    """1e-11 times the size of the values near `pts` (1 at least): rounding level."""
    return 1e-11 * max(1.0, float(np.abs(oracle_values(f, pts)).max()))


def oracle_values(f, x):
    x = np.atleast_2d(np.asarray(x, np.float64))
    return getattr(oracle, f.name)(x, f.params)


def test_every_function_has_an_oracle():
    missing = [n for n in functions.names() if not hasattr(oracle, n)]
    assert not missing, f"add a NumPy formula to tests/functions/oracle.py for {missing}"


def test_minimizers_are_minimizers(f):
    if f.minimum is None:
        assert len(f.minimizers) == 0
        return
    assert len(f.minimizers) >= 1
    loss, grad = vg64(f, f.minimizers)
    np.testing.assert_allclose(loss, f.minimum, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(oracle_values(f, f.minimizers), f.minimum, rtol=1e-12, atol=1e-12)
    assert np.abs(grad).max() <= grad_tol(f, f.minimizers)


def test_stated_minimum_matches_the_literature(f):
    if f.name == "styblinski_tang":
        x = f.minimizers[0, 0]
        assert abs(4 * x**3 - 32 * x + 5) < 1e-12
        assert f.minimum == pytest.approx(-39.16616570377142 * f.dim, rel=1e-14)
    elif f.minimum is not None:
        assert f.minimum == pytest.approx(oracle.LITERATURE_MINIMUM[f.name], rel=1e-15, abs=0)


def test_no_random_point_beats_the_minimum(f):
    x = f.random_starts(10_000, seed=0)
    values = f(tf.constant(x)).numpy()
    if f.minimum is None:
        # Unbounded below: some coordinate direction goes to -infinity.
        far = np.concatenate([np.eye(f.dim), -np.eye(f.dim)]) * 1e6
        assert f(tf.constant(far)).numpy().min() < -1e11
        return
    assert values.min() >= f.minimum - 1e-9 * (1 + abs(f.minimum))


def test_stationary_points_have_zero_gradient(f):
    for label, pts in f.stationary.items():
        _, grad = vg64(f, pts)
        assert np.abs(grad).max() <= grad_tol(f, pts), label


@pytest.mark.parametrize("dtype", [tf.float32, pytest.param(tf.float64, marks=pytest.mark.slow)])
def test_batched_equals_one_run_bit_for_bit(f, dtype):
    x = tf.constant(f.random_starts(64, seed=1), dtype)
    loss, grad = f.value_and_gradient(x)
    assert loss.dtype == dtype and loss.shape == (64,) and grad.shape == (64, f.dim)
    for i in range(64):
        li, gi = f.value_and_gradient(x[i])
        assert li.shape == () and gi.shape == (f.dim,)
        assert li.numpy() == loss[i].numpy(), i
        np.testing.assert_array_equal(gi.numpy(), grad[i].numpy())
    l2, g2 = f.value_and_gradient(tf.reshape(x, [8, 8, f.dim]))
    np.testing.assert_array_equal(l2.numpy().ravel(), loss.numpy())
    np.testing.assert_array_equal(g2.numpy().reshape(64, f.dim), grad.numpy())


def test_values_match_the_oracle(f):
    x = f.random_starts(500, seed=2)
    np.testing.assert_allclose(f(x).numpy(), oracle_values(f, x), rtol=1e-12, atol=1e-12)


def test_gradient_matches_finite_differences(f):
    x = f.random_starts(10, seed=3)
    _, grad = vg64(f, x)
    h = 1e-6
    for j in range(f.dim):
        e = np.zeros(f.dim)
        e[j] = h
        fd = (oracle_values(f, x + e) - oracle_values(f, x - e)) / (2 * h)
        scale = 1 + np.abs(oracle_values(f, x))
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-5, atol=1e-7 * scale.max())


def test_geometry_and_shapes(f):
    lo, hi = f.domain[:, 0], f.domain[:, 1]
    assert f.domain.shape == (f.dim, 2) and f.domain.dtype == np.float64
    assert f.start.shape == (f.dim,) and np.all((lo <= f.start) & (f.start <= hi))
    assert f.minimizers.shape[1:] == (f.dim,)
    assert np.all((lo <= f.minimizers) & (f.minimizers <= hi))
    for pts in f.stationary.values():
        assert pts.shape[1:] == (f.dim,)
    assert f.params["dim"] == f.dim and f.strict_domain is False
    assert f.description and f.tags
    assert f(f.start).shape == () and np.isfinite(f(f.start).numpy())


def test_to_dict_is_json(f):
    d = json.loads(json.dumps(f.to_dict()))
    assert d["name"] == f.name and d["dim"] == f.dim and d["minimum"] == f.minimum
    assert np.array_equal(np.reshape(d["minimizers"], (-1, f.dim)), f.minimizers)
    assert repr(f).startswith(f.name + "(dim=")
