"""Model Garden's power-law types: `power`, `power_linear` and `power_with_offset`.

From TensorFlow Model Garden, `official/modeling/optimization/lr_schedule.py`
(`DirectPowerDecay`, `PowerAndLinearDecay`, `PowerDecayWithOffset`), with the
config defaults of `configs/learning_rate_config.py` (power -0.5, an inverse
square root; the classes themselves default to 1.0). Each clamps the step at 1
before raising it to the power, so step 0 reads as step 1. Upstream computes
in float32; these compute in float64.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.schedules import _args
from coreopt.schedules.base import Schedule, full


def _power(name, value):
    return _args.real(name, value)


class Power(Schedule):
    """A power of the step: `initial * max(step, 1) ** power`.

    Reference: Model Garden `power` (`DirectPowerDecay`, `DirectPowerLrConfig`).

    Args:
        initial: the value at steps 0 and 1, float >= 0.
        power: any finite float (-0.5: inverse square-root decay).

    Example:
        >>> lr = Power(initial=1.0, power=-0.5)
        >>> [float(lr(s)) for s in (0, 1, 4, 100)]
        [1.0, 1.0, 0.5, 0.1]
    """

    registry_name = "power"

    def __init__(self, initial, power=-0.5):
        self.initial = _args.nonnegative("initial", initial)
        self.power = _power("power", power)

    def at(self, t):
        return self.initial * tf.pow(tf.maximum(t, 1.0), self.power)


class PowerLinear(Schedule):
    """A power of the step, times a linear decay to 0 over the last fraction of steps.

    With s = step - offset, T = total_decay_steps and f = linear_decay_fraction::

        v = initial * max(s, 1) ** power
        v = max(0, v * min(1, (T - s) / (T * f)))      (only when T * f > 0)

    So: `initial` before the offset and at s <= 1, the power law until
    s = T * (1 - f), then the power law times a line that reaches 0 at s = T,
    and 0 after. With T * f = 0 it is the power law alone (as upstream).

    Reference: Model Garden `power_linear` (`PowerAndLinearDecay`,
    `PowerAndLinearDecayLrConfig`).

    Args:
        initial: float >= 0.
        total_decay_steps: int >= 0, the step (after the offset) where it reaches 0.
        power: any finite float.
        linear_decay_fraction: in [0, 1].
        offset: an int; the schedule is read at `step - offset`.

    Example:
        >>> lr = PowerLinear(initial=1.0, total_decay_steps=100, power=0.0,
        ...                  linear_decay_fraction=0.5)
        >>> [round(float(lr(s)), 6) for s in (0, 50, 75, 100, 120)]
        [1.0, 1.0, 0.5, 0.0, 0.0]
    """

    registry_name = "power_linear"

    def __init__(self, initial, total_decay_steps, power=-0.5, linear_decay_fraction=0.1,
                 offset=0):
        self.initial = _args.nonnegative("initial", initial)
        self.total_decay_steps = _args.integer("total_decay_steps", total_decay_steps, low=0)
        self.power = _power("power", power)
        self.linear_decay_fraction = _args.real("linear_decay_fraction",
                                                linear_decay_fraction, 0.0, 1.0)
        self.offset = _args.integer("offset", offset)

    @property
    def _linear_steps(self) -> float:
        return self.total_decay_steps * self.linear_decay_fraction

    def at(self, t):
        s = t - self.offset
        v = self.initial * tf.pow(tf.maximum(s, 1.0), self.power)
        if self._linear_steps > 0:
            ramp = tf.minimum((self.total_decay_steps - s) / self._linear_steps, 1.0)
            v = tf.maximum(v * ramp, 0.0)
        return v

    @property
    def horizon(self):
        return self.offset + self.total_decay_steps if self._linear_steps > 0 else None


class PowerWithOffset(Schedule):
    """`pre_offset` up to the offset, then `initial * max(step - offset, 1) ** power`.

    ::

        v = pre_offset                                   for step <= offset
        v = initial * max(step - offset, 1) ** power     for step > offset
        value = min(v, pre_offset)

    The cap at `pre_offset` keeps a positive power (or a large `initial`)
    from exceeding it.

    Reference: Model Garden `power_with_offset` (`PowerDecayWithOffset`,
    `PowerDecayWithOffsetLrConfig`).

    Args:
        initial: float >= 0.
        power: any finite float.
        offset: an int, the last step that takes `pre_offset`.
        pre_offset: float >= 0, the value up to the offset and the cap
            (default 1e6, as upstream).

    Example:
        >>> lr = PowerWithOffset(initial=1.0, power=-0.5, offset=10, pre_offset=0.8)
        >>> [float(lr(s)) for s in (0, 10, 11, 14, 110)]
        [0.8, 0.8, 0.8, 0.5, 0.1]
    """

    registry_name = "power_with_offset"

    def __init__(self, initial, power=-0.5, offset=0, pre_offset=1e6):
        self.initial = _args.nonnegative("initial", initial)
        self.power = _power("power", power)
        self.offset = _args.integer("offset", offset)
        self.pre_offset = _args.nonnegative("pre_offset", pre_offset)

    def at(self, t):
        after = tf.pow(tf.maximum(t - self.offset, 1.0), self.power) * self.initial
        v = tf.where(t > self.offset, after, full(t, self.pre_offset))
        return tf.minimum(v, self.pre_offset)
