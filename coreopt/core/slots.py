"""Slot variables: each trained variable's own, kept by the variable, saved by its path.

An optimizer's slots (Adam's `m` and `v`, a wrapper's own) are `tf.Variable`s
made in an explicit `build(vars)`, one dict per variable, keyed by the
variable's `ref()`, never by list position: a step over the same variables
in another order reads the right slots. A slot is kept in the variable's
compute dtype (float32 for a float16 or bfloat16 variable, unless
`half_in_float32=False`; see `coreopt.core.precision`).

Checkpoints: `tf.train.Checkpoint` saves a slot under the path of the
variable it belongs to and asks the optimizer for it back through the slot
protocol (`get_slot_names`, `get_slot`, `_create_or_restore_slot_variable`;
tensorflow/python/checkpoint/util.py and restore.py), so a checkpoint
restores into an optimizer built in any order, or not built at all yet.

`SlotVariables` is the part of `coreopt.core.optimizer.Optimizer` that does
this; it reads the optimizer's `own_slots(x)`, `name` and `half_in_float32`.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import precision
from coreopt.core.variables import check_variables, unwrap


class _Slots:
    """Each variable's own slot variables, by the variable's `ref()`.

    Kept out of the `tf.Module`'s tracked attributes: the checkpoint finds
    slots through the slot protocol, under their variables' paths.
    """

    def __init__(self):
        self.of = {}


class SlotVariables:
    """Builds, finds and checkpoints the slot variables (a mixin of `Optimizer`)."""

    def _init_slot_store(self):
        self._slots = _Slots()

    def build(self, variables):
        """Creates the slots of every variable in `variables` not built yet."""
        variables = [unwrap(v) for v in variables]
        known = self._slots.of
        if all(isinstance(v, tf.Variable) and v.ref() in known for v in variables):
            return  # every step after the first: nothing to check or create
        check_variables(variables)
        with tf.init_scope():
            for var in variables:
                if var.ref() in known:
                    continue
                base = var.name.split(":")[0]
                with tf.name_scope(self.name):
                    known[var.ref()] = {  # from the variable: masks and routes read its name
                        key: tf.Variable(self._in_compute_dtype(value, var), trainable=False,
                                         name=f"{base}/{key}")
                        for key, value in self.own_slots(var).items()}
                precision.warn_once(self, var)

    def compute_dtype(self, dtype) -> tf.DType:
        """The dtype a variable of `dtype` is stepped in, and its slots kept in: float32 for
        float16 and bfloat16 (unless `half_in_float32=False`), else `dtype` itself."""
        return precision.compute_dtype(dtype, self.half_in_float32)

    def _in_compute_dtype(self, value, variable):
        """A slot's initial value in the compute dtype (a half variable's slots: float32)."""
        value, compute = tf.convert_to_tensor(value), self.compute_dtype(variable.dtype)
        return tf.cast(value, compute) if value.dtype in (variable.dtype, compute) else value

    @property
    def built(self) -> bool:
        return bool(self._slots.of)

    def slot_variables(self, variable) -> dict:
        """The slot variables of `variable`, nested as `init_slots` nests them."""
        own = self._slots.of.get(unwrap(variable).ref())
        if own is None:
            raise KeyError(f"variable {variable.name!r} was never built into {self!r}")
        return own

    def get_slot(self, variable, name: str) -> tf.Variable:
        """The slot `name` (e.g. "m") of `variable`: this object's own, else at any depth."""
        own = self._slots.of.get(unwrap(variable).ref(), {})
        found = own[name] if name in own else _find(self.slot_variables(variable), name)
        if found is None:
            raise KeyError(f"{self!r} has no slot {name!r}")
        return found

    # The checkpoint's slot protocol.
    def get_slot_names(self) -> list[str]:
        """The names of this object's own slots (a wrapper's inner ones are the inner's)."""
        return sorted({k for slots in self._slots.of.values() for k in slots
                       if not isinstance(slots[k], dict)})

    def _create_or_restore_slot_variable(self, slot_variable_position, slot_name, variable,
                                         slot_variable_shape=None):
        """The slot a checkpoint restores into; builds `variable` first if needed."""
        self.build([variable])
        return self._slots.of[unwrap(variable).ref()].get(slot_name)


def _find(tree: dict, name: str):
    """The slot `name` in `tree` or, failing that, in its "inner" at any depth; else None."""
    if name in tree and not isinstance(tree[name], dict):
        return tree[name]
    inner = tree.get("inner")
    return _find(inner, name) if isinstance(inner, dict) else None
