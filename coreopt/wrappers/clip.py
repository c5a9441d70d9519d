"""Gradient clipping wrappers: by value, by norm, by global norm.

Each clips the gradients, then hands them to the inner optimizer. They follow
the definitions of `tf.clip_by_value`, `tf.clip_by_norm` and
`tf.clip_by_global_norm` (Pascanu et al., 2013, "On the difficulty of training
recurrent neural networks"), which Keras's `clipvalue`, `clipnorm` and
`global_clipnorm` use too.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([0.0, 0.0])
    >>> opt = coreopt.ClipByGlobalNorm(coreopt.GradientDescent(1.0), 1.0)
    >>> opt.apply_gradients([tf.constant([3.0, 4.0])], [x])
    >>> [round(float(v), 6) for v in x.numpy()]
    [-0.6, -0.8]
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric
from coreopt.wrappers.base import Wrapper


@register("clip_by_value", description="Clips each gradient element to [-clipvalue, clipvalue]",
          aliases=("clipvalue",))
class ClipByValue(Wrapper):
    """Clips each gradient element to `[-clipvalue, clipvalue]`."""

    spec = Spec(numeric("clipvalue", 1.0, "(0, inf)"))

    def update(self, grads, params, slots, state, grad_fn=None):
        c = self.hyperparameters_own(state)["clipvalue"]
        grads = [tf.clip_by_value(g, -ops.like(c, g), ops.like(c, g)) for g in grads]
        return self.inner_step(grads, params, slots, state, grad_fn)


@register("clip_by_norm", description="Rescales each gradient to L2 norm at most clipnorm",
          aliases=("clipnorm",))
class ClipByNorm(Wrapper):
    """Rescales each gradient whose L2 norm exceeds `clipnorm` to norm `clipnorm`.

    g <- g * clipnorm / max(||g||, clipnorm), for each variable separately.
    """

    spec = Spec(numeric("clipnorm", 1.0, "(0, inf)"))

    def update(self, grads, params, slots, state, grad_fn=None):
        c = self.hyperparameters_own(state)["clipnorm"]
        grads = [tf.clip_by_norm(g, ops.like(c, g)) for g in grads]
        return self.inner_step(grads, params, slots, state, grad_fn)


@register("clip_by_global_norm", description="Rescales all gradients to a joint L2 norm",
          aliases=("global_clipnorm",))
class ClipByGlobalNorm(Wrapper):
    """Rescales all gradients together so that their joint L2 norm is at most `global_clipnorm`.

    g_i <- g_i * global_clipnorm / max(N, global_clipnorm), N = sqrt(sum_i ||g_i||^2),
    computed in float64 so variables of mixed dtypes share one norm. A
    non-finite N makes every gradient NaN (as `tf.clip_by_global_norm` does), so
    the failure shows instead of hiding.
    """

    spec = Spec(numeric("global_clipnorm", 1.0, "(0, inf)"))

    def update(self, grads, params, slots, state, grad_fn=None):
        c = self.hyperparameters_own(state)["global_clipnorm"]
        total = tf.sqrt(tf.add_n([tf.cast(tf.reduce_sum(tf.square(g)), tf.float64) for g in grads]))
        scale = c * tf.minimum(1.0 / total, 1.0 / c) + (total - total)
        grads = [g * ops.like(scale, g) for g in grads]
        return self.inner_step(grads, params, slots, state, grad_fn)
