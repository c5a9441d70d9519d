"""LossScale: a NumPy oracle, Keras parity (dynamic and fixed), growth, skips, scale_loss."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.compat import from_keras
from coreopt.testing import oracle as reference
from tests.helpers import gradient, initial_values, make_variables, relative_error
from tests.wrappers.cases import WrapperCase


class LossScaleReference:
    """Divides by the scale; dynamic: skips non-finite steps (halving), doubles after N good."""

    def __init__(self, inner, initial_scale=2.0**15, growth_steps=2000, dynamic=True):
        self.inner, self.growth_steps, self.dynamic = inner, growth_steps, dynamic
        self.scale, self.good = np.float32(initial_scale), 0

    def step(self, grads, params, grad_fn=None):
        grads = [np.asarray(g, np.float64) for g in grads]
        if not self.dynamic:
            return self.inner.step([g / np.float64(self.scale) for g in grads], params)
        if not all(np.all(np.isfinite(g)) for g in grads):
            self.scale, self.good = self.scale / np.float32(2), 0
            return [np.array(p, np.float64) for p in params]
        new = self.inner.step([g / np.float64(self.scale) for g in grads], params)
        if self.good == self.growth_steps - 1:
            self.scale, self.good = self.scale * np.float32(2), 0
        else:
            self.good += 1
        return new


CASES = {"loss_scale": WrapperCase(
    configs=({"initial_scale": 4.0, "growth_steps": 3}, {"initial_scale": 128.0,
                                                         "dynamic": False}),
    oracle=LossScaleReference, inners=("adam",))}

BAD = {10: (1, (0,)), 11: (0, (2, 3)), 40: (3, (1, 0, 2)), 41: (2, (0, 1))}  # step: (var, index)


def _poisoned(grads, step):
    """The gradients, with an Inf (a NaN from step 40 on) in one entry on the steps of BAD."""
    if step not in BAD:
        return grads
    i, index = BAD[step]
    value = np.nan if step >= 40 else np.inf
    g = np.array(grads[i].numpy())
    g[tuple(index[:g.ndim])] = value
    return [*grads[:i], tf.constant(g), *grads[i + 1:]]


def test_oracle_grows_halves_and_skips():
    oracle = LossScaleReference(reference.GD(learning_rate=0.5), initial_scale=2.0, growth_steps=2)
    x, scales = [np.float64(1.0)], []
    for g in (2.0, 4.0, np.inf, 2.0, 4.0, 8.0):
        x = oracle.step([np.float64(g)], x)
        scales.append(float(oracle.scale))
    assert scales == [2.0, 4.0, 2.0, 2.0, 4.0, 4.0]
    assert float(x[0]) == 1.0 - 0.5 * (1 + 2 + 1 + 2 + 2)


@pytest.mark.parametrize("config", CASES["loss_scale"].configs)
def test_matches_oracle_around_gradient_descent(config):
    values = initial_values()
    variables = make_variables(values, tf.float64)
    opt = coreopt.LossScale(coreopt.GradientDescent(0.1), **config)
    oracle, params = LossScaleReference(reference.GD(learning_rate=0.1), **config), values
    for step in range(45):
        grads = _poisoned([gradient(v.value(), step) for v in variables], step)
        opt.apply_gradients(grads, variables)
        params = oracle.step([g.numpy() for g in grads], params)
    for v, p in zip(variables, params):
        assert np.array_equal(np.isfinite(v.numpy()), np.isfinite(p))
        assert relative_error(np.nan_to_num(v.numpy()), np.nan_to_num(p)) <= 1e-12


@pytest.mark.parametrize("dtype, tol", [(tf.float32, 1e-5), (tf.float64, 1e-6)])
def test_matches_keras_loss_scale_optimizer(dtype, tol):
    def make():
        return keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01),
                                                   initial_scale=2.0**10, dynamic_growth_steps=7)

    keras_opt, ours = make(), from_keras(make())
    assert isinstance(ours, coreopt.LossScale) and isinstance(ours.inner, coreopt.Adam)
    mine, theirs = make_variables(initial_values(), dtype), make_variables(initial_values(), dtype)
    keras_opt.build(theirs)
    for step in range(100):
        for opt, variables in ((ours, mine), (keras_opt, theirs)):
            scale = opt.scale_loss(tf.constant(1.0, dtype))
            grads = [gradient(v.value(), step) * tf.cast(scale, dtype) for v in variables]
            opt.apply(_poisoned(grads, step), variables) if opt is keras_opt else \
                opt.apply_gradients(_poisoned(grads, step), variables)
        assert float(ours.state_variables()["scale"]) == float(keras_opt.dynamic_scale.numpy())
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= tol
    assert int(ours.iterations) == 100
    assert int(ours.inner.iterations) == int(keras_opt.iterations) == 100 - len(BAD)
    assert int(ours.state_variables()["good_steps"]) == int(keras_opt.step_counter.numpy())


@pytest.mark.parametrize("dtype, tol", [(tf.float32, 1e-5), (tf.float64, 1e-6)])
def test_fixed_factor_matches_keras_loss_scale_factor(dtype, tol):
    keras_opt = keras.optimizers.SGD(0.01, momentum=0.9, loss_scale_factor=100.0)
    ours = from_keras(keras.optimizers.SGD(0.01, momentum=0.9, loss_scale_factor=100.0))
    assert ours.options()["loss_scale.dynamic"] is False
    mine, theirs = make_variables(initial_values(), dtype), make_variables(initial_values(), dtype)
    for step in range(100):
        ours.apply_gradients([gradient(v.value(), step) * 100 for v in mine], mine)
        keras_opt.apply([gradient(v.value(), step) * 100 for v in theirs], theirs)
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= tol
    loss = tf.constant(3.0, dtype)
    assert float(ours.scale_loss(loss)) == float(keras_opt.scale_loss(loss)) == 300.0


def test_fixed_factor_never_skips_nor_changes():
    x = tf.Variable(1.0)
    opt = coreopt.LossScale(coreopt.GradientDescent(0.1), 4.0, growth_steps=1, dynamic=False)
    for g in (4.0, np.inf, 4.0):
        opt.apply_gradients([tf.constant(g)], [x])
    assert np.isinf(x.numpy()) and int(opt.inner.iterations) == 3
    assert float(opt.state_variables()["scale"]) == 4.0


def test_scale_doubles_after_growth_steps_finite_steps():
    x = tf.Variable([1.0, 2.0])
    opt = coreopt.LossScale(coreopt.GradientDescent(0.1), 2.0, growth_steps=3)
    seen = []
    for _ in range(7):
        opt.apply_gradients([tf.constant([1.0, 1.0])], [x])
        state = opt.state_variables()
        seen.append((float(state["scale"]), int(state["good_steps"])))
    assert seen == [(2.0, 1), (2.0, 2), (4.0, 0), (4.0, 1), (4.0, 2), (8.0, 0), (8.0, 1)]


def test_a_skipped_step_leaves_params_and_inner_state_alone():
    x = tf.Variable([1.0, 2.0])
    opt = coreopt.LossScale(coreopt.Adam(0.1), 8.0, growth_steps=5)
    opt.apply_gradients([tf.constant([8.0, -8.0])], [x])
    before = [x.numpy().copy(), *(v.numpy().copy() for v in opt.inner.slot_variables(x).values())]
    opt.apply_gradients([tf.constant([np.nan, 1.0])], [x])
    after = [x.numpy(), *(v.numpy() for v in opt.inner.slot_variables(x).values())]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    state = opt.state_variables()
    assert (int(opt.iterations), int(opt.inner.iterations)) == (2, 1)
    assert (float(state["scale"]), int(state["good_steps"])) == (4.0, 0)


def test_scale_loss_and_minimize_follow_the_scale():
    x, y = tf.Variable([3.0, -1.0]), tf.Variable([3.0, -1.0])
    opt = coreopt.LossScale(coreopt.GradientDescent(0.1), 2.0**12, growth_steps=2)
    plain = coreopt.GradientDescent(0.1)
    assert float(opt.scale_loss(tf.constant(1.5))) == 1.5 * 2**12
    for _ in range(3):
        loss = opt.minimize(lambda: 0.5 * tf.reduce_sum(x**2), [x])
        plain.minimize(lambda: 0.5 * tf.reduce_sum(y**2), [y])
    np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-7)
    assert float(loss) == pytest.approx(0.5 * float(tf.reduce_sum((x / 0.9) ** 2)), rel=1e-6)
    assert float(opt.scale_loss(tf.constant(1.0))) == 2.0**13


def test_a_closure_gradient_passed_down_is_unscaled_too():
    x, y = tf.Variable([3.0, -1.0]), tf.Variable([3.0, -1.0])
    ours = coreopt.LossScale(coreopt.SAM(coreopt.GradientDescent(0.1), rho=0.2), 2.0**8)
    plain = coreopt.SAM(coreopt.GradientDescent(0.1), rho=0.2)
    for _ in range(3):
        ours.minimize(lambda: tf.reduce_sum(tf.sin(x) + x**2), [x])
        plain.minimize(lambda: tf.reduce_sum(tf.sin(y) + y**2), [y])
    np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6)


def test_each_run_of_a_batch_skips_on_its_own():
    opt = coreopt.LossScale(coreopt.GradientDescent(0.5), 2.0, growth_steps=4)
    x = tf.constant([[1.0, 1.0]] * 3)
    g = tf.constant([[2.0, 2.0], [2.0, np.inf], [np.nan, 2.0]])

    def one(args):
        x, g = args
        params, _, state = opt.update([g], [x], [opt.init_slots(x)], opt.init_state())
        return params[0], state["scale"], state["inner"]["iterations"]

    run = tf.function(lambda: tf.vectorized_map(one, (x, g)), jit_compile=True)
    params, scale, inner_steps = (t.numpy() for t in run())
    np.testing.assert_array_equal(params, [[0.5, 0.5], [1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(scale, [2.0, 1.0, 1.0])
    np.testing.assert_array_equal(inner_steps, [1, 0, 0])


@pytest.mark.parametrize("kwargs, error, name", [
    ({"initial_scale": 0.0}, ValueError, "initial_scale"),
    ({"initial_scale": -1.0}, ValueError, "initial_scale"),
    ({"initial_scale": float("inf")}, ValueError, "initial_scale"),
    ({"initial_scale": 1e39}, ValueError, "initial_scale"),
    ({"initial_scale": float("nan")}, ValueError, "initial_scale"),
    ({"growth_steps": 0}, ValueError, "growth_steps"),
    ({"growth_steps": 2.5}, TypeError, "growth_steps"),
    ({"dynamic": "yes"}, TypeError, "dynamic"),
])
def test_bad_arguments_are_refused_by_name(kwargs, error, name):
    with pytest.raises(error, match=name):
        coreopt.LossScale(coreopt.Adam(), **kwargs)
