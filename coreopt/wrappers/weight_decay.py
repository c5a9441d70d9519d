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

from coreopt.core import ops
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option
from coreopt.wrappers.base import Wrapper


@register("decay", description="Decoupled weight decay before the inner step",
          aliases=("weight_decay", "decoupled_weight_decay"))
class DecoupledWeightDecay(Wrapper):
    """Shrinks parameters by `weight_decay` (times the learning rate) before each step."""

    spec = Spec(numeric("weight_decay", 0.01, "[0, inf)"), option("scale_by_learning_rate", True))

    def update(self, grads, params, slots, state, grad_fn=None):
        params = self.decay(params, self.inner_learning_rate(state))
        return self.inner_step(grads, params, slots, state, grad_fn)

    def decay(self, params, learning_rate, mask=None):
        """The parameters after the decay, x - x * lambda * eta (only where `mask` is True)."""
        wd = self.hyperparameters_own()["weight_decay"]
        mask = [True] * len(params) if mask is None else mask
        return [_decayed(x, wd, learning_rate if self._options["scale_by_learning_rate"] else None)
                if keep else x for x, keep in zip(params, mask)]


def _decayed(x, weight_decay, learning_rate=None):
    """x - x * lambda * eta, multiplied in x's dtype in Keras's order."""
    x_wd = x * ops.like(weight_decay, x)
    return x - (x_wd if learning_rate is None else x_wd * ops.like(learning_rate, x))
