"""Adan: adaptive Nesterov momentum from moments of the gradient and its difference.

Math (Algorithm 1 of the paper with its betas written as 1 - beta, bias-corrected
as the authors' code and optax do):
    d_t = g_t - g_{t-1}   (d_1 = 0)
    m_t = beta_1 * m_{t-1} + (1 - beta_1) * g_t
    v_t = beta_2 * v_{t-1} + (1 - beta_2) * d_t
    n_t = beta_3 * n_{t-1} + (1 - beta_3) * (g_t + beta_2 * d_t)^2
    m^_t, v^_t, n^_t = m_t, v_t, n_t over (1 - beta_1^t), (1 - beta_2^t), (1 - beta_3^t)
    u_t = (m^_t + beta_2 * v^_t) / (sqrt(n^_t + epsilon_root) + epsilon)
    x_t = (x_{t-1} - lr * u_t) / (1 + lr * weight_decay)

With `difference_weight="one_minus_beta_2"`, the two `beta_2 *` factors on d_t
and v^_t are (1 - beta_2) instead (optax's form).

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = coreopt.Adan(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant([3.0, -0.5])], [x])   # d_1 = 0: moves by lr
    >>> [round(float(v), 5) for v in x.numpy()]
    [0.9, 1.1]

References:
    Xie et al., 2022, "Adan: Adaptive Nesterov Momentum Algorithm for Faster
    Optimizing Deep Models" (Algorithm 1); github.com/sail-sg/Adan (adan.py,
    the authors' code); optax/_src/transform.py (scale_by_adan) and alias.py.

Notes:
    The paper's beta_i are 1 - beta_i here (its 0.02, 0.08, 0.01), so its
    (1 - beta_2) factor on the difference is beta_2 here, as in the authors'
    code. Defaults are optax's and the authors' (betas 0.98/0.92/0.99,
    epsilon 1e-8 outside the root, lr 1e-3 as the authors'); epsilon_root is
    0 as in the authors' code and optax's `scale_by_adan` (the paper puts its
    epsilon under the root only). optax weights the difference by
    1 - beta_2 = 0.08 instead of 0.92 (open optax pull request #1715 reports
    it): `Adan(epsilon_root=1e-8, difference_weight="one_minus_beta_2")`
    reproduces `optax.adan`'s defaults. The first step has no difference
    (g_0 = g_1), as in optax and the authors' code; it is the optimizer's
    first step, so a variable built later starts from g_prev = 0.
    `weight_decay` is the paper's proximal form (the authors' default,
    `no_prox=False`); optax's decay, x - lr * (u + wd * x), is
    `DecoupledWeightDecay(Adan(...), wd)`. Keras has no Adan.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def adan_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, beta_3, epsilon, epsilon_root,
                weight_decay, difference_weight="beta_2"):
    """Pure Adan step; returns (new x, {"m", "v", "n", "g_prev"})."""
    d = tf.where(t > 1, g - slots["g_prev"], tf.zeros_like(g))
    m = ops.ema(slots["m"], g, beta_1)
    v = ops.ema(slots["v"], d, beta_2)
    w = ops.like(beta_2 if difference_weight == "beta_2" else 1 - beta_2, x)
    n = ops.ema(slots["n"], tf.square(g + w * d), beta_3)
    m_hat = m / ops.like(1 - beta_1**t, x)
    v_hat = v / ops.like(1 - beta_2**t, x)
    n_hat = n / ops.like(1 - beta_3**t, x)
    u = (m_hat + w * v_hat) / (tf.sqrt(n_hat + ops.like(epsilon_root, x)) + ops.like(epsilon, x))
    lr = ops.like(learning_rate, x)
    new_x = (x - lr * u) / (1 + lr * ops.like(weight_decay, x))
    return new_x, {"m": m, "v": v, "n": n, "g_prev": g}


@register("adan", description="Adan: adaptive Nesterov momentum (gradient differences)")
class Adan(Optimizer):
    """Adan.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2, beta_3: decay rates of m, v and n, in [0, 1).
        epsilon: > 0, added to sqrt(n^_t).
        epsilon_root: >= 0, added to n^_t under the root.
        weight_decay: >= 0, the paper's proximal decay lambda.
        difference_weight: "beta_2" (the paper, the authors' code) or
            "one_minus_beta_2" (optax), the factor on d_t and v^_t.
    """

    update_fn = staticmethod(adan_update)
    slot_names = ("m", "v", "n", "g_prev")

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.98, "[0, 1)"),
        numeric("beta_2", 0.92, "[0, 1)"),
        numeric("beta_3", 0.99, "[0, 1)"),
        numeric("epsilon", 1e-8, "(0, inf)"),
        numeric("epsilon_root", 0.0, "[0, inf)"),
        numeric("weight_decay", 0.0, "[0, inf)"),
        option("difference_weight", "beta_2", choices=("beta_2", "one_minus_beta_2")),
    )
