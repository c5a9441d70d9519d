"""Fromage: a step of relative size lr per layer, then a shrink that keeps the norm.

Math (Algorithm 1 of the paper; norms over the whole variable):
    n_x = max(||x_{t-1}||, min_norm),   n_g = max(||g_t||, min_norm)
    ratio_t = n_x / n_g               (1 if either is 0)
    x_t = (x_{t-1} - lr * ratio_t * g_t) / sqrt(1 + lr^2)

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([3.0, 4.0])
    >>> opt = coreopt.Fromage(learning_rate=0.75)
    >>> opt.apply_gradients([tf.constant([0.0, 2.0])], [x])   # the step is lr * ||x||
    >>> [round(float(v), 5) for v in x.numpy()]
    [2.4, 0.2]

References:
    Bernstein, Vahdat, Yue & Liu, 2020, "On the distance between two neural
    networks and the stability of learning" (Algorithm 1); optax/_src/alias.py
    (fromage) and transform.py (scale_by_trust_ratio); github.com/jxbz/fromage
    (fromage.py, the authors' code).

Notes:
    Defaults: lr 0.01 is the paper's and the authors'; min_norm 1e-6 is
    optax's. The authors' code clips no norm and takes the plain step
    x - lr * g where either norm is 0 (`min_norm=0`); its `p_bound` (a cap on
    each variable's norm relative to its initial one) is not offered. optax
    writes the same update as a scaled step plus a decay (mult - 1) * x with
    mult = 1 / sqrt(1 + lr^2), so the two agree to rounding. Keras and torch
    have no Fromage.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def fromage_update(g, x, slots, t, *, learning_rate, min_norm):
    """Pure Fromage step; returns (new x, {})."""
    floor = ops.like(min_norm, x)
    x_norm, g_norm = tf.maximum(ops.norm(x), floor), tf.maximum(ops.norm(g), floor)
    ratio = tf.where((x_norm > 0) & (g_norm > 0), x_norm / g_norm, tf.ones_like(x_norm))
    step = x - ops.like(learning_rate, x) * ratio * g
    return step / ops.like(tf.sqrt(1 + learning_rate**2), x), {}


@register("fromage", description="Fromage: layer-relative steps with a norm-keeping shrink")
class Fromage(Optimizer):
    """Fromage.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        min_norm: >= 0, the floor of both norms in the ratio.
    """

    update_fn = staticmethod(fromage_update)

    spec = Spec(
        numeric("learning_rate", 0.01, "[0, inf)", schedule=True),
        numeric("min_norm", 1e-6, "[0, inf)"),
    )
