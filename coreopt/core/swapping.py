"""Variables paired with one of their slots, and a block in which they hold other values.

What EMA's averages and Schedule-Free's evaluation point share: `slot_pairs`
checks every entry before anything changes, and `swapped(pairs)` assigns
each variable its value and gives the old one back on leaving the block (an
exception included).
"""

from __future__ import annotations

import contextlib

import tensorflow as tf

from coreopt.core.variables import unwrap


def slot_pairs(optimizer, variables, slot: str, lacking: str = ":") -> list:
    """[(variable, its slot variable `slot`)] for a variable or a list of them.

    `lacking` follows the optimizer's name in the error for a variable it never
    built (", so it has no average;").

    Raises:
        TypeError: an entry that is not a tf or Keras variable.
        ValueError: a variable the optimizer never built.
    """
    if isinstance(variables, tf.Variable) or hasattr(variables, "value"):
        variables = [variables]
    pairs = []
    for i, var in enumerate(unwrap(v) for v in variables):
        if not isinstance(var, tf.Variable):
            raise TypeError(f"`variables[{i}]` must be a tf.Variable or a Keras variable; "
                            f"received {type(var).__name__}.")
        try:
            pairs.append((var, optimizer.slot_variables(var)[slot]))
        except KeyError:
            raise ValueError(f"`variables[{i}]` ({var.name}) was never built into "
                             f"{type(optimizer).__name__}{lacking} step it or call "
                             "`opt.build(vars)` first.") from None
    return pairs


@contextlib.contextmanager
def swapped(pairs):
    """Within the block each variable of `pairs` [(variable, value)] holds its value."""
    saved = [var.read_value() for var, _ in pairs]
    try:
        for var, value in pairs:
            var.assign(value)
        yield
    finally:
        for (var, _), value in zip(pairs, saved):
            var.assign(value)
