"""LAMB: Adam's direction, scaled per layer by a trust ratio.

Math:
    m_t, v_t as in Adam;  r_t = m^_t / (sqrt(v^_t) + epsilon) + weight_decay * x_{t-1}
    ratio_t = ||x_{t-1}|| / ||r_t||   (1 if either norm is 0; norms over the whole variable)
    x_t = x_{t-1} - lr * ratio_t * r_t

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([3.0, 4.0])
    >>> opt = coreopt.Lamb(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant([1.0, 1.0])], [x])   # the step has norm lr * ||x||
    >>> round(float(tf.norm(x - [3.0, 4.0]).numpy()), 5)
    0.5

References:
    You et al., 2020, "Large Batch Optimization for Deep Learning: Training BERT
    in 76 minutes" (Algorithm 2, with phi the identity).

Notes:
    `weight_decay` here is the paper's, inside the trust ratio. Keras's Lamb has
    none inside; its `weight_decay` is decoupled and applied before the step:
    `DecoupledWeightDecay(Lamb(...), wd)`. Paper's epsilon 1e-6 (Keras 1e-7).
    Keras 3 rounds beta_1 and beta_2 to float32 in the bias corrections only,
    for float64 variables too, while its moment updates use them unrounded
    (keras/src/optimizers/lamb.py): `float32_correction_betas=True`, as in Adam.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def lamb_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon, weight_decay,
                float32_correction_betas=False):
    """Pure LAMB step; returns (new x, {"m", "v"})."""
    m = ops.ema(slots["m"], g, beta_1)
    v = ops.ema(slots["v"], tf.square(g), beta_2)
    if float32_correction_betas:
        beta_1, beta_2 = ops.round_to_float32(beta_1), ops.round_to_float32(beta_2)
    m_hat, v_hat = m / ops.like(1 - beta_1**t, x), v / ops.like(1 - beta_2**t, x)
    r = m_hat / (tf.sqrt(v_hat) + ops.like(epsilon, x)) + ops.like(weight_decay, x) * x
    x_norm, r_norm = ops.norm(x), ops.norm(r)
    ratio = tf.where((x_norm > 0) & (r_norm > 0), x_norm / r_norm, tf.ones_like(x_norm))
    return x - ratio * ops.like(learning_rate, x) * r, {"m": m, "v": v}


@register("lamb", description="LAMB: Adam direction with a layer-wise trust ratio")
class Lamb(Optimizer):
    """LAMB.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: decay rates, in [0, 1).
        epsilon: > 0.
        weight_decay: >= 0, the paper's lambda, inside the trust ratio.
        float32_correction_betas: round the betas to float32 in the bias
            corrections only, as Keras 3 does even for float64 variables.
    """

    update_fn = staticmethod(lamb_update)
    slot_names = ("m", "v")

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-6, "(0, inf)"),
        numeric("weight_decay", 0.0, "[0, inf)"),
        option("float32_correction_betas", False),
    )
