"""Gradient descent with (heavy-ball or Nesterov) momentum.

Math (the guide's form, written with the velocity v = -Delta):
    v_t = mu * v_{t-1} - lr * g_t
    x_t = x_{t-1} + v_t                        (heavy ball)
    x_t = x_{t-1} + mu * v_t - lr * g_t        (nesterov=True)

The guide writes Delta_t = lr * g_t + p * Delta_{t-1}, x_t = x_{t-1} - Delta_t;
negation is exact in floating point, so both forms give the same bits.

With `lr_inside_momentum=False` the buffer holds gradients and the learning
rate scales the whole step (so a new learning rate acts on the past too):
    b_t = mu * b_{t-1} + g_t
    x_t = x_{t-1} - lr * b_t                   (heavy ball)
    x_t = x_{t-1} - lr * (g_t + mu * b_t)      (nesterov=True)
`dampening` d scales the gradient that enters the buffer from the second
step on: (1 - d) g_t in place of g_t (in either form) for t >= 2, while the
first step takes g_1 whole (the buffer starts as the first gradient). The
look-ahead term of Nesterov's form is never damped.

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
    inside the velocity (the default). torch.optim.SGD keeps the learning rate
    outside the buffer and has `dampening` (torch/optim/sgd.py,
    `_single_tensor_sgd`: the buffer is the first gradient, then
    buf = mu * buf + (1 - dampening) * g; x -= lr * buf, or lr * (g + mu * buf)
    with nesterov): `lr_inside_momentum=False, dampening=d`. optax.sgd is
    `trace` then `scale_by_learning_rate` (optax/_src/alias.py, transform.py):
    `lr_inside_momentum=False`. With a constant learning rate the two
    placements differ only by rounding. torch refuses Nesterov with
    dampening; here the two combine as written above. Each variable has its
    own velocity (the guide shares one across all variables). Defaults follow
    the guide: lr 1e-3, momentum 0.7.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def momentum_update(g, x, slots, t, *, learning_rate, momentum, dampening=0.0, nesterov=False,
                    lr_inside_momentum=True):
    """Pure momentum step; returns (new x, {"velocity"})."""
    lr, mu = ops.like(learning_rate, x), ops.like(momentum, x)
    # The share of g_t that enters the buffer: 1 on the first step, 1 - dampening after.
    kept = tf.where(t > 1, 1 - dampening, tf.ones_like(dampening))
    if lr_inside_momentum:
        v = mu * slots["velocity"] - ops.like(learning_rate * kept, x) * g
        if nesterov:
            return x + (mu * v - lr * g), {"velocity": v}
        return x + v, {"velocity": v}
    b = mu * slots["velocity"] + ops.like(kept, x) * g
    if nesterov:
        return x - lr * (g + mu * b), {"velocity": b}
    return x - lr * b, {"velocity": b}


@register("momentum", description="Gradient descent with heavy-ball or Nesterov momentum")
class Momentum(Optimizer):
    """Momentum, one velocity per variable.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        momentum: the decay of the velocity, in [0, 1).
        nesterov: use Nesterov's look-ahead form.
        dampening: in [0, 1], the share of each gradient after the first kept
            out of the buffer (torch's `dampening`).
        lr_inside_momentum: the velocity holds lr * g (Keras, the default), or
            the buffer holds g and lr scales the step (torch, optax). The slot
            is named "velocity" in both forms.
    """

    update_fn = staticmethod(momentum_update)
    slot_names = ("velocity",)

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("momentum", 0.7, "[0, 1)"),
        option("nesterov", False),
        numeric("dampening", 0.0, "[0, 1]"),
        option("lr_inside_momentum", True),
    )
