"""Bad input: a clear error naming the argument, before any state changes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

import coreopt


@pytest.mark.parametrize("lr", [-0.1, math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", coreopt.names())
def test_bad_learning_rate(name, lr):
    with pytest.raises(ValueError, match="learning_rate"):
        coreopt.get(name, learning_rate=lr)


@pytest.mark.parametrize(
    "name, argument, value",
    [
        ("adam", "beta_1", 1.0), ("adam", "beta_1", -0.1), ("adam", "beta_2", math.nan),
        ("adam", "epsilon", 0.0), ("adam", "epsilon", -1e-8), ("adamw", "weight_decay", -1.0),
        ("adamax", "beta_2", 1.5), ("nadam", "beta_1", 1.0), ("rmsprop", "rho", 1.0),
        ("rmsprop", "momentum", -0.5), ("adagrad", "epsilon", 0.0),
        ("adagrad", "initial_accumulator_value", -1.0), ("adadelta", "rho", 2.0),
        ("adafactor", "epsilon_2", 0.0), ("adafactor", "beta_2_decay", 0.5),
        ("ftrl", "learning_rate_power", 0.5), ("ftrl", "l1_regularization_strength", -1.0),
        ("lion", "beta_2", 1.0), ("lamb", "epsilon", math.inf), ("momentum", "momentum", 1.0),
    ],
)
def test_hyperparameter_out_of_range(name, argument, value):
    with pytest.raises(ValueError, match=f"`{argument}` must be in"):
        coreopt.get(name, **{argument: value})


def test_wrong_type_names_the_argument():
    with pytest.raises(TypeError, match="beta_1"):
        coreopt.Adam(beta_1="0.9")


def _state(opt, variables):
    return [v.numpy().copy() for v in variables] + [int(opt.iterations.numpy())]


def _assert_unchanged(before, after):
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make_call, error, match",
    [
        (lambda v: ([tf.ones([3])], v), ValueError, "same length"),
        (lambda v: ([tf.ones([3]), tf.ones([4])], v), ValueError, "shape"),
        (lambda v: ([tf.ones([3]), tf.ones([2])], [v[0], tf.constant([1.0, 2.0])]),
         TypeError, "tf.Variable"),
        (lambda v: ([tf.ones([3]), tf.ones([2])], [v[0], tf.Variable([1, 2])]),
         TypeError, "float dtype"),
        (lambda v: ([None, None], v), ValueError, "No gradients"),
        (lambda v: ([tf.ones([3]), tf.ones([3])], [v[0], v[0]]), ValueError, "more than once"),
    ],
    ids=["lengths", "shape", "not-variable", "int-variable", "all-none", "duplicate"],
)
def test_bad_apply_gradients_changes_nothing(make_call, error, match):
    variables = [tf.Variable([1.0, 2.0, 3.0]), tf.Variable([4.0, 5.0])]
    opt = coreopt.Adam(0.1)
    opt.apply_gradients([tf.ones([3]), tf.ones([2])], variables)
    before = _state(opt, variables)
    slots = [opt.get_slot(variables[0], "m").numpy().copy()]
    with pytest.raises(error, match=match):
        opt.apply_gradients(*make_call(variables))
    _assert_unchanged(before, _state(opt, variables))
    np.testing.assert_array_equal(slots[0], opt.get_slot(variables[0], "m").numpy())


def test_setting_a_bad_learning_rate_keeps_the_old_one():
    opt = coreopt.Momentum(0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0
    assert float(opt.learning_rate.numpy()) == 0.1
