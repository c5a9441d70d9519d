"""Adafactor: factored second moments and relative step sizes.

Math (no momentum; for a parameter of rank >= 2 the second moment is factored
over its last two axes, otherwise kept whole):
    rho_t = min(lr, 1 / sqrt(t)),   alpha_t = max(epsilon_2, RMS(x_{t-1})) * rho_t
    beta_t = 1 - t^beta_2_decay,    G_t = g_t^2 + epsilon_1
    R_t = beta_t R_{t-1} + (1 - beta_t) mean(G_t, last axis)
    C_t = beta_t C_{t-1} + (1 - beta_t) mean(G_t, second-last axis)
    V_t = R_t C_t / mean(R_t)        (outer product; unfactored:
                                      V_t = beta_t V_{t-1} + (1 - beta_t) G_t)
    U_t = g_t / sqrt(V_t),           U^_t = U_t / max(1, RMS(U_t) / clip_threshold)
    x_t = x_{t-1} - alpha_t * U^_t

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(tf.ones([2, 3]))
    >>> opt = coreopt.Adafactor()
    >>> opt.apply_gradients([tf.ones([2, 3])], [x])   # alpha_1 = 1 * 0.01
    >>> [sorted(opt.get_slot(x, k).shape.as_list()) for k in ("r", "c")]
    [[2], [3]]
    >>> round(float(x.numpy()[0, 0]), 5)
    0.99

References:
    Shazeer & Stern, 2018, "Adafactor: Adaptive Learning Rates with Sublinear
    Memory Cost" (Algorithms 4 and 5, relative step, update clipping).

Notes:
    `learning_rate` caps the relative step (the paper's 1e-2 by default; Keras
    uses 1e-3). Keras 3 computes the same update; its `relative_step` flag does
    not change it. The paper's factored form means no full-size slot for
    matrices (Keras keeps one anyway). A zero gradient entry gives a zero step
    even where the factored v underflows to 0 in float32 (Keras and the plain
    formula give NaN there: 0 / sqrt(0)).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def adafactor_update(g, x, slots, t, *, learning_rate, beta_2_decay, epsilon_1, epsilon_2,
                     clip_threshold):
    """Pure Adafactor step; returns (new x, {"r", "c"} or {"v"})."""
    rho = tf.minimum(learning_rate, 1 / tf.sqrt(t))
    alpha = tf.maximum(ops.like(epsilon_2, x), ops.rms(x)) * ops.like(rho, x)
    beta, one_minus_beta = ops.like(1 - t**beta_2_decay, x), ops.like(t**beta_2_decay, x)
    G = tf.square(g) + ops.like(epsilon_1, x)
    if "v" in slots:
        v = beta * slots["v"] + one_minus_beta * G
        new = {"v": v}
    else:
        r = beta * slots["r"] + one_minus_beta * tf.reduce_mean(G, axis=-1)
        c = beta * slots["c"] + one_minus_beta * tf.reduce_mean(G, axis=-2)
        row = r / tf.reduce_mean(r, axis=-1, keepdims=True)
        v = row[..., :, None] * c[..., None, :]
        new = {"r": r, "c": c}
    # Where g is 0 the step is 0, even if v underflowed to 0 (a zero row and a
    # zero column of a float32 gradient give v ~ 1e-60): no 0 / 0 = NaN.
    u = tf.math.divide_no_nan(g, tf.sqrt(v))
    u = u / tf.maximum(tf.ones([], x.dtype), ops.rms(u) / ops.like(clip_threshold, x))
    return x - alpha * u, new


@register("adafactor", description="Adafactor: factored second moments, relative steps")
class Adafactor(Optimizer):
    """Adafactor.

    Args:
        learning_rate: the cap on the relative step size, float >= 0 or schedule.
        beta_2_decay: <= 0, the exponent in beta_t = 1 - t^beta_2_decay.
        epsilon_1: > 0, added to the squared gradient.
        epsilon_2: > 0, the smallest parameter scale.
        clip_threshold: > 0, d in the update clipping.
    """

    update_fn = staticmethod(adafactor_update)

    spec = Spec(
        numeric("learning_rate", 1e-2, "[0, inf)", schedule=True),
        numeric("beta_2_decay", -0.8, "(-inf, 0]"),
        numeric("epsilon_1", 1e-30, "(0, inf)"),
        numeric("epsilon_2", 1e-3, "(0, inf)"),
        numeric("clip_threshold", 1.0, "(0, inf)"),
    )

    def init_slots(self, x):
        if x.shape.rank < 2:
            return {"v": tf.zeros_like(x)}
        return {"r": tf.zeros(x.shape[:-1], x.dtype),
                "c": tf.zeros(x.shape[:-2] + x.shape[-1:], x.dtype)}
