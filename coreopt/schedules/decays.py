"""Model Garden's `stepwise`, `exponential` and `polynomial` types, with their offset.

TensorFlow Model Garden (`official/modeling/optimization/lr_schedule.py`)
builds these three by wrapping the Keras schedules `PiecewiseConstantDecay`,
`ExponentialDecay` and `PolynomialDecay` so that the wrapped schedule is read
at `step - offset` (`PiecewiseConstantDecayWithOffset` and so on; the config
fields are in `configs/learning_rate_config.py`). Nothing clamps the shifted
step: before the offset each formula is read at a negative step, which
upstream does too. Upstream computes in float32; these compute in float64.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.schedules import _args
from coreopt.schedules.base import Schedule, full


class Stepwise(Schedule):
    """Piecewise constant: `values[i]` between `boundaries[i-1]` and `boundaries[i]`.

    With s = step - offset and boundaries b[0] < ... < b[n-1]::

        values[0]   for s <= b[0]
        values[i]   for b[i-1] < s <= b[i]
        values[n]   for s > b[n-1]

    so a boundary step still takes the value before it (Keras's convention).

    References: Keras `keras.optimizers.schedules.PiecewiseConstantDecay`;
    Model Garden `stepwise` (`PiecewiseConstantDecayWithOffset`).

    Args:
        boundaries: strictly increasing step counts >= 0 (at least one).
        values: floats >= 0, one more than `boundaries`.
        offset: an int; the schedule is read at `step - offset`.

    Example:
        >>> lr = Stepwise(boundaries=[100, 200], values=[1.0, 0.5, 0.1])
        >>> [float(lr(s)) for s in (0, 100, 101, 200, 201)]
        [1.0, 1.0, 0.5, 0.5, 0.1]
    """

    registry_name = "stepwise"

    def __init__(self, boundaries, values, offset=0):
        self.boundaries = _args.increasing_steps("boundaries", boundaries)
        n = len(self.boundaries)
        self.values = _args.values("values", values, n + 1,
                                   f" (one more than the {n} boundaries)")
        self.offset = _args.integer("offset", offset)

    def at(self, t):
        s = t - self.offset
        out = full(t, self.values[-1])
        for b, v in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            out = tf.where(s <= b, full(t, v), out)
        return out

    @property
    def horizon(self):
        return self.offset + self.boundaries[-1]


class Exponential(Schedule):
    """Exponential decay: `initial * decay_rate ** (s / decay_steps)`, s = step - offset.

    With `staircase=True` the exponent is `floor(s / decay_steps)`: the value
    drops once every `decay_steps` steps. Before the offset (s < 0) the value
    is the formula's, above `initial` when `decay_rate < 1`, as upstream.

    References: Keras `keras.optimizers.schedules.ExponentialDecay`; Model
    Garden `exponential` (`ExponentialDecayWithOffset`).

    Args:
        initial: the value at s = 0, float >= 0.
        decay_steps: int >= 1.
        decay_rate: float > 0 (below 1 decays, above 1 grows).
        staircase: decay in whole periods.
        offset: an int; the schedule is read at `step - offset`.

    Example:
        >>> lr = Exponential(initial=1.0, decay_steps=10, decay_rate=0.5, staircase=True)
        >>> [float(lr(s)) for s in (0, 9, 10, 25)]
        [1.0, 1.0, 0.5, 0.25]
    """

    registry_name = "exponential"

    def __init__(self, initial, decay_steps, decay_rate, staircase=False, offset=0):
        self.initial = _args.nonnegative("initial", initial)
        self.decay_steps = _args.integer("decay_steps", decay_steps, low=1)
        self.decay_rate = _args.positive("decay_rate", decay_rate)
        self.staircase = _args.boolean("staircase", staircase)
        self.offset = _args.integer("offset", offset)

    def at(self, t):
        p = (t - self.offset) / self.decay_steps
        if self.staircase:
            p = tf.math.floor(p)
        return self.initial * tf.pow(full(t, self.decay_rate), p)


class Polynomial(Schedule):
    """Polynomial decay from `initial` to `end` over `decay_steps` steps.

    With s = step - offset and d = decay_steps::

        p = min(s, d) / d                           (cycle=False)
        p = s / (d * max(1, ceil(s / d)))           (cycle=True)
        value = (initial - end) * (1 - p) ** power + end

    Without cycling the value stays at `end` from s = d on; with cycling it
    decays to `end` again by each multiple of d: in the k-th period,
    (k-1) * d < s <= k * d, p = s / (k * d), so it restarts just below
    `end + (initial - end) / k ** power` (Keras's formula). Before the offset
    (s < 0) both read the formula at negative s, above `initial`, as upstream
    does without cycling; upstream's cycling divides by a zero or negative
    period there, which the `max(1, .)` replaces (the one place these differ
    from upstream beyond float64).

    References: Keras `keras.optimizers.schedules.PolynomialDecay`; Model
    Garden `polynomial` (`PolynomialDecayWithOffset`).

    Args:
        initial: the value at s = 0, float >= 0.
        decay_steps: int >= 1.
        end: the value at the end of the decay, float >= 0 (default 1e-4, as
            Keras and Model Garden).
        power: float >= 0 (1 is linear).
        cycle: restart the decay every `decay_steps` steps.
        offset: an int; the schedule is read at `step - offset`.

    Example:
        >>> lr = Polynomial(initial=1.0, decay_steps=100, end=0.0, power=2.0)
        >>> [float(lr(s)) for s in (0, 50, 100, 150)]
        [1.0, 0.25, 0.0, 0.0]
    """

    registry_name = "polynomial"

    def __init__(self, initial, decay_steps, end=1e-4, power=1.0, cycle=False, offset=0):
        self.initial = _args.nonnegative("initial", initial)
        self.decay_steps = _args.integer("decay_steps", decay_steps, low=1)
        self.end = _args.nonnegative("end", end)
        self.power = _args.nonnegative("power", power)
        self.cycle = _args.boolean("cycle", cycle)
        self.offset = _args.integer("offset", offset)

    def at(self, t):
        s, d = t - self.offset, float(self.decay_steps)
        if self.cycle:
            period = d * tf.maximum(tf.math.ceil(s / d), 1.0)
        else:
            s, period = tf.minimum(s, d), d
        p = s / period
        return (self.initial - self.end) * tf.pow(1.0 - p, self.power) + self.end

    @property
    def horizon(self):
        return None if self.cycle else self.offset + self.decay_steps
