"""Gradient descent.

Math:
    x_t = x_{t-1} - lr * g_t

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(2.0)
    >>> opt = coreopt.GradientDescent(learning_rate=0.1)
    >>> with tf.GradientTape() as tape:
    ...     loss = x ** 2
    >>> opt.apply_gradients(tape.gradient(loss, [x]), [x])
    >>> round(float(x.numpy()), 6)
    1.6

References:
    Cauchy, 1847, "Methode generale pour la resolution des systemes
    d'equations simultanees"; the guide "Optimizers with Core APIs".

Notes:
    Keras `SGD(momentum=0.0)`, torch `SGD(momentum=0)` and `optax.sgd` are the
    same update. Default learning rate 1e-3, as in the guide.
"""

from __future__ import annotations

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def gd_update(g, x, slots, t, *, learning_rate):
    """Pure gradient-descent step; returns (new x, no slots)."""
    return x - ops.like(learning_rate, x) * g, {}


@register("gd", aliases=("sgd",), description="Gradient descent: x -= lr * g")
class GradientDescent(Optimizer):
    """Plain gradient descent, `x -= learning_rate * g`.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        name, jit_compile: see `Optimizer`.
    """

    update_fn = staticmethod(gd_update)

    spec = Spec(numeric("learning_rate", 1e-3, "[0, inf)", schedule=True))
