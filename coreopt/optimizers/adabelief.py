"""AdaBelief: Adam with the second moment of the gradient's surprise g_t - m_t.

Math (Algorithm 2 of the paper, with its two epsilons named apart):
    m_t = beta_1 * m_{t-1} + (1 - beta_1) * g_t
    s_t = beta_2 * s_{t-1} + (1 - beta_2) * (g_t - m_t)^2 + epsilon_root
    m^_t = m_t / (1 - beta_1^t),   s^_t = s_t / (1 - beta_2^t)
    x_t = x_{t-1} - lr * m^_t / (sqrt(s^_t) + epsilon)

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = coreopt.AdaBelief(learning_rate=0.1, epsilon=1e-8, epsilon_root=0.0)
    >>> opt.apply_gradients([tf.constant([2.0, -0.5])], [x])   # s^_1 = b1^2 g^2: steps lr/b1
    >>> [round(float(v), 5) for v in x.numpy()]
    [0.88889, 1.11111]

References:
    Zhuang et al., 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief
    in Observed Gradients" (Algorithm 2); optax/_src/transform.py
    (scale_by_belief); github.com/juntang-zhuang/Adabelief-Optimizer
    (adabelief_pytorch, the authors' code); torch_optimizer/adabelief.py.

Notes:
    The paper adds one epsilon twice: into s_t, where it accumulates over the
    steps, and to sqrt(s^_t). optax names them `eps_root` and `eps`, here
    `epsilon_root` and `epsilon`; the defaults, 1e-16 for both, are optax's and
    the authors' (adabelief_pytorch 0.2 uses one eps = 1e-16 in both places,
    torch-optimizer one eps = 1e-8: set both to 1e-8). The formula is the same
    in all three. adabelief_pytorch 0.2 also turns on by default a RAdam-style
    rectification (`rectify=True`) and decoupled weight decay
    (`weight_decouple=True`), left out here: this update is theirs with
    `rectify=False`, and their decay is
    `DecoupledWeightDecay(AdaBelief(...), weight_decay)`. lr 1e-3 and betas
    0.9/0.999 are the authors' defaults. Keras has no AdaBelief.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def adabelief_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon, epsilon_root):
    """Pure AdaBelief step; returns (new x, {"m", "s"})."""
    m = ops.ema(slots["m"], g, beta_1)
    s = ops.ema(slots["s"], tf.square(g - m), beta_2) + ops.like(epsilon_root, x)
    m_hat = m / ops.like(1 - beta_1**t, x)
    s_hat = s / ops.like(1 - beta_2**t, x)
    step = ops.like(learning_rate, x) * m_hat / (tf.sqrt(s_hat) + ops.like(epsilon, x))
    return x - step, {"m": m, "s": s}


@register("adabelief", description="AdaBelief: Adam scaled by the belief in the gradient")
class AdaBelief(Optimizer):
    """AdaBelief.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: decay rates of m and s, in [0, 1).
        epsilon: > 0, added to sqrt(s^_t).
        epsilon_root: >= 0, added to s_t at every step (kept in the slot).
    """

    update_fn = staticmethod(adabelief_update)
    slot_names = ("m", "s")

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-16, "(0, inf)"),
        numeric("epsilon_root", 1e-16, "[0, inf)"),
    )
