"""`Join`: schedules one after another, each restarted at its boundary."""

from __future__ import annotations

import tensorflow as tf

from coreopt.schedules import _args
from coreopt.schedules.base import Schedule, schedule_arg


class Join(Schedule):
    """Schedules in turn: the i-th runs from `boundaries[i-1]`, on its own step count.

    With boundaries b[0] < ... < b[n-2] and b[-1] = 0::

        value(step) = schedules[i](step - b[i-1])    for b[i-1] <= step < b[i]

    the last schedule running from b[n-2] on. At a boundary the next
    schedule starts at its own step 0.

    Reference: optax `optax.join_schedules` (the same boundary rule: the
    i-th schedule is read at `step - boundaries[i-1]` once `step >=
    boundaries[i-1]`).

    Args:
        schedules: a list of schedules (a number is a constant), one more
            than `boundaries`.
        boundaries: strictly increasing step counts >= 0.

    Example:
        >>> from coreopt.schedules import Cosine, Polynomial
        >>> lr = Join([Polynomial(0.0, 10, end=1.0), Cosine(1.0, 100)], boundaries=[10])
        >>> [round(float(lr(s)), 6) for s in (0, 5, 10, 60, 110)]
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    registry_name = "join"

    def __init__(self, schedules, boundaries):
        items = _args.sequence("schedules", schedules)
        self.schedules = tuple(schedule_arg(f"schedules[{i}]", s) for i, s in enumerate(items))
        self.boundaries = _args.increasing_steps("boundaries", boundaries, nonempty=False)
        if len(self.schedules) != len(self.boundaries) + 1:
            raise ValueError(f"`schedules` must have one more entry than `boundaries` "
                             f"({len(self.boundaries)} boundaries, so "
                             f"{len(self.boundaries) + 1} schedules); received "
                             f"{len(self.schedules)}.")

    def at(self, t):
        out = self.schedules[0].at(t)
        for b, schedule in zip(self.boundaries, self.schedules[1:]):
            out = tf.where(t < b, out, schedule.at(t - b))
        return out

    @property
    def horizon(self):
        last = self.schedules[-1].horizon
        if last is None:
            return None
        return last + (self.boundaries[-1] if self.boundaries else 0)
