"""coreopt.compat.from_optax against optax's own trajectories (needs optax and JAX).

The float64 rows turn on `jax_enable_x64` for the rest of the process (the
adapter's documented side effect).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

optax = pytest.importorskip("optax")

from coreopt.compat import from_optax  # noqa: E402
from tests.compat import contract, replay  # noqa: E402

TOLERANCE = {"float64": 1e-12, "float32": 1e-6}


def _transformation(dtype, row):
    """The optax transformation of a row of references/data/optax_<dtype>.npz, from its record."""
    config = replay.config("optax", dtype, row)
    kwargs = dict(config["kwargs"])
    lr = kwargs.get("learning_rate")
    if isinstance(lr, dict):  # {"schedule": name, ...}: that optax schedule
        args = {k: v for k, v in lr.items() if k != "schedule"}
        args["boundaries_and_scales"] = {int(k): v
                                         for k, v in args["boundaries_and_scales"].items()}
        kwargs["learning_rate"] = getattr(optax, lr["schedule"])(**args)
    return getattr(optax, config["optimizer"].removeprefix("optax."))(**kwargs), config


@pytest.mark.parametrize("dtype, row", [
    ("float32", "adam"),  # first: the float32 rows were made with 64-bit JAX off
    ("float64", "sgd"),
    ("float64", "sgd_nesterov"),
    ("float64", "adam"),
    ("float64", "adam_schedule"),
    ("float64", "lion"),
    ("float64", "polyak_sgd"),  # takes value= through apply_gradients
])
def test_replays_optax(dtype, row):
    tx, config = _transformation(dtype, row)
    opt = from_optax(tx, name=config["optimizer"])
    error = replay.replay(opt, "optax", dtype, row, with_value="extra_args" in config)
    assert error <= TOLERANCE[dtype], f"optax {row} ({dtype}): {error:.3g}"


def test_sgd_closed_form():
    """Plain SGD on g = x: x_k = (1 - lr)^k x_0, exactly for lr = 1/4 and dyadic x_0."""
    xs = contract.variables()
    opt = from_optax(optax.sgd(0.25), jit=False)
    for k in range(1, 6):
        opt.apply_gradients([x.read_value() for x in xs], xs)
        for x, x0 in zip(xs, contract.START):
            np.testing.assert_array_equal(x.numpy(), 0.75 ** k * x0)


@pytest.mark.parametrize("check", contract.CHECKS, ids=lambda c: c.__name__)
def test_contract(check):
    check(lambda: from_optax(optax.adam(0.01)))


def test_missing_extra_argument_is_explained():
    x = tf.Variable([1.0, 2.0], dtype=tf.float64)
    opt = from_optax(optax.polyak_sgd(max_learning_rate=0.1))
    with pytest.raises(TypeError, match="value="):
        opt.apply_gradients([tf.ones([2], tf.float64)], [x])
    assert x.numpy().tolist() == [1.0, 2.0] and opt.iterations == 0


def test_not_a_transformation():
    with pytest.raises(TypeError, match="GradientTransformation"):
        from_optax(optax.adam)


def test_repr_and_state():
    opt = from_optax(optax.adam(0.01), name="optax.adam(0.01)")
    assert repr(opt) == "OptaxOptimizer(name='optax.adam(0.01)', jit=True)"
    assert opt.state is None
    x = tf.Variable([1.0], dtype=tf.float64)
    opt.apply_gradients([tf.ones([1], tf.float64)], [x])
    assert int(opt.state[0].count) == 1
