"""Warmups: Model Garden's `linear` and `polynomial` warmups, and warmup-stable-decay.

Model Garden's warmups (`LinearWarmup`, `PolynomialWarmUp` in
`official/modeling/optimization/lr_schedule.py`; `LinearWarmupConfig`,
`PolynomialWarmupConfig` in `configs/learning_rate_config.py`) wrap a
schedule `after`: for the first `warmup_steps` steps they climb to
`after(warmup_steps)`, the value `after` has where the warmup hands over, and
from then on they return `after(step)` at the same, unshifted step. The
warmup so replaces the first `warmup_steps` steps of `after` rather than
delaying it (give `after` an `offset`, or use `Join`, to delay it).
"""

from __future__ import annotations

import math

import tensorflow as tf

from coreopt.schedules import _args
from coreopt.schedules.base import Schedule, full, schedule_arg


def _warmup_steps(value, after: Schedule) -> int:
    steps = _args.integer("warmup_steps", value, low=0)
    if after.horizon is not None and steps > after.horizon:
        raise ValueError(f"`warmup_steps` must be in [0, {after.horizon}], the steps of the "
                         f"schedule it warms ({after!r} ends at step {after.horizon}); "
                         f"received {steps}.")
    return steps


class _Warmup(Schedule):
    """A warmup of `after`: `climb(t, W, after(W))` before step W, `after(t)` from W on."""

    def climb(self, t, w, target):
        raise NotImplementedError

    def at(self, t):
        later = self.after.at(t)
        if not self.warmup_steps:
            return later
        w = float(self.warmup_steps)
        climb = self.climb(t, w, self.after.at(full(t, w)))
        return tf.where(t < w, climb, later)


class LinearWarmup(_Warmup):
    """A linear climb from `initial` to `after(warmup_steps)`, then `after`.

    With w = warmup_steps::

        initial + step / w * (after(w) - initial)    for step < w
        after(step)                                  for step >= w

    Reference: Model Garden's `linear` warmup (`LinearWarmup`,
    `LinearWarmupConfig`, whose `warmup_learning_rate` is `initial` here).

    Args:
        after: the schedule warmed (a `Schedule`, or a number for a constant).
        warmup_steps: int >= 0, at most the step where `after` settles.
        initial: the value at step 0, float >= 0.

    Example:
        >>> from coreopt.schedules import Cosine
        >>> lr = LinearWarmup(Cosine(initial=1.0, decay_steps=100), warmup_steps=50)
        >>> [round(float(lr(s)), 6) for s in (0, 25, 50, 100)]
        [0.0, 0.25, 0.5, 0.0]
    """

    registry_name = "linear_warmup"

    def __init__(self, after, warmup_steps, initial=0.0):
        self.after = schedule_arg("after", after)
        self.warmup_steps = _warmup_steps(warmup_steps, self.after)
        self.initial = _args.nonnegative("initial", initial)

    def climb(self, t, w, target):
        return self.initial + t / w * (target - self.initial)

    @property
    def horizon(self):
        return self.after.horizon


class PolynomialWarmup(_Warmup):
    """A polynomial climb to `after(warmup_steps)`, then `after`.

    With w = warmup_steps::

        after(w) * (max(step, 1) / w) ** power    for step < w
        after(step)                               for step >= w

    Step 0 reads as step 1 (upstream's guard), so the first value is
    `after(w) / w ** power`, not 0.

    Reference: Model Garden's `polynomial` warmup (`PolynomialWarmUp`,
    `PolynomialWarmupConfig`).

    Args:
        after: the schedule warmed (a `Schedule`, or a number for a constant).
        warmup_steps: int >= 0, at most the step where `after` settles.
        power: float >= 0 (1 is linear).

    Example:
        >>> lr = PolynomialWarmup(1.0, warmup_steps=10, power=2.0)
        >>> [round(float(lr(s)), 6) for s in (0, 1, 5, 10, 20)]
        [0.01, 0.01, 0.25, 1.0, 1.0]
    """

    registry_name = "polynomial_warmup"

    def __init__(self, after, warmup_steps, power=1.0):
        self.after = schedule_arg("after", after)
        self.warmup_steps = _warmup_steps(warmup_steps, self.after)
        self.power = _args.nonnegative("power", power)

    def climb(self, t, w, target):
        return target * tf.pow(tf.maximum(t, 1.0) / w, self.power)

    @property
    def horizon(self):
        return self.after.horizon


