"""Adagrad: per-coordinate step sizes from the sum of squared gradients.

Math:
    G_t = G_{t-1} + g_t^2,   G_0 = initial_accumulator_value
    x_t = x_{t-1} - lr * g_t / (sqrt(G_t) + epsilon)        (paper, torch)
    x_t = x_{t-1} - lr * g_t / sqrt(G_t + epsilon)          (epsilon_inside_sqrt=True, Keras)

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.Adagrad(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant(5.0)], [x])   # first step moves by ~lr
    >>> round(float(x.numpy()), 5)
    0.9

References:
    Duchi, Hazan & Singer, 2011, "Adaptive Subgradient Methods for Online
    Learning and Stochastic Optimization".

Notes:
    Defaults follow the paper and torch (lr 1e-2, G_0 = 0, epsilon 1e-10
    outside the root). Keras: `initial_accumulator_value=0.1, epsilon=1e-7,
    epsilon_inside_sqrt=True`.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def adagrad_update(g, x, slots, t, *, learning_rate, initial_accumulator_value, epsilon,
                   epsilon_inside_sqrt):
    """Pure Adagrad step; returns (new x, {"accumulator"})."""
    G = slots["accumulator"] + tf.square(g)
    eps = ops.like(epsilon, x)
    s = tf.sqrt(G + eps) if epsilon_inside_sqrt else tf.sqrt(G) + eps
    return x - ops.like(learning_rate, x) * g / s, {"accumulator": G}


@register("adagrad", description="Adagrad: step sizes from accumulated squared gradients")
class Adagrad(Optimizer):
    """Adagrad.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        initial_accumulator_value: >= 0, the starting value of G.
        epsilon: > 0.
        epsilon_inside_sqrt: sqrt(G + eps) (Keras) instead of sqrt(G) + eps.
    """

    update_fn = staticmethod(adagrad_update)

    spec = Spec(
        numeric("learning_rate", 1e-2, "[0, inf)", schedule=True),
        numeric("initial_accumulator_value", 0.0, "[0, inf)"),
        numeric("epsilon", 1e-10, "(0, inf)"),
        option("epsilon_inside_sqrt", False),
    )

    def init_slots(self, x):
        return {"accumulator": ops.full_like(x, self._hyper["initial_accumulator_value"])}
