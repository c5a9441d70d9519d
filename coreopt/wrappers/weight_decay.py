"""Decoupled weight decay as a wrapper for any optimizer, optionally masked per variable.

Math (Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization"):
before the inner step, every parameter that decays shrinks towards zero,

    x <- x - lambda * eta * x,

with `lambda = weight_decay` and `eta` the learning rate when
`scale_by_learning_rate=True` (Keras, torch and optax all multiply by it), or
`eta = 1` when False (the paper's form with a constant schedule multiplier).
The decayed parameter is what the inner optimizer then sees, as in Keras.

Which variables decay (decided once per variable, at build):

    decays(v) = search(include, path(v)) and not search(exclude, path(v)) and mask(v)

each term present only when given: `include` and `exclude` are regular
expressions searched (`re.search`) in the variable's path (its `tf.Variable`
name without ":0", a Keras variable's `path`: `coreopt.core.selectors`);
`mask` is a callable `tf.Variable -> bool`. A plain tensor has no name
(`init_slots(tensor)`): it decays unless `include` or `mask` is given. With
any of the three, each variable gets a scalar slot "decay_mask" (1 or 0, the
variable's dtype), so the pure step, the lab, the Keras adapter,
`tf.distribute` and checkpoints carry the decision.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.DecoupledWeightDecay(coreopt.GradientDescent(0.1), 0.5)
    >>> opt.apply_gradients([tf.constant(0.0)], [x])
    >>> round(float(x.numpy()), 6)
    0.95
    >>> w, b = tf.Variable([1.0], name="dense/kernel"), tf.Variable([1.0], name="dense/bias")
    >>> opt = coreopt.DecoupledWeightDecay(coreopt.GradientDescent(0.1), 0.5, exclude="bias")
    >>> opt.apply_gradients([tf.zeros(1), tf.zeros(1)], [w, b])
    >>> [round(float(v.numpy()[0]), 6) for v in (w, b)]
    [0.95, 1.0]

References:
    Loshchilov & Hutter, 2019 (above); Keras 3's `exclude_from_weight_decay`.

Notes:
    Keras's `exclude_from_weight_decay(var_names=names)` is `exclude="|".join(names)`:
    Keras (TensorFlow backend) searches the same pattern in the same name, which
    still carries ":0"; only a pattern that looks at the end of the name (`bias$`,
    `:0`) can tell the two apart. A pattern that matches no variable at build gets
    a `UserWarning` (the Keras adapter creates its slots one by one and does not
    warn). Decaying variables follow exactly the unmasked arithmetic. A callable
    `mask` has no config: `get_config` raises `TypeError`.
"""

from __future__ import annotations

import warnings

import numpy as np
import tensorflow as tf

from coreopt.core import ops
from coreopt.core.registry import register
from coreopt.core.selectors import chosen, compile_pattern, variable_path
from coreopt.core.spec import Spec, numeric, option
from coreopt.core.variables import unwrap
from coreopt.wrappers.base import Wrapper

MASK = "decay_mask"


class _Decisions:
    """Per variable `ref()`, decay or not; and the patterns that matched. Not checkpointed."""

    def __init__(self):
        self.of, self.matched = {}, set()


@register("decay", description="Decoupled weight decay before the inner step",
          aliases=("weight_decay", "decoupled_weight_decay"))
