"""The members' hyperparameters of a population: numbers and schedules, per step.

Member i's value of hyperparameter k is a number h_ik or a schedule s_ik (a
`coreopt.schedules.Schedule`, or any callable of the steps taken, as an
optimizer takes it). Before the step that follows t steps, the members read

    value_k(t) = [v_1k(t), ..., v_Nk(t)],   v_ik(t) = h_ik  or  s_ik(t)     # float64 [N]

a column of numbers being one constant tensor and a column holding a schedule
being the N values stacked: each schedule is traced once, inside the compiled
step, and evaluated at the step count every member shares there, as an
optimizer alone reads `lr(state["iterations"])`.

Example:
    >>> from coreopt import schedules
    >>> hyper = MemberHyper([{"learning_rate": 0.1, "beta_1": 0.9},
    ...                      {"learning_rate": schedules.Cosine(0.2, decay_steps=10),
    ...                       "beta_1": 0.8}])
    >>> hyper
    MemberHyper(2 members, numbers: beta_1; scheduled: learning_rate)
    >>> [round(float(v), 4) for v in hyper.at(5)["learning_rate"]]
    [0.1, 0.1]
"""

from __future__ import annotations

import numbers

import numpy as np
import tensorflow as tf

from coreopt.core.hyperparameters import at_step, is_schedule

__all__ = ["MemberHyper", "check_member_value", "is_schedule"]


def check_member_value(name: str, index: int | None, value):
    """`value` if it is a real number or a schedule, else a TypeError naming it.

    `index` is the member's (None for a value every member shares).
    """
    if is_schedule(value) or (isinstance(value, (numbers.Real, np.generic))
                              and not isinstance(value, (bool, np.bool_))):
        return value
    where = f"`{name}`" if index is None else f"`{name}[{index}]` (member {index})"
    raise TypeError(f"{where} must be a number or a schedule (a coreopt.schedules.Schedule, "
                    f"or a callable of the step); received {value!r} of type "
                    f"{type(value).__name__}.")


class MemberHyper:
    """The members' numeric hyperparameters, read at a step (see the module docstring).

    Args:
        configs: one dict per member, hyperparameter name -> number or schedule
            (a "seed" key is ignored); every dict has the same names.
    """

    def __init__(self, configs: list):
        names = [k for k in configs[0] if k != "seed"]
        self.size = len(configs)
        self.scheduled = {k: [c[k] for c in configs] for k in names
                          if any(is_schedule(c[k]) for c in configs)}
        self.numbers = {k: tf.constant([float(c[k]) for c in configs], tf.float64)
                        for k in names if k not in self.scheduled}

    def __repr__(self):
        return (f"MemberHyper({self.size} members, numbers: {', '.join(self.numbers) or '-'}; "
                f"scheduled: {', '.join(self.scheduled) or '-'})")

    def at(self, step, numbers: dict | None = None) -> dict:
        """name -> the members' values for the step after `step` steps, float64 [N].

        `numbers` stands in for the number columns (`self.numbers` passed into a
        compiled function as its arguments); default `self.numbers`.
        """
        values = dict(self.numbers if numbers is None else numbers)
        for name, column in self.scheduled.items():
            values[name] = tf.stack([_value(v, step) for v in column])
        return values


def _value(value, step) -> tf.Tensor:
    """A member's value: a schedule's at the int64 `step`, or the number, float64 scalar."""
    return tf.reshape(at_step(value, {"iterations": tf.cast(step, tf.int64)}), [])
