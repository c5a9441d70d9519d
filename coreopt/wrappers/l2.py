"""Coupled weight decay (L2 regularization) as a wrapper for any optimizer.

Math: before the inner step, each gradient gains the gradient of the penalty
(lambda / 2) * ||x||^2,

    g <- g + lambda * x,        lambda = weight_decay,

and the inner optimizer steps on that gradient, so the decay passes through
its moments and its adaptive scaling (for plain gradient descent it is the
same step as the decoupled `decay` wrapper with the learning rate; for every
other optimizer it differs).

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(2.0)
    >>> opt = coreopt.CoupledWeightDecay(coreopt.GradientDescent(0.1), 0.5)
    >>> opt.apply_gradients([tf.constant(1.0)], [x])   # 2 - 0.1 * (1 + 0.5 * 2)
    >>> round(float(x.numpy()), 6)
    1.8

References:
    Hanson & Pratt, 1988, "Comparing Biases for Minimal Network Construction
    with Back-Propagation" (weight decay as a penalty on the weights);
    Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization" (the
    coupled form, section 2, against which AdamW is defined).

Notes:
    This is torch.optim's `weight_decay` for SGD, Adam, NAdam and RAdam (unless
    `decoupled_weight_decay=True`), RMSprop, Adadelta, Adagrad and Adamax
    (torch/optim/*.py: `grad = grad.add(param, alpha=weight_decay)`), and optax's
    `add_decayed_weights` placed before the scaling. Every variable decays. A
    gradient evaluated again inside the step (an inner `sam`) gains the same term.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.closures import carried
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric
from coreopt.wrappers.base import Wrapper


@register("l2", description="Coupled weight decay: weight_decay * x added to the gradient",
          aliases=("coupled_weight_decay", "l2_regularization"))
class CoupledWeightDecay(Wrapper):
    """Adds `weight_decay * x` to each gradient, then hands it to the inner optimizer.

    Args:
        inner: the optimizer that then steps.
        weight_decay: lambda >= 0.
    """

    spec = Spec(numeric("weight_decay", 0.01, "[0, inf)"))

    def update(self, grads, params, slots, state, grad_fn=None):
        wd = self.hyperparameters_own(state)["weight_decay"]

        def penalized(grads, params):
            return [g + ops.like(wd, x) * x for g, x in zip(grads, params)]

        if grad_fn is not None:  # an inner SAM evaluates the gradient again: of the same loss
            inner_fn = grad_fn

            def grad_fn(ps):
                return penalized(inner_fn(ps), ps)

            # the loss the penalized gradient belongs to: f(x) + 0.5 * wd * sum(x^2)
            grad_fn = carried(grad_fn, inner_fn, lambda loss: loss + _penalty(wd, params, loss))

        return self.inner_step(penalized(grads, params), params, slots, state, grad_fn)


def _penalty(wd, params, loss):
    """0.5 * wd * sum(x^2) over all `params`, in `loss`'s dtype (the gradient's wd * x)."""
    total = tf.add_n([tf.reduce_sum(tf.square(tf.cast(x, loss.dtype))) for x in params])
    return 0.5 * tf.cast(wd, loss.dtype) * total
