"""Adamax: Adam with the infinity norm.

Math:
    m_t = beta_1 * m_{t-1} + (1 - beta_1) * g_t
    u_t = max(beta_2 * u_{t-1}, |g_t|)
    x_t = x_{t-1} - lr * m_t / ((1 - beta_1^t) * (u_t + epsilon))

With `epsilon_inside_max=True`, epsilon enters the maximum instead (and so
the slot u):
    u_t = max(beta_2 * u_{t-1}, |g_t| + epsilon)
    x_t = x_{t-1} - lr * m_t / ((1 - beta_1^t) * u_t)

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.Adamax(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant(-4.0)], [x])   # first step moves by ~lr
    >>> round(float(x.numpy()), 5)
    1.1

References:
    Kingma & Ba, 2015, "Adam: A Method for Stochastic Optimization", section 7.1.

Notes:
    The paper has no epsilon; like Keras, coreopt adds it to u outside the
    maximum by default. torch.optim.Adamax (torch/optim/adamax.py) and
    optax.adamax (`update_infinity_moment` in optax/tree_utils/_tree_math.py)
    add it inside: `epsilon_inside_max=True`. Keras 3 rounds beta_1 to
    float32 in the bias correction only, for float64 variables too
    (keras/src/optimizers/adamax.py): `float32_correction_betas=True`.
    Defaults are the paper's (lr 2e-3) with Keras's epsilon 1e-7.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def adamax_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon,
                  epsilon_inside_max=False, float32_correction_betas=False):
    """Pure Adamax step; returns (new x, {"m", "u"})."""
    m = ops.ema(slots["m"], g, beta_1)
    eps = ops.like(epsilon, x)
    if epsilon_inside_max:
        u = tf.maximum(ops.like(beta_2, x) * slots["u"], tf.abs(g) + eps)
        denominator_u = u
    else:
        u = tf.maximum(ops.like(beta_2, x) * slots["u"], tf.abs(g))
        denominator_u = u + eps
    if float32_correction_betas:
        beta_1 = ops.round_to_float32(beta_1)
    denominator = ops.like(1 - beta_1**t, x) * denominator_u
    return x - ops.like(learning_rate, x) * m / denominator, {"m": m, "u": u}


@register("adamax", description="Adamax: Adam with an infinity-norm second moment")
class Adamax(Optimizer):
    """Adamax.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: decay rates, in [0, 1).
        epsilon: > 0, added to u.
        epsilon_inside_max: add epsilon to |g| inside the maximum (torch, optax).
        float32_correction_betas: round beta_1 to float32 in the bias
            correction only, as Keras 3 does even for float64 variables.
    """

    update_fn = staticmethod(adamax_update)
    slot_names = ("m", "u")

    spec = Spec(
        numeric("learning_rate", 2e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-7, "(0, inf)"),
        option("epsilon_inside_max", False),
        option("float32_correction_betas", False),
    )