_SHAPES = {
    "linear": lambda p: 1.0 - p,
    "cosine": lambda p: 0.5 * (1.0 + tf.cos(math.pi * p)),
    "1-sqrt": lambda p: 1.0 - tf.sqrt(p),
}


class WarmupStableDecay(Schedule):
    """Warmup-stable-decay (WSD): a linear warmup, a plateau, and a final decay.

    With w = warmup_steps, d = decay_steps, T = total_steps and the decay's
    progress p = (step - (T - d)) / d::

        initial + (peak - initial) * step / w       for step < w
        peak                                        for w <= step < T - d
        final + (peak - final) * shape(p)           for T - d <= step < T
        final                                       for step >= T
        shape: linear 1 - p;  cosine (1 + cos(pi * p)) / 2;  1-sqrt 1 - sqrt(p)

    As with the other schedules, `step` counts the steps taken, so a run of T
    updates uses steps 0 to T - 1 and never reads `final` itself.

    References: Hu et al., 2024, "MiniCPM: Unveiling the Potential of Small
    Language Models with Scalable Training Strategies", arXiv:2404.06395 (the
    WSD schedule); Hägele et al., 2024, "Scaling Laws and Compute-Optimal
    Training Beyond Fixed Training Durations", arXiv:2405.18392 (constant
    learning rate with a cooldown; the 1-sqrt shape).

    Args:
        peak: the plateau's value, float >= 0.
        total_steps: int >= 1, where the decay ends.
        warmup_steps: int >= 0.
        decay_steps: int >= 0; `warmup_steps + decay_steps <= total_steps`.
        shape: "linear", "cosine" or "1-sqrt".
        initial: the warmup's start, float >= 0.
        final: the decay's end, float >= 0.

    Example:
        >>> lr = WarmupStableDecay(peak=1.0, total_steps=100, warmup_steps=10,
        ...                        decay_steps=20, shape="1-sqrt")
        >>> [round(float(lr(s)), 6) for s in (0, 5, 10, 80, 85, 100)]
        [0.0, 0.5, 1.0, 1.0, 0.5, 0.0]
    """

    registry_name = "wsd"
    aliases = ("warmup_stable_decay",)

    def __init__(self, peak, total_steps, warmup_steps, decay_steps, shape="linear",
                 initial=0.0, final=0.0):
        self.peak = _args.nonnegative("peak", peak)
        self.total_steps = _args.integer("total_steps", total_steps, low=1)
        self.warmup_steps = _args.integer("warmup_steps", warmup_steps, low=0)
        self.decay_steps = _args.integer("decay_steps", decay_steps, low=0)
        if self.warmup_steps + self.decay_steps > self.total_steps:
            raise ValueError(
                f"`warmup_steps` + `decay_steps` must be in [0, total_steps = "
                f"{self.total_steps}]; received {self.warmup_steps} + {self.decay_steps}.")
        self.shape = _args.choice("shape", shape, tuple(_SHAPES))
        self.initial = _args.nonnegative("initial", initial)
        self.final = _args.nonnegative("final", final)

    def at(self, t):
        w, total = float(self.warmup_steps), float(self.total_steps)
        start = total - self.decay_steps
        p = tf.clip_by_value((t - start) / max(self.decay_steps, 1), 0.0, 1.0)
        p = tf.where(t >= total, full(t, 1.0), p)
        out = self.final + (self.peak - self.final) * _SHAPES[self.shape](p)
        out = tf.where(t < start, full(t, self.peak), out)
        if self.warmup_steps:
            climb = self.initial + (self.peak - self.initial) * (t / w)
            out = tf.where(t < w, climb, out)
        return out

    @property
    def horizon(self):
        return self.total_steps
