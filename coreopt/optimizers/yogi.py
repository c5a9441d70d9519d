"""Yogi: Adam with an additive, sign-controlled second moment.

Math (the update of the paper's Algorithm 2, with optax's initial values and bias
correction):
    m_0 = v_0 = initial_accumulator_value
    m_t = beta_1 * m_{t-1} + (1 - beta_1) * g_t
    v_t = v_{t-1} - (1 - beta_2) * sign(v_{t-1} - g_t^2) * g_t^2
    m^_t = m_t / (1 - beta_1^t),   v^_t = v_t / (1 - beta_2^t)
    x_t = x_{t-1} - lr * m^_t / (sqrt(v^_t) + epsilon)

With `epsilon_hat=True` epsilon is added before the bias correction:
x_t = x_{t-1} - lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m_t / (sqrt(v_t) + epsilon).
With `zero_initial_m=True`, m_0 = 0.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.Yogi(learning_rate=0.1, epsilon_hat=True, zero_initial_m=True)
    >>> opt.apply_gradients([tf.constant(2.0)], [x])   # v_1 ~ (1 - b2) g^2: a step of ~lr
    >>> round(float(x.numpy()), 3)
    0.902

References:
    Zaheer et al., 2018, "Adaptive Methods for Nonconvex Optimization"
    (Algorithm 2); optax/_src/transform.py (scale_by_yogi);
    tensorflow_addons/optimizers/yogi.py.

Notes:
    Defaults are optax's (betas 0.9/0.999, epsilon 1e-3, both moments starting
    at 1e-6) with TF-Addons' lr 1e-2 (optax has no default lr). optax starts m
    at the initial value too and adds epsilon to sqrt(v^_t); TF-Addons starts m
    at 0 and adds epsilon to sqrt(v_t) before the bias correction:
    `Yogi(epsilon_hat=True, zero_initial_m=True)` matches TF-Addons' Yogi with
    its defaults. TF-Addons' l1/l2 proximal steps and `activation="tanh"`, and
    optax's `eps_root` (0 by default), are not offered. Keras has no Yogi.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def yogi_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon,
                initial_accumulator_value, epsilon_hat=False, zero_initial_m=False):
    """Pure Yogi step; returns (new x, {"m", "v"}). The initial value only seeds the slots."""
    del initial_accumulator_value, zero_initial_m  # used by `Yogi.init_slots`
    m = ops.ema(slots["m"], g, beta_1)
    g2 = tf.square(g)
    v = slots["v"] - ops.like(1 - beta_2, x) * tf.sign(slots["v"] - g2) * g2
    correction_1, correction_2 = 1 - beta_1**t, 1 - beta_2**t
    eps = ops.like(epsilon, x)
    if epsilon_hat:
        alpha = ops.like(learning_rate * tf.sqrt(correction_2) / correction_1, x)
        return x - alpha * m / (tf.sqrt(v) + eps), {"m": m, "v": v}
    m_hat = m / ops.like(correction_1, x)
    v_hat = v / ops.like(correction_2, x)
    return x - ops.like(learning_rate, x) * m_hat / (tf.sqrt(v_hat) + eps), {"m": m, "v": v}


@register("yogi", description="Yogi: Adam with an additive second moment")
class Yogi(Optimizer):
    """Yogi.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: decay rates of m and v, in [0, 1).
        epsilon: > 0, added to the denominator.
        initial_accumulator_value: >= 0, the starting value of v (and of m).
        epsilon_hat: add epsilon before the bias correction (TF-Addons' form).
        zero_initial_m: start m at 0 (TF-Addons) instead of the initial value.
    """

    update_fn = staticmethod(yogi_update)
    slot_names = ("m", "v")

    spec = Spec(
        numeric("learning_rate", 1e-2, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-3, "(0, inf)"),
        numeric("initial_accumulator_value", 1e-6, "[0, inf)"),
        option("epsilon_hat", False),
        option("zero_initial_m", False),
    )

    def init_slots(self, x):
        """v (and m unless `zero_initial_m`) filled with the initial accumulator value."""
        v = ops.full_like(x, self.hyperparameters(self.state_variables())[
            "initial_accumulator_value"])
        m = tf.zeros_like(x) if self._options["zero_initial_m"] else v
        return {"m": m, "v": v}
