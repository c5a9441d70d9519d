"""Lion: evolved sign momentum.

Math:
    c_t = beta_1 * m_{t-1} + (1 - beta_1) * g_t
    x_t = x_{t-1} - lr * sign(c_t)
    m_t = beta_2 * m_{t-1} + (1 - beta_2) * g_t

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = coreopt.Lion(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant([0.3, -7.0])], [x])   # every step is +-lr
    >>> [round(float(v), 6) for v in x.numpy()]
    [0.9, 1.1]

References:
    Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms".

Notes:
    Paper defaults (lr 1e-4, betas 0.9/0.99); pair it with
    `DecoupledWeightDecay` for the paper's weight decay. Keras, torch and optax
    compute the same update.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def lion_update(g, x, slots, t, *, learning_rate, beta_1, beta_2):
    """Pure Lion step; returns (new x, {"m"})."""
    c = ops.ema(slots["m"], g, beta_1)
    new_m = ops.ema(slots["m"], g, beta_2)
    return x - ops.like(learning_rate, x) * tf.sign(c), {"m": new_m}


@register("lion", description="Lion: sign of an interpolated momentum")
class Lion(Optimizer):
    """Lion.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1: interpolation for the update direction, in [0, 1).
        beta_2: decay of the momentum, in [0, 1).
    """

    update_fn = staticmethod(lion_update)
    slot_names = ("m",)

    spec = Spec(
        numeric("learning_rate", 1e-4, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.99, "[0, 1)"),
    )
