"""Optimistic gradient descent: a step on the gradient extrapolated from the last one.

Math (optax's generalized form; g_0 = g_1, so the first step is lr * alpha * g_1):
    u_t = (alpha + beta) * g_t - beta * g_{t-1}
    x_t = x_{t-1} - lr * u_t

alpha = beta = 1 is the optimistic step of Daskalakis et al.,
x_t = x_{t-1} - 2 lr g_t + lr g_{t-1}; beta = 0 is plain gradient descent.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.OptimisticGD(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant(1.0)], [x])   # first step: alpha * g
    >>> opt.apply_gradients([tf.constant(3.0)], [x])   # then 2 * 3 - 1
    >>> round(float(x.numpy()), 6)
    0.4

References:
    Daskalakis, Ilyas, Syrgkanis & Zeng, 2018, "Training GANs with Optimism";
    Mokhtari, Ozdaglar & Pattathil, 2020, "A Unified Analysis of Extra-gradient
    and Optimistic Gradient Methods for Saddle Point Problems: Proximal Point
    Approach" (the alpha, beta form); optax/_src/alias.py
    (optimistic_gradient_descent) and transform.py
    (scale_by_optimistic_gradient).

Notes:
    Defaults: alpha 1 and beta 1 are optax's; lr 1e-3 as `GradientDescent`
    (optax has none). As in optax (since its issue #1082), the first step
    uses the current gradient for the missing previous one; it is the
    optimizer's first step, so a variable built later starts from
    g_prev = 0. optax's alpha and beta may be schedules; here they are
    numbers. Keras and torch have no optimistic gradient descent.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def optimistic_gd_update(g, x, slots, t, *, learning_rate, alpha, beta):
    """Pure optimistic step; returns (new x, {"g_prev"})."""
    prev = tf.where(t > 1, slots["g_prev"], g)
    u = ops.like(alpha + beta, x) * g - ops.like(beta, x) * prev
    return x - ops.like(learning_rate, x) * u, {"g_prev": g}


@register("optimistic_gd", description="Optimistic gradient descent (the last gradient as a slot)")
class OptimisticGD(Optimizer):
    """Optimistic gradient descent.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        alpha: >= 0, the weight of the current gradient (beyond beta's).
        beta: >= 0, the weight of the change from the previous gradient.
    """

    update_fn = staticmethod(optimistic_gd_update)
    slot_names = ("g_prev",)

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("alpha", 1.0, "[0, inf)"),
        numeric("beta", 1.0, "[0, inf)"),
    )
