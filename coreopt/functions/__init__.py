"""Test functions with known answers, for comparing and verifying optimizers.

Each is a `TestFunction`: a TensorFlow loss of points `[..., dim]` (any leading
batch axes, float32 or float64) giving one loss per run, with its domain, known
minimizers and minimum, other stationary points and a default start.

Example:
    >>> import tensorflow as tf
    >>> from coreopt import functions
    >>> f = functions.get("rosenbrock")
    >>> f
    rosenbrock(dim=2)
    >>> float(f(tf.constant([1.0, 1.0])))
    0.0
    >>> loss, grad = f.value_and_gradient(tf.constant([[1.0, 1.0], [0.0, 0.0]]))
    >>> loss.numpy().tolist(), grad.numpy().tolist()
    ([0.0, 1.0], [[0.0, 0.0], [-2.0, 0.0]])
    >>> functions.names()[0]
    'seed_quartic'
    >>> functions.resolve(lambda x: 2 * x**4 + 3 * x**3 + 2, dim=1)
    custom(dim=1)
"""

# isort: off
# Registers the functions; this order is the order of names().
from coreopt.functions import guide, ndim, classic  # noqa: F401
# isort: on
from coreopt.functions.base import TestFunction, elementwise
from coreopt.functions.custom import custom, resolve
from coreopt.functions.registry import Entry, Param, entry, get, names, register

__all__ = [
    "Entry", "Param", "TestFunction", "custom", "elementwise", "entry", "get", "names",
    "register", "resolve",
]
