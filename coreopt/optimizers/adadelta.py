"""Adadelta: step sizes from the ratio of running RMS of updates and gradients.

Math:
    E[g^2]_t = rho * E[g^2]_{t-1} + (1 - rho) * g_t^2
    dx_t = -sqrt(E[dx^2]_{t-1} + epsilon) / sqrt(E[g^2]_t + epsilon) * g_t
    E[dx^2]_t = rho * E[dx^2]_{t-1} + (1 - rho) * dx_t^2
    x_t = x_{t-1} + lr * dx_t

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.Adadelta()
    >>> opt.apply_gradients([tf.constant(1.0)], [x])   # sqrt(1e-6) / sqrt(0.05)
    >>> round(1.0 - float(x.numpy()), 4)
    0.0045

References:
    Zeiler, 2012, "ADADELTA: An Adaptive Learning Rate Method".

Notes:
    The paper has no learning rate (lr = 1, the default here and torch's
    default); Keras and torch multiply the update by one. Paper defaults:
    rho 0.95, epsilon 1e-6 (Keras uses lr 1e-3, epsilon 1e-7).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def adadelta_update(g, x, slots, t, *, learning_rate, rho, epsilon):
    """Pure Adadelta step; returns (new x, {"grad_avg", "delta_avg"})."""
    eps = ops.like(epsilon, x)
    grad_avg = ops.ema(slots["grad_avg"], tf.square(g), rho)
    delta = -(tf.sqrt(slots["delta_avg"] + eps) * g) / tf.sqrt(grad_avg + eps)
    delta_avg = ops.ema(slots["delta_avg"], tf.square(delta), rho)
    new_x = x + ops.like(learning_rate, x) * delta
    return new_x, {"grad_avg": grad_avg, "delta_avg": delta_avg}


@register("adadelta", description="Adadelta: unit-corrected running RMS ratio")
class Adadelta(Optimizer):
    """Adadelta.

    Args:
        learning_rate: float >= 0 (1.0 is the paper's method), `tf.Variable`, or schedule.
        rho: decay of both running averages, in [0, 1).
        epsilon: > 0.
    """

    update_fn = staticmethod(adadelta_update)
    slot_names = ("grad_avg", "delta_avg")

    spec = Spec(
        numeric("learning_rate", 1.0, "[0, inf)", schedule=True),
        numeric("rho", 0.95, "[0, 1)"),
        numeric("epsilon", 1e-6, "(0, inf)"),
    )