class DecoupledWeightDecay(Wrapper):
    """Shrinks parameters by `weight_decay` (times the learning rate) before each step.

    Args:
        inner: the optimizer that then steps.
        weight_decay: lambda >= 0.
        scale_by_learning_rate: multiply the decay by the learning rate.
        include: decay only variables whose path this regular expression finds; "" all.
        exclude: decay no variable whose path this regular expression finds; "" none.
        mask: a callable `tf.Variable -> bool`: decay where True (and the patterns agree).
    """

    spec = Spec(numeric("weight_decay", 0.01, "[0, inf)"), option("scale_by_learning_rate", True),
                option("include", "", doc="regex: decay only the variables whose path it finds"),
                option("exclude", "", doc="regex: do not decay the variables whose path it finds"))
    extra_arguments = ("mask",)  # a constructor argument outside the spec (a callable)

    def __init__(self, inner, *args, mask=None, name=None, **kwargs):
        values = self.spec.bind(type(self).__name__, args, kwargs)
        patterns = {k: compile_pattern(k, values[k]) for k in ("include", "exclude") if values[k]}
        if mask is not None and not callable(mask):
            raise TypeError(f"`mask` must be a callable tf.Variable -> bool, or None; received "
                            f"{type(mask).__name__}.")
        super().__init__(inner, *args, name=name, **kwargs)
        self.mask, self._patterns, self._decided = mask, patterns, _Decisions()

    @property
    def masked(self) -> bool:
        """True when some variables may not decay (a "decay_mask" slot per variable)."""
        return bool(self._patterns) or self.mask is not None

    def decides(self, x) -> bool:
        """Whether `x` (a variable, or a tensor: see the module doc) decays."""
        path = variable_path(x)
        if path is None:
            return "include" not in self._patterns and self.mask is None
        hits = {k for k, p in self._patterns.items() if p.search(path)}
        self._decided.matched |= hits
        keep = ("include" in hits or "include" not in self._patterns) and "exclude" not in hits
        if self.mask is None:
            return keep
        return keep and chosen("`mask`", path, self.mask(unwrap(x)))

    def build(self, variables, warn=True):
        variables = [unwrap(v) for v in variables]
        known = self._decided.of
        new = [v for v in variables if isinstance(v, tf.Variable) and v.ref() not in known]
        if self.masked and new:
            known.update({v.ref(): self.decides(v) for v in new})  # may raise: nothing built yet
            for key in sorted(set(self._patterns) - self._decided.matched) if warn else ():
                warnings.warn(f"DecoupledWeightDecay: the `{key}` pattern "
                              f"{self._patterns[key].pattern!r} matches no variable's path "
                              f"(built so far: {len(known)}).", UserWarning, stacklevel=3)
        super().build(variables)

    def _create_or_restore_slot_variable(self, slot_variable_position, slot_name, variable,
                                         slot_variable_shape=None):
        self.build([variable], warn=False)  # a checkpoint restores one variable at a time
        return super()._create_or_restore_slot_variable(
            slot_variable_position, slot_name, variable, slot_variable_shape)

    def init_slots_own(self, x) -> dict:
        if not self.masked:
            return {}
        ref = x.ref() if isinstance(x, tf.Variable) else None
        keep = self._decided.of[ref] if ref in self._decided.of else self.decides(x)
        return {MASK: tf.constant(1 if keep else 0, dtype=x.dtype)}

    def update(self, grads, params, slots, state, grad_fn=None):
        mask = [s[MASK] for s in slots] if self.masked else None
        params = self.decay(params, state, mask)
        return self.inner_step(grads, params, slots, state, grad_fn)

    def decay(self, params, state, mask=None):
        """The parameters after the decay, x - x * lambda * eta, where `mask` is True or 1."""
        wd = self.hyperparameters_own(state)["weight_decay"]
        lr = self.learning_rate_at(state) if self._options["scale_by_learning_rate"] else None
        mask = [True] * len(params) if mask is None else mask
        return [_masked(x, _decayed(x, wd, lr), keep) for x, keep in zip(params, mask)]

    def get_config(self) -> dict:
        if self.mask is not None:
            raise TypeError("DecoupledWeightDecay: a callable `mask` cannot be written into a "
                            "config; use the `include` and `exclude` patterns.")
        return super().get_config()

    def __repr__(self):
        text = super().__repr__()
        return text if self.mask is None else f"{text[:-1]}, mask={self.mask!r})"


DecoupledWeightDecay.__signature__ = DecoupledWeightDecay.spec.signature(
    first=("inner",), last=(("mask", None), ("name", None)))


def _masked(x, decayed, keep):
    if isinstance(keep, (bool, np.bool_)):
        return decayed if keep else x
    return tf.where(keep > 0, decayed, x)


def _decayed(x, weight_decay, learning_rate=None):
    """x - x * lambda * eta, multiplied in x's dtype in Keras's order."""
    x_wd = x * ops.like(weight_decay, x)
    return x - (x_wd if learning_rate is None else x_wd * ops.like(learning_rate, x))
