"""RAdam: Adam with the variance of its adaptive step rectified.

Math (Algorithm 2 of the paper, with torch's epsilon and threshold):
    m_t, v_t as in Adam;  m^_t = m_t / (1 - beta_1^t)
    rho_inf = 2 / (1 - beta_2) - 1,   rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
    if rho_t > threshold:
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        l_t = sqrt(1 - beta_2^t) / (sqrt(v_t) + epsilon)
        x_t = x_{t-1} - lr * r_t * l_t * m^_t
    else:
        x_t = x_{t-1} - lr * m^_t          (bias-corrected momentum SGD)

With `epsilon_hat=False`, l_t = 1 / (sqrt(v_t / (1 - beta_2^t)) + epsilon) instead.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.RAdam(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant(3.0)], [x])   # rho_1 = 1: x - lr * m^_1 = x - lr * g
    >>> round(float(x.numpy()), 5)
    0.7

References:
    Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and Beyond"
    (Algorithm 2); torch/optim/radam.py; optax/_src/transform.py (scale_by_radam);
    github.com/LiyuanLucasLiu/RAdam (radam/radam.py, the authors' code).

Notes:
    Defaults are torch's and the authors' (lr 1e-3, betas 0.9/0.999, epsilon
    1e-8, threshold 5). The libraries place epsilon differently: torch and the
    authors' code add it to sqrt(v_t) before the bias correction, as written
    above (`epsilon_hat=True`, the default); optax adds it to sqrt(v^_t)
    (`epsilon_hat=False`; optax's `eps_root`, 0 by default, is not offered).
    torch rectifies where rho_t > 5, optax and the authors' code where
    rho_t >= 5: they differ only if rho_t equals the threshold exactly (with
    beta_2 = 0.999, rho_5 = 4.996 and rho_6 = 5.994, so all start at step 6).
    The paper's Algorithm 2 itself rectifies where rho_t > 4 (`threshold=4`).
    torch and optax take the un-rectified steps with m^_t alone, as here; the
    authors' `RAdam` class by default takes none there (its
    `degenerated_to_sgd=False`, not offered). rho_t is computed in float64.
    Keras has no RAdam. torch's `weight_decay` (added to the gradient) is
    `CoupledWeightDecay(RAdam(...), weight_decay)` (the `l2` wrapper); its
    `decoupled_weight_decay=True` is `DecoupledWeightDecay(RAdam(...), weight_decay)`.
    optax's float32 runs compute rho_t and r_t in float32, where the difference
    in rho_t cancels; no option reproduces that rounding (it depends on the
    order of optax's own expressions, not only on the precision).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def radam_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon, threshold,
                 epsilon_hat=True):
    """Pure RAdam step; returns (new x, {"m", "v"})."""
    m = ops.ema(slots["m"], g, beta_1)
    v = ops.ema(slots["v"], tf.square(g), beta_2)
    correction_1, correction_2 = 1 - beta_1**t, 1 - beta_2**t
    rho_inf = 2 / (1 - beta_2) - 1
    rho = rho_inf - 2 * t * beta_2**t / correction_2
    # max(., 0): no NaN where rho_t <= 4, a step that is not rectified anyway.
    rect = tf.sqrt(tf.maximum(rho - 4, 0) * (rho - 2) * rho_inf
                   / ((rho_inf - 4) * (rho_inf - 2) * rho))
    eps = ops.like(epsilon, x)
    if epsilon_hat:
        adaptive = ops.like(rect * tf.sqrt(correction_2), x) / (tf.sqrt(v) + eps)
    else:
        adaptive = ops.like(rect, x) / (tf.sqrt(v / ops.like(correction_2, x)) + eps)
    scale = tf.where(rho > threshold, adaptive, tf.ones_like(x))
    m_hat = m / ops.like(correction_1, x)
    return x - ops.like(learning_rate, x) * (m_hat * scale), {"m": m, "v": v}


@register("radam", description="RAdam: Adam with its adaptive step's variance rectified")
class RAdam(Optimizer):
    """RAdam.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: decay rates of the moment estimates, in [0, 1).
        epsilon: > 0, added to the denominator.
        threshold: >= 4, the rectified step is taken where rho_t > threshold.
        epsilon_hat: add epsilon to sqrt(v_t) before the bias correction
            (torch, the default); False adds it to sqrt(v^_t) (optax).
    """

    update_fn = staticmethod(radam_update)
    slot_names = ("m", "v")

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-8, "(0, inf)"),
        numeric("threshold", 5.0, "[4, inf)"),
        option("epsilon_hat", True),
    )
