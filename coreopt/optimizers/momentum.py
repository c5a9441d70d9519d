"""Gradient descent with (heavy-ball or Nesterov) momentum.

Math (the guide's form, written with the velocity v = -Delta):
    v_t = mu * v_{t-1} - lr * g_t
    x_t = x_{t-1} + v_t                        (heavy ball)
    x_t = x_{t-1} + mu * v_t - lr * g_t        (nesterov=True)

The guide writes Delta_t = lr * g_t + p * Delta_{t-1}, x_t = x_{t-1} - Delta_t;
negation is exact in floating point, so both forms give the same bits.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.Momentum(learning_rate=0.1, momentum=0.5)
    >>> for _ in range(2):
    ...     opt.apply_gradients([tf.constant(1.0)], [x])
    >>> round(float(x.numpy()), 6)   # 1 - 0.1 - (0.05 + 0.1)
    0.75

References:
    Polyak, 1964, "Some methods of speeding up the convergence of iteration
    methods"; Sutskever et al., 2013, "On the importance of initialization and
    momentum in deep learning" (the Nesterov form used here).

Notes:
    Keras `SGD(momentum=mu, nesterov=...)` is this exact update, learning rate
    inside the velocity. torch keeps the learning rate outside the buffer
    (buf = mu * buf + g; x -= lr * buf), which differs when the learning rate
    changes over time. Each variable has its own velocity (the guide shares one
    across all variables). Defaults follow the guide: lr 1e-3, momentum 0.7.
"""

from __future__ import annotations

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def momentum_update(g, x, slots, t, *, learning_rate, momentum, nesterov):
    """Pure momentum step; returns (new x, {"velocity"})."""
    lr, mu = ops.like(learning_rate, x), ops.like(momentum, x)
    v = mu * slots["velocity"] - lr * g
    if nesterov:
        return x + (mu * v - lr * g), {"velocity": v}
    return x + v, {"velocity": v}


@register("momentum", description="Gradient descent with heavy-ball or Nesterov momentum")
class Momentum(Optimizer):
    """Momentum, one velocity per variable.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        momentum: the decay of the velocity, in [0, 1).
        nesterov: use Nesterov's look-ahead form.
    """

    update_fn = staticmethod(momentum_update)
    slot_names = ("velocity",)

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("momentum", 0.7, "[0, 1)"),
        option("nesterov", False),
    )
