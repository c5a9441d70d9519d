"""ASGD: SGD with a decaying step and a Polyak-Juditsky average of the iterates.

Math (torch.optim.ASGD's form; t the step, 1 on the first):
    eta_t = lr / (1 + lambd * lr * (t - 1))^alpha
    mu_t  = 1 / max(1, t - 1 - t0)
    u_t   = g_t + weight_decay * x_{t-1}
    x_t   = x_{t-1} * (1 - lambd * eta_t) - eta_t * u_t
    ax_t  = x_t where mu_t = 1, else ax_{t-1} + mu_t * (x_t - ax_{t-1})

torch keeps eta and mu as per-variable state and updates them after each step;
their values at step t are the closed forms above, so here they are computed
from t. The average `ax` is the slot "ax" (`opt.get_slot(var, "ax")`); the
variable holds x_t.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.ASGD(learning_rate=0.1, lambd=0.5, t0=0.0)
    >>> for _ in range(3):   # mu = 1, 1, then 1/2: ax averages x_2 and x_3
    ...     opt.apply_gradients([tf.constant(1.0)], [x])
    >>> round(float(x.numpy()), 5), round(float(opt.get_slot(x, "ax").numpy()), 5)
    (0.58635, 0.64948)

References:
    Polyak & Juditsky, 1992, "Acceleration of Stochastic Approximation by
    Averaging"; Bottou, 2012, "Stochastic Gradient Descent Tricks" (the step
    schedule with lambd and alpha); torch/optim/asgd.py.

Notes:
    Defaults are torch's (lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6, weight
    decay 0): averaging starts after t0 steps; until then ax_t = x_t. t0 is
    >= 0 here (torch accepts any). With a learning-rate schedule, torch
    computes eta_t at the end of step t - 1 from that step's learning rate;
    here eta_t uses step t's (the same for a constant learning rate). torch
    stores eta and mu as float32 scalars unless its default dtype is float64
    (then it agrees to rounding), so its float64 runs differ by a few 1e-9
    relative over 100 steps; eta and mu are float64 here. t is the
    optimizer's step: a variable built later does not restart the schedule
    (torch counts per parameter). torch's `maximize` is not offered; optax and Keras have no ASGD.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def asgd_update(g, x, slots, t, *, learning_rate, lambd, alpha, t0, weight_decay):
    """Pure ASGD step; returns (new x, {"ax"})."""
    eta = learning_rate / (1 + lambd * learning_rate * (t - 1)) ** alpha
    mu = 1 / tf.maximum(tf.ones_like(t), t - 1 - t0)
    u = g + ops.like(weight_decay, x) * x
    new_x = x * ops.like(1 - lambd * eta, x) - ops.like(eta, x) * u
    ax = slots["ax"]
    averaged = tf.where(mu == 1, new_x, ax + (new_x - ax) * ops.like(mu, x))
    return new_x, {"ax": averaged}


@register("asgd", description="ASGD: decaying-step SGD with an averaged iterate (slot 'ax')")
class ASGD(Optimizer):
    """ASGD.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        lambd: >= 0, the decay of the step size (and of x, by lambd * eta_t).
        alpha: >= 0, the power of the step-size decay.
        t0: >= 0, the step after which averaging starts.
        weight_decay: >= 0, L2 decay added to the gradient.
    """

    update_fn = staticmethod(asgd_update)
    slot_names = ("ax",)

    spec = Spec(
        numeric("learning_rate", 1e-2, "[0, inf)", schedule=True),
        numeric("lambd", 1e-4, "[0, inf)"),
        numeric("alpha", 0.75, "[0, inf)"),
        numeric("t0", 1e6, "[0, inf)"),
        numeric("weight_decay", 0.0, "[0, inf)"),
    )
