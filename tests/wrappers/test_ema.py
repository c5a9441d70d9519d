"""EMA: its NumPy oracle (checked against a closed form), Keras 3 parity, swapped, finalize."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from tests.helpers import gradient, initial_values, make_variables, relative_error
from tests.wrappers.cases import WrapperCase


class EMAReference:
    """Weight averaging from the definition, around an inner oracle.

    After the inner step t (1-based): a_t = m_t a_{t-1} + (1 - m_t) x_t with m_t = 0 for
    t < start_step and m_t = momentum after, or min(momentum, (1 + d) / (10 + d)),
    d = t - start_step, with dynamic_decay; a_0 is the weights or zeros; float32_decay: m_t
    in float32 and a_t = a_{t-1} - (1 - m_t)(a_{t-1} - x_t). When overwrite_frequency F > 0
    and t % F == 0, x_t <- a_t.
    """

    def __init__(self, inner, momentum=0.99, overwrite_frequency=0, start_step=2,
                 dynamic_decay=False, initial_average="weights", float32_decay=False):
        self.inner, self.momentum, self.frequency = inner, momentum, overwrite_frequency
        self.start, self.dynamic, self.zeros = start_step, dynamic_decay, initial_average == "zeros"
        self.float32 = float32_decay
        self.t, self.averages = 0, None

    def decay(self):
        real = np.float32 if self.float32 else np.float64
        t, start, m = real(self.t), real(self.start), real(self.momentum)
        if self.dynamic:
            m = min(m, (real(1) + (t - start)) / (real(10) + (t - start)))
        return real(0) if t < start else m

    def step(self, grads, params, grad_fn=None):
        old = self.averages or [np.zeros_like(p, np.float64) if self.zeros
                                else np.array(p, np.float64) for p in params]
        new = self.inner.step(grads, params)
        self.t += 1
        m = self.decay()
        if self.float32:
            self.averages = [a - float(np.float32(1) - m) * (a - x) for a, x in zip(old, new)]
        else:
            self.averages = [float(m) * a + (1 - float(m)) * x for a, x in zip(old, new)]
        if self.frequency and self.t % self.frequency == 0:
            new = [a.copy() for a in self.averages]
        return new


CASES = {"ema": WrapperCase(
    configs=({"momentum": 0.9}, {"momentum": 0.5, "overwrite_frequency": 3},
             {"momentum": 0.9, "start_step": 0, "dynamic_decay": True, "initial_average": "zeros",
              "float32_decay": True}),
    oracle=EMAReference, inners=("adam",))}

X0, G, LR = np.array([1.0, -2.0]), np.array([0.5, 1.5]), 0.1


def test_oracle_matches_closed_form_for_constant_gradient():
    # GD moves by c = lr*g a step; the average lags by d_t = m(c + d_{t-1}), d_1 = 0.
    m, c = 0.8, LR * G
    oracle, x = EMAReference(reference.GD(learning_rate=LR), momentum=m), X0
    for t in range(1, 15):
        x = oracle.step([G], [x])[0]
        np.testing.assert_allclose(x, X0 - t * c, rtol=1e-12)
        np.testing.assert_allclose(oracle.averages[0], x + c * m * (1 - m**(t - 1)) / (1 - m),
                                   rtol=1e-12)


def test_oracle_overwrites_every_frequency_steps():
    m, c = 0.8, LR * G
    oracle, x = EMAReference(reference.GD(learning_rate=LR), momentum=m, overwrite_frequency=3), X0
    x = oracle.step([G], [oracle.step([G], [x])[0]])[0]
    np.testing.assert_allclose(x, X0 - 2 * c, rtol=1e-12)  # not yet
    x = oracle.step([G], [x])[0]
    np.testing.assert_allclose(x, X0 - 3 * c + c * (m + m**2), rtol=1e-12)


@pytest.mark.parametrize("config", CASES["ema"].configs)
def test_matches_oracle_weights_and_averages(config):
    values = initial_values()
    variables = make_variables(values, tf.float64)
    opt = coreopt.EMA(coreopt.Adam(0.01), **config)
    oracle, params = EMAReference(reference.Adam(learning_rate=0.01), **config), values
    for step in range(10):
        opt.apply_gradients([gradient(v.value(), step) for v in variables], variables)
        params = oracle.step([gradient(p, step) for p in params], params)
    for v, p, a in zip(variables, params, oracle.averages):
        assert relative_error(v.numpy(), p) <= 1e-12
        assert relative_error(opt.get_slot(v, "average").numpy(), a) <= 1e-12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("frequency", [None, 3])
def test_matches_keras_use_ema(dtype, frequency):
    values = initial_values(seed=3)
    ours, theirs = make_variables(values, dtype), make_variables(values, dtype)
    keras_opt = keras.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9,
                                      ema_overwrite_frequency=frequency)
    opt = coreopt.EMA(coreopt.Adam(0.01, epsilon_hat=True, float32_correction_betas=True),
                      momentum=0.9, overwrite_frequency=frequency or 0)
    for step in range(100):
        opt.apply_gradients([gradient(v.value(), step) for v in ours], ours)
        keras_opt.apply([gradient(v.value(), step) for v in theirs], theirs)
    tolerance = 1e-6 if dtype == "float64" else 1e-5
    averages = keras_opt._model_variables_moving_average
    for a, b, average in zip(ours, theirs, averages):
        assert relative_error(a.numpy(), b.numpy()) <= tolerance
        assert relative_error(opt.get_slot(a, "average").numpy(), average.numpy()) <= tolerance
    opt.finalize(ours)
    keras_opt.finalize_variable_values(theirs)
    for a, b in zip(ours, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= tolerance


def _trained():
    x, y = tf.Variable([1.0, 2.0]), tf.Variable(3.0)
    opt = coreopt.EMA(coreopt.GradientDescent(0.1), momentum=0.5)
    for _ in range(3):
        opt.apply_gradients([tf.constant([1.0, -1.0]), tf.constant(2.0)], [x, y])
    return opt, x, y


def test_swapped_puts_averages_in_and_restores_after():
    opt, x, y = _trained()
    trained = [x.numpy(), y.numpy()]
    averages = [opt.get_slot(v, "average").numpy() for v in (x, y)]
    assert not np.allclose(trained[0], averages[0])
    with opt.swapped([x, y]):
        np.testing.assert_array_equal(x.numpy(), averages[0])
        np.testing.assert_array_equal(y.numpy(), averages[1])
    np.testing.assert_array_equal(x.numpy(), trained[0])
    np.testing.assert_array_equal(y.numpy(), trained[1])


def test_swapped_restores_after_an_exception():
    opt, x, y = _trained()
    trained = x.numpy()
    with pytest.raises(RuntimeError, match="evaluation failed"):
        with opt.swapped([x, y]):
            raise RuntimeError("evaluation failed")
    np.testing.assert_array_equal(x.numpy(), trained)


def test_finalize_writes_the_averages():
    opt, x, y = _trained()
    average = opt.get_slot(x, "average").numpy()
    opt.finalize([x, y])
    np.testing.assert_array_equal(x.numpy(), average)


@pytest.mark.parametrize("use", ["swapped", "finalize"])
def test_unbuilt_variables_are_refused_before_any_change(use):
    opt, x, y = _trained()
    stranger = tf.Variable([5.0], name="stranger")
    before = x.numpy()
    with pytest.raises(ValueError, match="stranger.*never built"):
        getattr(opt, use)([x, stranger])
    with pytest.raises(TypeError, match=r"variables\[1\]"):
        getattr(opt, use)([x, np.zeros(2)])
    np.testing.assert_array_equal(x.numpy(), before)


def test_average_is_the_first_step_weights_and_slots_nest():
    x = tf.Variable([1.0, 2.0])
    opt = coreopt.EMA(coreopt.Adam(0.1), momentum=0.9)
    opt.build([x])
    np.testing.assert_array_equal(opt.get_slot(x, "average").numpy(), [1.0, 2.0])
    opt.apply_gradients([tf.constant([1.0, 1.0])], [x])
    np.testing.assert_array_equal(opt.get_slot(x, "average").numpy(), x.numpy())
    assert set(opt.slot_variables(x)) == {"average", "inner"}
    assert int(opt.state_variables()["inner"]["iterations"].numpy()) == 1


@pytest.mark.parametrize("bad, match", [({"momentum": 1.0}, "momentum"),
                                        ({"momentum": -0.1}, "momentum"),
                                        ({"overwrite_frequency": -1}, "overwrite_frequency"),
                                        ({"overwrite_frequency": 2.5}, "overwrite_frequency")])
def test_bad_arguments(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        coreopt.EMA(coreopt.Adam(), **bad)
