"""RMSprop, optionally centered and with momentum.

Math:
    v_0 = initial_accumulator_value (0 by default),  a_0 = 0
    v_t = rho * v_{t-1} + (1 - rho) * g_t^2
    d_t = v_t - a_t^2, a_t = rho * a_{t-1} + (1 - rho) * g_t   (centered=True)
    d_t = v_t                                                 (otherwise)
    (bias_correction=True: v_t and a_t are divided by 1 - rho^t in d_t)
    s_t = sqrt(d_t + epsilon)  (epsilon_inside_sqrt=True)  or  sqrt(d_t) + epsilon
    without momentum:  x_t = x_{t-1} - lr * g_t / s_t
    with momentum mu:  b_t = mu * b_{t-1} + lr * g_t / s_t,  x_t = x_{t-1} - b_t
                       (lr_inside_momentum=False: b_t = mu b_{t-1} + g_t / s_t,
                        x_t = x_{t-1} - lr * b_t)
    nesterov=True:     x_t = x_{t-1} - (lr * g_t / s_t + mu * b_t)
                       (lr outside: x_t = x_{t-1} - lr * (g_t / s_t + mu * b_t))

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.RMSprop(learning_rate=0.01)
    >>> opt.apply_gradients([tf.constant(2.0)], [x])   # 1 - 0.01 * 2 / sqrt(0.1 * 4)
    >>> round(float(x.numpy()), 5)
    0.96838

References:
    Tieleman & Hinton, 2012, "Lecture 6.5 - RMSProp", COURSERA: Neural Networks
    for Machine Learning; Graves, 2013, "Generating Sequences With Recurrent
    Neural Networks" (centered form).

Notes:
    The lecture has no epsilon and no momentum. Defaults follow Keras (rho 0.9,
    epsilon 1e-7 inside the square root, learning rate inside the momentum
    buffer). torch: `epsilon_inside_sqrt=False, lr_inside_momentum=False`,
    rho 0.99, epsilon 1e-8. optax.rmsprop (optax/_src/alias.py: `scale_by_rms` or
    `scale_by_stddev`, then the learning rate, then `trace`) keeps the learning
    rate inside the buffer, and its `nesterov`, `initial_scale` and
    `bias_correction` (optax/_src/transform.py) are `nesterov`,
    `initial_accumulator_value` and `bias_correction` here. The momentum buffer
    exists only when momentum != 0; without it `nesterov` changes nothing.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def rmsprop_update(g, x, slots, t, *, learning_rate, rho, momentum, epsilon, centered,
                   epsilon_inside_sqrt, lr_inside_momentum, initial_accumulator_value=0.0,
                   nesterov=False, bias_correction=False):
    """Pure RMSprop step; returns (new x, `{"v"[, "g_avg"][, "buffer"]}`).

    `initial_accumulator_value` is read by `RMSprop.init_slots` (the start of v).
    """
    lr, eps = ops.like(learning_rate, x), ops.like(epsilon, x)
    v = ops.ema(slots["v"], tf.square(g), rho)
    new = {"v": v}
    correction = ops.like(1 - rho**t, x) if bias_correction else None
    d = v if correction is None else v / correction
    if centered:
        a = new["g_avg"] = ops.ema(slots["g_avg"], g, rho)
        d = d - tf.square(a if correction is None else a / correction)
    s = tf.sqrt(d + eps) if epsilon_inside_sqrt else tf.sqrt(d) + eps
    if "buffer" not in slots:
        return x - lr * g / s, new
    mu = ops.like(momentum, x)
    if lr_inside_momentum:
        step = lr * g / s
        b = new["buffer"] = mu * slots["buffer"] + step
        return (x - (step + mu * b) if nesterov else x - b), new
    u = g / s
    b = new["buffer"] = mu * slots["buffer"] + u
    return x - lr * (u + mu * b if nesterov else b), new


@register("rmsprop", description="RMSprop: gradient over a running RMS (momentum=, centered=)")
class RMSprop(Optimizer):
    """RMSprop.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        rho: decay of the squared-gradient average, in [0, 1).
        momentum: in [0, 1); a momentum buffer is kept when it is not 0.
        epsilon: > 0.
        centered: divide by the estimated standard deviation instead of the RMS.
        epsilon_inside_sqrt: sqrt(d + eps) (Keras) or sqrt(d) + eps (torch).
        lr_inside_momentum: learning rate inside the momentum buffer (Keras) or outside (torch).
        initial_accumulator_value: >= 0, the start of v (optax's initial_scale).
        nesterov: Nesterov's look-ahead with the momentum buffer (optax).
        bias_correction: divide v (and a, centered) by 1 - rho^t (optax).
    """

    update_fn = staticmethod(rmsprop_update)

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("rho", 0.9, "[0, 1)"),
        numeric("momentum", 0.0, "[0, 1)"),
        numeric("epsilon", 1e-7, "(0, inf)"),
        option("centered", False),
        option("epsilon_inside_sqrt", True),
        option("lr_inside_momentum", True),
        numeric("initial_accumulator_value", 0.0, "[0, inf)"),
        option("nesterov", False),
        option("bias_correction", False),
    )

    def init_slots(self, x):
        """v filled with the initial accumulator value; the others at zero."""
        slots = super().init_slots(x)
        slots["v"] = ops.full_like(x, self.hyperparameters(self.state_variables())[
            "initial_accumulator_value"])
        return slots

    @property
    def slot_names(self):
        momentum = self._hyper["momentum"]
        # A variable or tensor (a batch of momenta in the lab) may be non-zero;
        # with momentum 0 the buffer's step equals the plain one bit for bit.
        with_buffer = isinstance(momentum, (tf.Variable, tf.Tensor)) or momentum != 0
        return ("v",) + (("g_avg",) if self._options["centered"] else ()) + (
            ("buffer",) if with_buffer else ())
