"""GradientAccumulation: a NumPy oracle, its closed form, Keras parity and the pure step."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.compat import from_keras
from coreopt.testing import oracle as reference
from tests.helpers import gradient, initial_values, make_variables, relative_error, run_steps
from tests.wrappers.cases import WrapperCase


class AccumulationReference:
    """Sums the gradients of `steps` calls; every `steps`-th call steps `inner` on their mean."""

    def __init__(self, inner, steps=2):
        self.inner, self.steps, self.calls, self.total = inner, steps, 0, None

    def step(self, grads, params, grad_fn=None):
        self.calls += 1
        grads = [np.asarray(g, np.float64) for g in grads]
        self.total = grads if self.total is None else [t + g for t, g in zip(self.total, grads)]
        if self.calls % self.steps:
            return [np.array(p, np.float64) for p in params]
        mean, self.total = [t / self.steps for t in self.total], None
        return self.inner.step(mean, params)


CASES = {"accumulate": WrapperCase(configs=({"steps": 3},), oracle=AccumulationReference,
                                   inners=("adam",))}


def test_oracle_matches_closed_form():
    # GD(lr) with gradient j on call j, steps=3: x moves by lr * mean(1, 2, 3) = 2 lr on
    # call 3 and by lr * mean(4, 5, 6) = 5 lr on call 6, and never in between.
    lr, x0 = 0.1, 1.0
    oracle, params, path = AccumulationReference(reference.GD(learning_rate=lr), steps=3), [x0], []
    for j in range(1, 7):
        params = oracle.step([np.float64(j)], params)
        path.append(float(params[0]))
    want = [x0, x0, x0 - 2 * lr, x0 - 2 * lr, x0 - 2 * lr, x0 - 7 * lr]
    np.testing.assert_allclose(path, want, rtol=1e-15)


def test_matches_oracle_around_gradient_descent():
    values = initial_values()
    variables = make_variables(values, tf.float64)
    opt = coreopt.GradientAccumulation(coreopt.GradientDescent(0.1), steps=3)
    oracle, params = AccumulationReference(reference.GD(learning_rate=0.1), steps=3), values
    for step in range(12):
        opt.apply_gradients([gradient(v.value(), step) for v in variables], variables)
        params = oracle.step([gradient(p, step) for p in params], params)
        for v, p in zip(variables, params):
            assert relative_error(v.numpy(), p) <= 1e-12


def test_held_calls_change_nothing_but_the_accumulator():
    x = tf.Variable([1.0, -2.0])
    opt = coreopt.GradientAccumulation(coreopt.Adam(0.1), steps=3)
    opt.build([x])
    inner_before = [v.numpy().copy() for v in opt.inner.slot_variables(x).values()]
    for g in ([1.0, 2.0], [0.5, -1.0]):
        opt.apply_gradients([tf.constant(g)], [x])
    np.testing.assert_array_equal(x.numpy(), [1.0, -2.0])
    for before, var in zip(inner_before, opt.inner.slot_variables(x).values()):
        np.testing.assert_array_equal(var.numpy(), before)
    np.testing.assert_array_equal(opt.get_slot(x, "accumulator").numpy(), [1.5, 1.0])
    assert (int(opt.iterations), int(opt.inner.iterations)) == (2, 0)
    opt.apply_gradients([tf.constant([1.5, 2.0])], [x])
    np.testing.assert_array_equal(opt.get_slot(x, "accumulator").numpy(), [0.0, 0.0])
    assert (int(opt.iterations), int(opt.inner.iterations)) == (3, 1)
    np.testing.assert_allclose(x.numpy(), [0.9, -2.1], rtol=1e-6)  # Adam's first step: lr * sign


def test_one_step_is_the_inner_optimizer():
    a, b = make_variables(initial_values()), make_variables(initial_values())
    ours = coreopt.GradientAccumulation(coreopt.Adam(0.05), steps=1)
    for x, y in zip(run_steps(ours, a, 5), run_steps(coreopt.Adam(0.05), b, 5)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("dtype, tol", [(tf.float32, 1e-5), (tf.float64, 1e-6)])
def test_matches_keras_gradient_accumulation_steps(dtype, tol):
    keras_opt = keras.optimizers.Adam(0.01, gradient_accumulation_steps=3)
    ours = from_keras(keras.optimizers.Adam(0.01, gradient_accumulation_steps=3))
    assert isinstance(ours, coreopt.GradientAccumulation) and ours.options() == {
        "accumulate.steps": 3, **ours.inner.options()}
    mine, theirs = make_variables(initial_values(), dtype), make_variables(initial_values(), dtype)
    for step in range(100):
        ours.apply_gradients([gradient(v.value(), step) for v in mine], mine)
        keras_opt.apply([gradient(v.value(), step) for v in theirs], theirs)
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= tol
    assert int(ours.iterations) == int(keras_opt._iterations) == 100
    assert int(ours.inner.iterations) == int(keras_opt.iterations) == 33


def _batched_update(opt, iterations, grad_fn=None):
    """The pure update of 3 runs at their own call counts, in tf.vectorized_map under XLA."""
    x, g = tf.constant([[1.0, 2.0]] * 3), tf.constant([[0.5, -1.0]] * 3)
    acc = tf.constant([[1.0, 1.0]] * 3)

    def one(args):
        x, g, acc, it = args
        slots = [{**opt.init_slots(x), "accumulator": acc}]
        state = {**opt.init_state(), "iterations": it}
        params, _, state = opt.update([g], [x], slots, state, grad_fn)
        return params[0], state["inner"]["iterations"]

    run = tf.function(lambda: tf.vectorized_map(one, (x, g, acc, iterations)), jit_compile=True)
    return [t.numpy() for t in run()]


def test_each_run_of_a_batch_applies_at_its_own_count():
    opt = coreopt.GradientAccumulation(coreopt.GradientDescent(0.1), steps=2)
    params, inner_steps = _batched_update(opt, tf.constant([0, 1, 2], tf.int64))
    np.testing.assert_allclose(params[[0, 2]], [[1.0, 2.0]] * 2)
    np.testing.assert_allclose(params[1], [1.0 - 0.1 * 1.5 / 2, 2.0 - 0.1 * 0.0 / 2])
    np.testing.assert_array_equal(inner_steps, [0, 1, 0])


def test_a_loss_closure_inside_runs_per_run_in_a_batch():
    # SAM's second gradient at x + e, from the gradient field 2x; the mean gradient is 0.75, 0.
    opt = coreopt.GradientAccumulation(coreopt.SAM(coreopt.GradientDescent(0.1), rho=0.1),
                                       steps=2)
    params, inner_steps = _batched_update(opt, tf.constant([1, 0, 3], tf.int64),
                                          lambda ps: [2.0 * p for p in ps])
    e = 0.1 * np.array([0.75, 0.0]) / 0.75
    np.testing.assert_allclose(params[[0, 2]], [[1.0, 2.0] - 0.1 * 2 * ([1.0, 2.0] + e)] * 2,
                               rtol=1e-6)
    np.testing.assert_allclose(params[1], [1.0, 2.0])
    np.testing.assert_array_equal(inner_steps, [1, 0, 1])


def test_minimize_holds_then_steps_with_a_loss_closure_inside():
    x = tf.Variable([1.0, -1.0])
    opt = coreopt.GradientAccumulation(coreopt.SAM(coreopt.GradientDescent(0.1), rho=0.1),
                                       steps=3)
    path = []
    for _ in range(6):
        opt.minimize(lambda: tf.reduce_sum(x**2), [x])
        path.append(x.numpy().copy())
    np.testing.assert_array_equal(path[0], [1.0, -1.0])
    np.testing.assert_array_equal(path[1], [1.0, -1.0])
    assert not np.array_equal(path[2], path[1])
    np.testing.assert_array_equal(path[3], path[2])
    assert int(opt.inner.iterations) == 2 and int(opt.iterations) == 6


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError),
                                        (True, TypeError), ("3", TypeError)])
def test_bad_steps_are_refused_by_name(bad, error):
    with pytest.raises(error, match="steps"):
        coreopt.GradientAccumulation(coreopt.Adam(), steps=bad)
