"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule.

Math:
    mu_t = beta_1 * (1 - 0.5 * 0.96^(t * momentum_decay)),   P_t = mu_1 * ... * mu_t
    m_t = beta_1 * m_{t-1} + (1 - beta_1) * g_t
    v_t = beta_2 * v_{t-1} + (1 - beta_2) * g_t^2
    m^_t = mu_{t+1} * m_t / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g_t / (1 - P_t)
    v^_t = v_t / (1 - beta_2^t)
    x_t = x_{t-1} - lr * m^_t / (sqrt(v^_t) + epsilon)

With `constant_momentum=True`, mu_t = beta_1 for every t (so P_t = beta_1^t and
`momentum_decay` is unused).

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.Nadam(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant(2.0)], [x])
    >>> 0.8 < float(x.numpy()) < 0.95
    True

References:
    Dozat, 2016, "Incorporating Nesterov Momentum into Adam" (the schedule
    mu_t = beta_1 (1 - 0.5 * 0.96^(t/250)), i.e. momentum_decay = 1/250).

Notes:
    Three Nadams are in use. torch's is this one (momentum_decay=0.004). Keras's
    leaves out the 1/250 and uses 0.96^t: `Nadam(momentum_decay=1.0)` matches it.
    Keras 3 also rounds beta_1, beta_2 and 0.96 to float32 in the step (the
    moments, mu_t, mu_{t+1} and the correction of v), for float64 variables too,
    but not in its running product P_t (keras/src/optimizers/nadam.py):
    `float32_constants=True`. optax's nadam (`scale_by_adam(nesterov=True)` in
    optax/_src/transform.py) has no momentum schedule: `constant_momentum=True`.
    The running product P_t is a scalar slot per variable, kept in float64.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def momentum_schedule(beta_1, momentum_decay, t, constant=False, base=0.96):
    """mu_t = beta_1 (1 - 0.5 base^(t momentum_decay)), or beta_1 when `constant`."""
    if constant:
        return beta_1 * tf.ones_like(t)
    return beta_1 * (1 - 0.5 * base ** (t * momentum_decay))


def nadam_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon, momentum_decay,
                 constant_momentum=False, float32_constants=False):
    """Pure Nadam step; returns (new x, {"m", "v", "mu_product"})."""
    product = slots["mu_product"] * momentum_schedule(beta_1, momentum_decay, t,
                                                      constant_momentum)
    base = ops.f64(0.96)
    if float32_constants:  # the step's constants, not the product's
        beta_1, beta_2 = ops.round_to_float32(beta_1), ops.round_to_float32(beta_2)
        base = ops.round_to_float32(base)
    mu_t = momentum_schedule(beta_1, momentum_decay, t, constant_momentum, base)
    mu_next = momentum_schedule(beta_1, momentum_decay, t + 1, constant_momentum, base)
    m = ops.ema(slots["m"], g, beta_1)
    v = ops.ema(slots["v"], tf.square(g), beta_2)
    m_hat = (ops.like(mu_next / (1 - product * mu_next), x) * m
             + ops.like((1 - mu_t) / (1 - product), x) * g)
    v_hat = v / ops.like(1 - beta_2**t, x)
    step = ops.like(learning_rate, x) * m_hat / (tf.sqrt(v_hat) + ops.like(epsilon, x))
    return x - step, {"m": m, "v": v, "mu_product": product}


@register("nadam", description="Nadam: Adam with Nesterov momentum (Dozat's schedule)")
class Nadam(Optimizer):
    """Nadam.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: decay rates, in [0, 1).
        epsilon: > 0, added to the denominator.
        momentum_decay: >= 0, psi in mu_t = beta_1 (1 - 0.5 * 0.96^(psi t)).
        constant_momentum: mu_t = beta_1 for every t (optax).
        float32_constants: round beta_1, beta_2 and 0.96 to float32 in the step,
            not in P_t, as Keras 3 does even for float64 variables.
    """

    update_fn = staticmethod(nadam_update)
    slot_names = ("m", "v", "mu_product")

    spec = Spec(
        numeric("learning_rate", 2e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-8, "(0, inf)"),
        numeric("momentum_decay", 0.004, "[0, inf)"),
        option("constant_momentum", False),
        option("float32_constants", False),
    )

    def init_slots(self, x):
        """Zero moments; P_t of the steps already taken, so a late variable joins the schedule."""
        hyper = self.hyperparameters(self.state_variables())
        done = tf.cast(tf.range(1, self.iterations + 1), tf.float64)
        mu = momentum_schedule(hyper["beta_1"], hyper["momentum_decay"], done,
                               self._options["constant_momentum"])
        return {"m": tf.zeros_like(x), "v": tf.zeros_like(x), "mu_product": tf.reduce_prod(mu)}
