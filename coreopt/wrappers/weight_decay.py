"""Decoupled weight decay as a wrapper for any optimizer.

Math (Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization"):
before the inner step, every parameter shrinks towards zero,

    x <- x - lambda * eta * x,

with `lambda = weight_decay` and `eta` the learning rate when
`scale_by_learning_rate=True` (Keras, torch and optax all multiply by it), or
`eta = 1` when False (the paper's form with a constant schedule multiplier).
The decayed parameter is what the inner optimizer then sees, as in Keras.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.DecoupledWeightDecay(coreopt.GradientDescent(0.1), 0.5)
    >>> opt.apply_gradients([tf.constant(0.0)], [x])
    >>> round(float(x.numpy()), 6)
    0.95
"""

from __future__ import annotations

from coreopt.core import checks, ops
from coreopt.wrappers.base import Wrapper


class DecoupledWeightDecay(Wrapper):
    """Shrinks parameters by `weight_decay` (times the learning rate) before each step."""

    def __init__(self, inner, weight_decay, *, scale_by_learning_rate=True, name=None):
        super().__init__(
            inner,
            {"weight_decay": checks.nonnegative("weight_decay", weight_decay)},
            {"scale_by_learning_rate": bool(scale_by_learning_rate)},
            name=name,
        )

    def update(self, grads, params, slots, t, learning_rate):
        return self.inner.update(grads, self.decay(params, learning_rate), slots, t, learning_rate)

    def decay(self, params, learning_rate):
        """The parameters after the decay, x - x * lambda * eta."""
        wd = ops.f64(self._hyper["weight_decay"])
        if self._options["scale_by_learning_rate"]:
            return [x - x * ops.like(wd, x) * ops.like(learning_rate, x) for x in params]
        return [x - x * ops.like(wd, x) for x in params]
