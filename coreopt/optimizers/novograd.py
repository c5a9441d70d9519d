"""NovoGrad: momentum on gradients normalized by a per-layer second moment.

Math (Algorithm 1 of the paper with optax's epsilon; one scalar v per variable, norms
over the whole variable):
    v_1 = ||g_1||^2,   v_t = beta_2 * v_{t-1} + (1 - beta_2) * ||g_t||^2
    u_t = g_t / (sqrt(v_t) + epsilon) + weight_decay * x_{t-1}
    m_t = beta_1 * m_{t-1} + u_t          (m_0 = 0, so m_1 = u_1)
    x_t = x_{t-1} - lr * m_t

With `grad_averaging=True`, u_t is scaled by (1 - beta_1) before it enters m_t.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = coreopt.NovoGrad(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant([3.0, -4.0])], [x])   # x - lr * g / ||g||
    >>> [round(float(v), 5) for v in x.numpy()]
    [0.94, 1.08]

References:
    Ginsburg et al., 2019, "Stochastic Gradient Methods with Layer-wise Adaptive
    Moments for Training of Deep Networks" (Algorithm 1);
    optax/_src/transform.py (scale_by_novograd) and alias.py (novograd);
    torch_optimizer/novograd.py.

Notes:
    Defaults are `optax.novograd`'s (betas 0.9/0.25, epsilon 1e-6;
    `scale_by_novograd` alone uses 1e-8), with lr 1e-3 (optax has no default,
    torch-optimizer uses 1e-3). As in optax, v_t starts from ||g_1||^2 on the
    optimizer's first step (so a variable built later starts from v = 0), and
    the decay `weight_decay * x_{t-1}` is added after the normalization,
    inside the momentum: it is part of NovoGrad, unlike
    `DecoupledWeightDecay`. optax's `eps_root` (0 by default) is not offered.
    torch-optimizer computes the same update with other defaults (betas
    0.95/0, epsilon 1e-8) and takes the first step where v = 0, not at t = 1;
    its `grad_averaging` is the option here; its `amsgrad` is not offered.
    Keras has no NovoGrad.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def novograd_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon, weight_decay,
                    grad_averaging=False):
    """Pure NovoGrad step; returns (new x, {"m", "v"}), v a scalar."""
    norm_sq = tf.reduce_sum(tf.square(g))
    v = tf.where(t > 1, ops.ema(slots["v"], norm_sq, beta_2), norm_sq)
    u = g / (tf.sqrt(v) + ops.like(epsilon, x)) + ops.like(weight_decay, x) * x
    if grad_averaging:
        u = ops.like(1 - beta_1, x) * u
    m = ops.like(beta_1, x) * slots["m"] + u
    return x - ops.like(learning_rate, x) * m, {"m": m, "v": v}


@register("novograd", description="NovoGrad: momentum on layer-normalized gradients")
class NovoGrad(Optimizer):
    """NovoGrad.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1: decay of the momentum, in [0, 1).
        beta_2: decay of the per-variable second moment, in [0, 1).
        epsilon: > 0, added to sqrt(v_t).
        weight_decay: >= 0, the paper's decay d, inside the momentum.
        grad_averaging: scale u_t by (1 - beta_1) (torch-optimizer's option).
    """

    update_fn = staticmethod(novograd_update)
    slot_names = ("m", "v")

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.25, "[0, 1)"),
        numeric("epsilon", 1e-6, "(0, inf)"),
        numeric("weight_decay", 0.0, "[0, inf)"),
        option("grad_averaging", False),
    )

    def init_slots(self, x):
        """m like x; v one scalar of x's dtype."""
        return {"m": tf.zeros_like(x), "v": tf.zeros([], x.dtype)}
