"""LARS: momentum SGD with a layer-wise trust ratio.

Math (TensorFlow Model Garden's form; norms over the whole variable):
    u_t = g_t + weight_decay_rate * x_{t-1}           (where the variable decays)
    ratio(a) = eeta * ||x_{t-1}|| / (||a|| + epsilon)  (1 where either norm is 0,
                                                       or the variable is not adapted)
    classic_momentum=True (the learning rate inside the momentum):
        v_t = momentum * v_{t-1} + lr * ratio(u_t) * u_t
        x_t = x_{t-1} - v_t
    classic_momentum=False (outside it):
        v_t = momentum * v_{t-1} + u_t
        x_t = x_{t-1} - lr * ratio(v_t) * v_t
With `nesterov=True`, x moves by momentum * v_t + (the term added to v_t) instead
of v_t, and the second form's ratio is taken of that step.

Example:
    >>> import coreopt, tensorflow as tf
    >>> w = tf.Variable([3.0, 4.0], name="dense/kernel")
    >>> b = tf.Variable([3.0, 4.0], name="dense/bias")
    >>> opt = coreopt.LARS(learning_rate=0.1, eeta=0.5, exclude_from_layer_adaptation="bias")
    >>> opt.apply_gradients([tf.constant([1.0, 0.0])] * 2, [w, b])
    >>> [round(float(v), 5) for v in w.numpy()], [round(float(v), 5) for v in b.numpy()]
    ([2.75, 4.0], [2.9, 4.0])

References:
    You, Gitman & Ginsburg, 2017, "Large Batch Training of Convolutional
    Networks" (LARS); tensorflow/models official/modeling/optimization/lars.py
    (Model Garden); optax/_src/alias.py (lars) and transform.py
    (scale_by_trust_ratio).

Notes:
    Defaults and names are Model Garden's (lr 0.01, momentum 0.9, eeta 0.001,
    weight_decay_rate 0, classic momentum). Its variable lists are regular
    expressions here ("a|b" for ["a", "b"]) searched in the variable's path
    (`coreopt.core.selectors`), decided at build into the scalar slots
    "decay_mask" and "adaptation_mask"; as in Model Garden an empty
    `exclude_from_layer_adaptation` takes the weight-decay pattern ("(?!)",
    which never matches, adapts every variable). A plain tensor (the batched
    lab) decays and is adapted. `optax.lars` is the classic form with its
    `eps` as epsilon (0 by default) and eeta as `trust_coefficient`, the decay
    inside the ratio as here; it has no `classic_momentum=False`. The
    paper's ratio eeta ||x|| / (||g|| + wd ||x||) is not offered. Keras has no LARS.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import SHELL_ARGUMENTS, Optimizer
from coreopt.core.registry import register
from coreopt.core.selectors import compile_pattern, variable_path
from coreopt.core.spec import Spec, numeric, option

_MASKS = ("decay_mask", "adaptation_mask")


def lars_update(g, x, slots, t, *, learning_rate, momentum, weight_decay_rate, eeta, epsilon,
                nesterov, classic_momentum, exclude_from_weight_decay,
                exclude_from_layer_adaptation):
    """Pure LARS step; returns (new x, {"momentum"[, masks]})."""
    masks = {k: slots[k] for k in _MASKS if k in slots}
    if "decay_mask" in masks:
        g = tf.where(masks["decay_mask"] > 0, g + ops.like(weight_decay_rate, x) * x, g)
    else:
        g = g + ops.like(weight_decay_rate, x) * x
    lr, mu = ops.like(learning_rate, x), ops.like(momentum, x)

    def ratio(a):
        x_norm, a_norm = ops.norm(x), ops.norm(a)
        value = ops.like(eeta, x) * x_norm / (a_norm + ops.like(epsilon, x))
        keep = (x_norm > 0) & (a_norm > 0)
        if "adaptation_mask" in masks:
            keep = keep & (masks["adaptation_mask"] > 0)
        return tf.where(keep, value, tf.ones_like(x_norm))

    if classic_momentum:
        scaled_lr = lr * ratio(g)
        v = mu * slots["momentum"] + scaled_lr * g
        step = mu * v + scaled_lr * g if nesterov else v
        return x - step, {"momentum": v, **masks}
    v = mu * slots["momentum"] + g
    step = mu * v + g if nesterov else v
    return x - ratio(step) * lr * step, {"momentum": v, **masks}


@register("lars", description="LARS: momentum SGD with a layer-wise trust ratio")
class LARS(Optimizer):
    """LARS.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        momentum: decay of the momentum, in [0, 1).
        weight_decay_rate: >= 0, L2 decay added to the gradient.
        eeta: > 0, the trust coefficient.
        epsilon: >= 0, added to the norm in the ratio's denominator (optax's eps).
        nesterov: Nesterov's form of the momentum step.
        classic_momentum: the learning rate inside the momentum (Model Garden's
            default); False applies it, with the ratio, after.
        exclude_from_weight_decay: regex; variables whose path it finds do not decay.
        exclude_from_layer_adaptation: regex; those it finds take ratio 1 ("":
            the weight-decay pattern).
    """

    update_fn = staticmethod(lars_update)

    spec = Spec(
        numeric("learning_rate", 0.01, "[0, inf)", schedule=True),
        numeric("momentum", 0.9, "[0, 1)"),
        numeric("weight_decay_rate", 0.0, "[0, inf)"),
        numeric("eeta", 0.001, "(0, inf)"),
        numeric("epsilon", 0.0, "[0, inf)"),
        option("nesterov", False),
        option("classic_momentum", True),
        option("exclude_from_weight_decay", "", doc="regex: these variables do not decay"),
        option("exclude_from_layer_adaptation", "", doc="regex: these take trust ratio 1"),
    )

    def __init__(self, *args, name=None, jit_compile=True, half_in_float32=True, **kwargs):
        values = self.spec.bind(type(self).__name__, args, kwargs)
        decay, adaptation = (compile_pattern(k, values[k]) if values[k] else None
                             for k in ("exclude_from_weight_decay",
                                       "exclude_from_layer_adaptation"))
        patterns = {"decay_mask": decay, "adaptation_mask": adaptation or decay}
        self._setup(values, name, jit_compile, half_in_float32)
        self._patterns = {k: p for k, p in patterns.items() if p is not None}

    def init_slots(self, x):
        """The momentum; per pattern, a scalar mask (1: decays / adapted) from x's path."""
        path = variable_path(x)
        masks = {k: tf.constant(0 if path is not None and p.search(path) else 1, x.dtype)
                 for k, p in self._patterns.items()}
        return {"momentum": tf.zeros_like(x), **masks}


LARS.__signature__ = LARS.spec.signature(last=SHELL_ARGUMENTS)
