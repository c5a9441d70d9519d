"""The registry, errors, `TestFunction` helpers, `custom` and `resolve`."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt import functions


def quartic(x):
    return 2 * x**4 + 3 * x**3 + 2


def test_names_start_with_the_guide_quartic_and_have_no_duplicates():
    names = functions.names()
    assert names[0] == "seed_quartic" and len(set(names)) == len(names)
    assert {"rosenbrock", "himmelblau", "saddle", "styblinski_tang"} <= set(names)


def test_get_builds_with_params():
    f = functions.get("quadratic", dim=10, condition=100.0)
    assert f.dim == 10 and f.params == {"dim": 10, "condition": 100.0}
    assert repr(f) == "quadratic(dim=10, condition=100.0)"
    assert repr(functions.get("rosenbrock", dim=5)) == "rosenbrock(dim=5)"
    assert functions.get("Six-Hump-Camel").name == "six_hump_camel"
    assert functions.get("quartic").name == "seed_quartic"


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match=r"Did you mean 'rosenbrock'.*Registered: seed_quartic"):
        functions.get("rosenbrok")


@pytest.mark.parametrize("name, params, match", [
    ("beale", {"dim": 3}, r"beale: dim must be exactly 2; got 3"),
    ("rosenbrock", {"dim": 1}, r"dim must be an integer >= 2; got 1"),
    ("quadratic", {"dim": 0}, r"dim must be an integer >= 1"),
    ("quadratic", {"dim": 2.5}, r"dim must be an integer"),
    ("quadratic", {"dim": True}, r"dim must be an integer"),
    ("quadratic", {"condition": 0.5}, r"condition must be a finite number >= 1.0"),
    ("quadratic", {"condition": float("inf")}, r"condition must be a finite number"),
    ("quadratic", {"condtion": 3.0}, r"unknown parameter 'condtion'.*Did you mean 'condition'"),
    ("booth", {"scale": 3.0}, r"booth: unknown parameter 'scale'.*Accepted: dim \(exactly 2\)"),
])
def test_bad_params(name, params, match):
    with pytest.raises(ValueError, match=match):
        functions.get(name, **params)


def test_fixed_dim_accepts_its_own_dim():
    assert functions.get("beale", dim=2).dim == 2
    assert functions.get("seed_quartic", dim=1).dim == 1


def test_check_start():
    f = functions.get("rosenbrock")
    assert f.check_start([1, 2]).dtype == np.float64
    assert f.check_start(np.zeros((3, 2))).shape == (3, 2)
    with pytest.raises(ValueError, match=r"rosenbrock\(dim=2\).*\[2\].*got shape \(3,\)"):
        f.check_start([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="finite"):
        f.check_start([np.nan, 1.0])
    with pytest.raises(ValueError, match="finite"):
        f.check_start([[0.0, 0.0], [np.inf, 1.0]])
    f.check_start([100.0, 100.0])  # outside, but the domain is not strict


def test_strict_domain_rejects_a_start_outside():
    f = functions.custom(lambda x: -tf.reduce_sum(tf.math.log(x)), 2,
                         domain=[[1e-3, 5.0], [1e-3, 5.0]], start=[1.0, 1.0], strict_domain=True)
    assert f.strict_domain
    with pytest.raises(ValueError, match=r"coordinate 1 = -1.0 is outside the domain"):
        f.check_start([1.0, -1.0])
    with pytest.raises(ValueError, match=r"coordinate 0 = 9.0 is outside"):
        functions.custom(lambda x: -tf.reduce_sum(tf.math.log(x)), 2, start=[9.0, 1.0],
                         domain=[[1e-3, 5.0], [1e-3, 5.0]], strict_domain=True)


def test_a_point_of_the_wrong_dimension_is_refused():
    with pytest.raises(ValueError, match=r"shape \[\.\.\., 2\]; got \(3,\)"):
        functions.get("booth")([1.0, 2.0, 3.0])


def test_nearest_minimizer_and_gap():
    f = functions.get("himmelblau")
    p, d = f.nearest_minimizer(np.array([2.9, 2.1]))
    assert np.array_equal(p, [3.0, 2.0]) and d == pytest.approx(math.hypot(0.1, 0.1))
    pts, ds = f.nearest_minimizer(np.array([[2.9, 2.1], [-3.7, -3.3], [3.0, 2.0]]))
    assert pts.shape == (3, 2) and ds.shape == (3,) and ds[2] == 0.0
    assert pts[1][0] < -3.7
    s = functions.get("saddle")
    p, d = s.nearest_minimizer(np.zeros(2))
    assert p is None and np.isnan(d)
    assert np.isnan(s.nearest_minimizer(np.zeros((4, 2)))[1]).all()
    assert np.isnan(s.gap(1.0)) and functions.get("goldstein_price").gap(5.0) == 2.0


def test_random_starts_are_reproducible_and_inside():
    f = functions.get("six_hump_camel")
    a, b = f.random_starts(100, seed=7), f.random_starts(100, seed=7)
    assert a.shape == (100, 2) and a.dtype == np.float64 and np.array_equal(a, b)
    assert np.all((a >= f.domain[:, 0]) & (a <= f.domain[:, 1]))
    assert not np.array_equal(a, f.random_starts(100, seed=8))


def test_read_only():
    f = functions.get("booth")
    with pytest.raises(AttributeError):
        f.dim = 3
    with pytest.raises(ValueError):
        f.start[0] = 1.0


def test_call_accepts_lists_arrays_and_tensors():
    f = functions.get("booth")
    want = (1 + 4 - 7) ** 2 + (2 + 2 - 5) ** 2
    assert float(f([1.0, 2.0])) == want
    assert float(f(np.array([1.0, 2.0]))) == want and f(np.array([1.0, 2.0])).dtype == tf.float64
    assert float(f(tf.constant([1, 2]))) == want


def test_ackley_gradient_at_its_kink_is_zero():
    for dtype in (tf.float32, tf.float64):
        loss, grad = functions.get("ackley").value_and_gradient(tf.zeros([2], dtype))
        assert loss.numpy() == 0.0 and np.array_equal(grad.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("name", ["seed_quartic", "rastrigin", "ackley", "himmelblau"])
def test_works_inside_tf_function(name):
    """Compiled: batched still equals one-run bit for bit, and eager to rounding."""
    f = functions.get(name)
    step = tf.function(f.value_and_gradient)
    x = tf.constant(f.random_starts(16, seed=0))
    loss, grad = step(x)
    for i in range(16):
        li, gi = step(x[i])
        assert li.numpy() == loss[i].numpy()
        np.testing.assert_array_equal(gi.numpy(), grad[i].numpy())
    for a, b in zip((loss, grad), f.value_and_gradient(x)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14, atol=1e-14)


# ------------------------------------------------------------------------- custom
def test_custom_one_point_fn_equals_its_batched_use():
    def bowl(x):  # one point [3] -> a scalar
        return tf.reduce_sum((x - 1.0) ** 2) + x[0] * x[1]

    f = functions.custom(bowl, 3)
    x = np.random.default_rng(0).normal(size=(6, 3))
    batched = f(tf.constant(x)).numpy()
    assert batched.shape == (6,)
    np.testing.assert_allclose(batched, [bowl(tf.constant(p)).numpy() for p in x], rtol=1e-14)
    np.testing.assert_allclose(f(tf.constant(x.reshape(2, 3, 3))).numpy().ravel(), batched)
    _, g = f.value_and_gradient(tf.constant(x))
    np.testing.assert_allclose(g.numpy()[:, 2], 2 * (x[:, 2] - 1), rtol=1e-14)
    assert f.domain.tolist() == [[-5.0, 5.0]] * 3 and np.array_equal(f.start, np.zeros(3))


def test_custom_batched_fn_is_trusted():
    f = functions.custom(lambda x: tf.reduce_sum(x * x, axis=-1), 2, batched=True,
                         minimizers=[[0.0, 0.0]], minimum=0.0, start=[8.0, 1.0])
    assert f(np.ones((4, 5, 2))).shape == (4, 5)
    assert f.domain.tolist() == [[-5.0, 9.0], [-5.0, 5.0]]  # widened to hold the start


def test_custom_vector_per_run_is_refused():
    with pytest.raises(ValueError, match=r"one scalar per run; got shape \(3,\)"):
        functions.custom(lambda x: x * x, 3)
    with pytest.raises(ValueError, match=r"one scalar per run; got shape \(\)"):
        functions.custom(lambda x: tf.reduce_sum(x * x), 3, batched=True)


def test_resolve():
    f = functions.resolve(quartic, dim=1)
    assert f.dim == 1 and f.name == "custom"
    x = tf.constant([[2.0], [-1.125], [0.5]])
    np.testing.assert_array_equal(f(x).numpy(), quartic(x).numpy()[:, 0])
    loss, grad = f.value_and_gradient(tf.constant([2.0]))
    assert float(loss) == 58.0 and float(grad[0]) == 8 * 8 + 9 * 4
    assert functions.resolve("rosenbrock").name == "rosenbrock"
    assert functions.resolve("rosenbrock", dim=4).dim == 4
    g = functions.get("booth")
    assert functions.resolve(g) is g
    with pytest.raises(ValueError, match="needs dim"):
        functions.resolve(quartic)
    with pytest.raises(ValueError, match="dim=2"):
        functions.resolve(g, dim=3)
    with pytest.raises(TypeError, match="got int"):
        functions.resolve(3)


# -------------------------------------------------------------------------- guide
@pytest.mark.parametrize("name, lr, outcome", [
    ("gd", 0.1, ("diverged", 6)), ("momentum", 1e-2, ("converged", 80)),
])
def test_seed_quartic_reproduces_the_guide(name, lr, outcome):
    """The guide's printed outcomes (../shared/seed), through `value_and_gradient`."""
    f, opt = functions.get("seed_quartic"), coreopt.get(name, learning_rate=lr)
    x = tf.Variable(tf.constant(f.start, tf.float32))
    for it in range(1, 2001):
        _, g = f.value_and_gradient(x)
        if np.isnan(g.numpy()).any():
            assert ("diverged", it) == outcome
            return
        old = x.numpy().copy()
        opt.apply_gradients([g], [x])
        if np.array_equal(x.numpy(), old):
            assert ("converged", it) == outcome
            return
    pytest.fail("no outcome")
