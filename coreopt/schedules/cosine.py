"""Cosine schedules: Keras's `CosineDecay` (with Model Garden's offset and Keras's
warmup), Keras's `CosineDecayRestarts`, and Model Garden's `step_cosine_with_offset`.

The cosine decay is Loshchilov & Hutter, 2017, "SGDR: Stochastic Gradient
Descent with Warm Restarts" (ICLR), arXiv:1608.03983. Each formula is written
in the order of operations of the Keras source
(`keras/src/optimizers/schedules/learning_rate_schedule.py`), so that with a
float64 initial value Keras and these agree to rounding.
"""

from __future__ import annotations

import math

import tensorflow as tf

from coreopt.schedules import _args
from coreopt.schedules.base import Schedule, full


def _cosine_fraction(x, steps, alpha):
    """(1 - alpha) * (1 + cos(pi * x / steps)) / 2 + alpha, in Keras's order."""
    cosine = 0.5 * (1.0 + tf.cos(math.pi * (x / steps)))
    return (1.0 - alpha) * cosine + alpha


class Cosine(Schedule):
    """Cosine decay from `initial` to `alpha * initial`, with an optional linear warmup.

    With s = step - offset, d = decay_steps and w = warmup_steps::

        no warmup_target:  initial * c(min(s, d))
        with warmup_target:
            s' = min(s, w + d)
            initial + (warmup_target - initial) * s' / w   for s' < w
            warmup_target * c(s' - w)                       otherwise
        c(x) = (1 - alpha) * (1 + cos(pi * x / d)) / 2 + alpha

    The decay ends at s = d (or w + d) and holds its last value after.
    Before the offset (s < 0) the cosine is read at negative s (a mirror
    image), as upstream.

    References: Keras `keras.optimizers.schedules.CosineDecay` (its
    `warmup_target`, `warmup_steps`); Model Garden `cosine`
    (`CosineDecayWithOffset`, `CosineLrConfig`), which has no warmup of its
    own (a Model Garden warmup wraps it: `LinearWarmup`).

    Args:
        initial: the value at s = 0, float >= 0.
        decay_steps: int >= 1.
        alpha: the final value as a fraction of the decay's start, in [0, 1].
        warmup_target: None, or the value the warmup reaches (float >= 0).
        warmup_steps: int >= 0; needs `warmup_target` when positive.
        offset: an int; the schedule is read at `step - offset`.

    Example:
        >>> lr = Cosine(initial=0.1, decay_steps=1000)
        >>> lr
        Cosine(initial=0.1, decay_steps=1000, alpha=0.0)
        >>> [round(float(lr(s)), 6) for s in (0, 500, 1000, 2000)]
        [0.1, 0.05, 0.0, 0.0]
        >>> warm = Cosine(0.0, 100, warmup_target=1.0, warmup_steps=10)
        >>> [round(float(warm(s)), 6) for s in (0, 5, 10, 60, 110)]
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    registry_name = "cosine"
    _quiet = ("offset", "warmup_target", "warmup_steps")

    def __init__(self, initial, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0,
                 offset=0):
        self.initial = _args.nonnegative("initial", initial)
        self.decay_steps = _args.integer("decay_steps", decay_steps, low=1)
        self.alpha = _args.real("alpha", alpha, 0.0, 1.0)
        self.warmup_target = (None if warmup_target is None
                              else _args.nonnegative("warmup_target", warmup_target))
        self.warmup_steps = _args.integer("warmup_steps", warmup_steps, low=0)
        if self.warmup_steps and self.warmup_target is None:
            raise ValueError(f"`warmup_steps` = {self.warmup_steps} needs `warmup_target` (the "
                             "value the warmup climbs to); received warmup_target=None.")
        self.offset = _args.integer("offset", offset)

    def at(self, t):
        s, d = t - self.offset, float(self.decay_steps)
        if self.warmup_target is None:
            return self.initial * _cosine_fraction(tf.minimum(s, d), d, self.alpha)
        w = float(self.warmup_steps)
        s = tf.minimum(s, d + w)
        climb = (self.warmup_target - self.initial) * (s / max(w, 1.0)) + self.initial
        decay = self.warmup_target * _cosine_fraction(s - w, d, self.alpha)
        return tf.where(s < w, climb, decay)

    @property
    def horizon(self):
        warm = self.warmup_steps if self.warmup_target is not None else 0
        return self.offset + warm + self.decay_steps


class CosineRestarts(Schedule):
    """Cosine decay with warm restarts (SGDR), as Keras's `CosineDecayRestarts`.

    With x = step / first_decay_steps, the restart index i and the fraction
    r of the current period are::

        t_mul == 1:  i = floor(x),  r = x - i
        t_mul > 1:   i = floor(log(1 - x * (1 - t_mul)) / log(t_mul)),
                     r = (x - (1 - t_mul ** i) / (1 - t_mul)) / t_mul ** i
        value = initial * ((1 - alpha) * m_mul ** i * (1 + cos(pi * r)) / 2 + alpha)

    Period i lasts `first_decay_steps * t_mul ** i` steps and starts at
    `m_mul ** i` of the amplitude; the floor `alpha * initial` is not scaled
    by `m_mul` (Keras's formula). Two differences from Keras: at a restart
    step with `t_mul > 1`, the quotient of logs can fall a hair short of the
    integer (TensorFlow's log of a batch and of a scalar differ in the last
    bit, so Keras, given a batch of steps and `t_mul=3`, misses the restart
    at the end of the first period and returns the floor `alpha * initial`);
    here `i` is checked against the periods' exact starts, so the restart
    happens on its step, as it does with `t_mul == 1`. And Keras also takes
    `t_mul < 1` (periods that shrink to a finite total, after which its
    formula is NaN); here that is refused.

    Reference: Keras `keras.optimizers.schedules.CosineDecayRestarts`
    (`tf.compat.v1.train.cosine_decay_restarts` before it).

    Args:
        initial: float >= 0.
        first_decay_steps: int >= 1, the first period's length.
        t_mul: float >= 1, each period's length over the one before.
        m_mul: float >= 0, each period's amplitude over the one before.
        alpha: the floor as a fraction of `initial`, in [0, 1].

    Example:
        >>> lr = CosineRestarts(initial=1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
        >>> [round(float(lr(s)), 6) for s in (0, 5, 10, 20, 30)]
        [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    registry_name = "cosine_restarts"

    def __init__(self, initial, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
        self.initial = _args.nonnegative("initial", initial)
        self.first_decay_steps = _args.integer("first_decay_steps", first_decay_steps, low=1)
        self.t_mul = _args.real("t_mul", t_mul, 1.0)
        self.m_mul = _args.nonnegative("m_mul", m_mul)
        self.alpha = _args.real("alpha", alpha, 0.0, 1.0)

    def _nearest_restart(self, x, i, t_mul):
        """`i` moved by one where the log rounded across a period's exact start."""
        def start(k):  # where period k starts, in units of the first period
            return (1.0 - tf.pow(t_mul, k)) / (1.0 - self.t_mul)
        i = tf.where(x >= start(i + 1.0), i + 1.0, i)
        return tf.where(x < start(i), i - 1.0, i)

    def at(self, t):
        x = t / float(self.first_decay_steps)
        if self.t_mul == 1.0:
            i = tf.math.floor(x)
            r = x - i
        else:
            t_mul = full(t, self.t_mul)
            i = tf.math.floor(tf.math.log(1.0 - x * (1.0 - self.t_mul)) / tf.math.log(t_mul))
            i = self._nearest_restart(x, i, t_mul)
            done = (1.0 - tf.pow(t_mul, i)) / (1.0 - self.t_mul)
            r = (x - done) / tf.pow(t_mul, i)
        cosine = 0.5 * tf.pow(full(t, self.m_mul), i) * (1.0 + tf.cos(math.pi * r))
        return self.initial * ((1.0 - self.alpha) * cosine + self.alpha)


class StepCosineWithOffset(Schedule):
    """Cosine pieces: from `values[i]` down to `values[i+1]` between boundaries.

    With s = step - offset, boundaries b[0] < ... < b[n-1] (n = len(values)),
    v[n] = 0 and L[i] = b[i+1] - b[i]::

        piece(i, x) = (v[i] - v[i+1]) * (cos(pi * x / L[i]) + 1) / 2 + v[i+1]
        value = piece(0, s)                for s < b[1]
              = piece(i, s - b[i])         for b[i] <= s < b[i+1], 0 < i < n-1
              = v[n-1]                     for s >= b[n-1]

    As upstream, the first piece is read at s itself, not s - b[0]: with
    b[0] = 0 (the usual config) it runs from v[0] at step 0 to v[1] at b[1];
    with b[0] > 0 the first cosine starts at step 0 with period 2 * L[0].
    Upstream's last piece has length 0 (it divides by it, NaN from b[n-1] on);
    here the value holds at v[n-1] from b[n-1] on, and a single value is a
    constant.

    Reference: Model Garden `step_cosine_with_offset`
    (`StepCosineDecayWithOffset`, `StepCosineLrConfig`).

    Args:
        boundaries: strictly increasing step counts >= 0, one per value.
        values: floats >= 0, as many as `boundaries` (upstream's check).
        offset: an int; the schedule is read at `step - offset`.

    Example:
        >>> lr = StepCosineWithOffset(boundaries=[0, 100, 200], values=[1.0, 0.5, 0.1])
        >>> [round(float(lr(s)), 6) for s in (0, 50, 100, 150, 200, 300)]
        [1.0, 0.75, 0.5, 0.3, 0.1, 0.1]
    """

    registry_name = "step_cosine_with_offset"

    def __init__(self, boundaries, values, offset=0):
        self.boundaries = _args.increasing_steps("boundaries", boundaries)
        n = len(self.boundaries)
        self.values = _args.values("values", values, n,
                                   f" (one per boundary: {n} boundaries)")
        self.offset = _args.integer("offset", offset)

    def _piece(self, i, x):
        v, b = self.values, self.boundaries
        start, stop = v[i], v[i + 1] if i + 1 < len(v) else 0.0
        return (start - stop) * (tf.cos(math.pi * x / (b[i + 1] - b[i])) + 1.0) / 2.0 + stop

    def at(self, t):
        s, b, n = t - self.offset, self.boundaries, len(self.values)
        if n == 1:
            return full(t, self.values[0])
        out = self._piece(0, s)
        for i in range(1, n - 1):
            out = tf.where(s >= b[i], self._piece(i, s - b[i]), out)
        return tf.where(s >= b[-1], full(t, self.values[-1]), out)

    @property
    def horizon(self):
        return self.offset + self.boundaries[-1]
