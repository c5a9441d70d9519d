"""The shell: learning-rate forms, schedules, Keras's call form, build."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference


def _gd_path(lr, steps=5):
    x = tf.Variable(3.0)
    opt = coreopt.GradientDescent(lr)
    for _ in range(steps):
        opt.apply_gradients([x * 1.0], [x])
    return float(x.numpy())


def _expected(lrs, x=3.0):
    for lr in lrs:
        x = x - np.float32(lr) * np.float32(x)
    return float(np.float32(x))


def test_float_variable_callable_and_keras_schedule_learning_rates():
    lrs = [0.1 / (1 + k) for k in range(5)]
    assert _gd_path(0.1) == pytest.approx(_expected([0.1] * 5), rel=1e-6)
    assert _gd_path(tf.Variable(0.1)) == pytest.approx(_expected([0.1] * 5), rel=1e-6)
    assert _gd_path(lambda step: 0.1 / (1.0 + tf.cast(step, tf.float64))) == pytest.approx(
        _expected(lrs), rel=1e-6)
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=1.0)
    assert _gd_path(schedule) == pytest.approx(_expected(lrs), rel=1e-6)


def test_schedule_matches_reference_with_per_step_lr():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5)
    x = tf.Variable([1.0, -2.0], dtype=tf.float64)
    opt = coreopt.Adam(schedule)
    ref, params = reference.REFERENCES["adam"](), [np.array([1.0, -2.0])]
    for step in range(10):
        g = np.array([0.3, -0.1]) * (step + 1)
        opt.apply_gradients([tf.constant(g)], [x])
        params = ref.step([g], params, lr=float(schedule(step)))
    np.testing.assert_allclose(x.numpy(), params[0], rtol=1e-7)  # the schedule is float32


def test_keras_zip_form_and_iterations():
    x = tf.Variable(1.0)
    opt = coreopt.GradientDescent(0.5)
    opt.apply_gradients(zip([tf.constant(1.0)], [x]))
    assert float(x.numpy()) == 0.5 and int(opt.iterations.numpy()) == 1


def test_learning_rate_variable_can_change_between_steps():
    lr = tf.Variable(0.1)
    x = tf.Variable(1.0)
    opt = coreopt.GradientDescent(lr)
    opt.apply_gradients([tf.constant(1.0)], [x])
    lr.assign(0.2)
    opt.apply_gradients([tf.constant(1.0)], [x])
    assert float(x.numpy()) == pytest.approx(0.7)


def test_schedule_learning_rate_cannot_be_assigned():
    opt = coreopt.Adam(lambda step: 0.1)
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.2


def test_build_inside_tf_function_is_lifted_out():
    x = tf.Variable([1.0, 2.0])
    opt = coreopt.Adam(0.1)

    @tf.function
    def step():
        opt.apply_gradients([tf.ones([2])], [x])

    step()
    step()
    assert int(opt.iterations.numpy()) == 2 and opt.built


def test_without_xla_same_result():
    results = []
    for jit in (True, False):
        x = tf.Variable([1.0, 2.0, 3.0])
        opt = coreopt.Adam(0.1, jit_compile=jit)
        for _ in range(5):
            opt.apply_gradients([x * 2.0], [x])
        results.append(x.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_keras_variables_are_accepted_and_keyed_by_their_tf_variable():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    opt = coreopt.Adam(0.1)
    plain = [tf.Variable(v.numpy()) for v in model.trainable_variables]
    ref = coreopt.Adam(0.1)
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        ref.apply_gradients(grads, plain)
    for ours, theirs in zip(model.trainable_variables, plain):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    kernel = model.trainable_variables[0]
    assert opt.get_slot(kernel, "m") is opt.get_slot(kernel.value, "m")


def test_a_non_variable_is_refused_with_what_is_accepted():
    with pytest.raises(TypeError, match="must be a tf.Variable or a Keras variable; received "
                                        "ndarray"):
        coreopt.Adam().apply_gradients([tf.ones(2)], [np.ones(2)])


def _momentum_at(step):
    """A momentum schedule: 0.5 rising linearly to 0.9 over 10 steps (Python or TF step)."""
    return 0.5 + 0.4 * tf.minimum(tf.cast(step, tf.float64) / 10.0, 1.0)


def test_any_numeric_hyperparameter_follows_a_schedule_of_its_owners_steps():
    x = tf.Variable([1.0, -2.0], dtype=tf.float64)
    inner = coreopt.Momentum(0.05, momentum=_momentum_at)
    opt = coreopt.EMA(inner, momentum=lambda step: tf.where(  # float64: as float32, 0.9 is not
        step < 3, tf.constant(0.5, tf.float64), tf.constant(0.9, tf.float64)))
    opt.build([x])
    step = tf.function(lambda g: opt.apply_gradients([g], [x]))
    ref, params, average = reference.Momentum(learning_rate=0.05), [x.numpy().copy()], None
    for t in range(15):
        grad = 2 * params[0] + np.sin(t)
        step(tf.constant(grad))
        ref.momentum = float(_momentum_at(t))
        params = ref.step([grad], params)
        m = 0.0 if t == 0 else (0.5 if t < 3 else 0.9)
        average = params[0] if average is None else m * average + (1 - m) * params[0]
    np.testing.assert_allclose(x.numpy(), params[0], rtol=1e-13)
    np.testing.assert_allclose(opt.get_slot(x, "average").numpy(), average, rtol=1e-13)
    assert step.experimental_get_tracing_count() == 1


def test_a_schedule_out_of_range_at_step_0_is_refused_by_name():
    with pytest.raises(ValueError, match=r"`momentum\(0\)` must be in \[0, 1\); received 1.5"):
        coreopt.Momentum(0.1, momentum=lambda step: 1.5)
    with pytest.raises(TypeError, match="`beta_1` is a callable.*returned"):
        coreopt.Adam(beta_1=lambda step: "high")


@pytest.mark.parametrize("name", ["adam", "sam:adam"])
def test_minimize_steps_each_variables_own_slots_when_the_order_changes(name):
    """One `loss_fn`, `vars` reversed every other call: each variable keeps its own moments.

    The oracle is the same run with the order fixed (the result may not depend on it).
    """

    def run(reorder):
        a = tf.Variable([1.0, -2.0], dtype=tf.float64, name="a")
        b = tf.Variable([0.5, 3.0], dtype=tf.float64, name="b")
        opt = coreopt.get(name)

        def loss_fn():
            return tf.reduce_sum(a**2 + 0.1 * a**4) + tf.reduce_sum(3.0 * (b - 1.0)**2)

        for t in range(6):
            opt.minimize(loss_fn, [b, a] if reorder and t % 2 else [a, b])
        return np.concatenate([a.numpy(), b.numpy(), opt.get_slot(a, "m").numpy()])

    np.testing.assert_array_equal(run(reorder=True), run(reorder=False))


def test_a_bound_method_loss_traces_once_and_steps_as_gradient_descent():
    """`opt.minimize(model.loss, vars)` every eager step: a new method object per access,
    one trace; another model's method is another closure (it reads other variables)."""

    class Model:
        def __init__(self, start):
            self.x = tf.Variable(start, dtype=tf.float64)

        def loss(self):
            return tf.reduce_sum(self.x ** 2)

    model, other = Model([1.0, -2.0]), Model([3.0])
    opt = coreopt.GradientDescent(0.25)
    for _ in range(5):
        opt.minimize(model.loss, [model.x])
    assert opt._compiled_closure.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(model.x.numpy(), np.array([1.0, -2.0]) * 0.5**5)  # x(1 - 2 lr)
    opt.minimize(other.loss, [other.x])
    assert opt._compiled_closure.experimental_get_tracing_count() == 2
    np.testing.assert_array_equal(other.x.numpy(), [1.5])


def test_items_that_are_not_pairs_are_refused_by_name():
    x = tf.Variable([1.0, 2.0])
    with pytest.raises(TypeError, match=r"each item must be a \(gradient, variable\) pair"):
        coreopt.GradientDescent(0.1).apply_gradients([tf.constant([1.0, 1.0])])
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("variables", [None, "given"])
def test_a_dict_of_gradients_is_refused_naming_grads(variables):
    x = tf.Variable(3.0)
    opt = coreopt.GradientDescent(0.1)
    with pytest.raises(TypeError, match=r"`grads`.*list of gradients.*\(gradient, variable\)"):
        opt.apply_gradients({0: tf.constant(1.0)}, None if variables is None else [x])
    assert float(x.numpy()) == 3.0
