"""Pure-Python transcriptions of the upstream schedule formulas, one step at a time.

Each follows its source's own structure (Keras's `__call__`, Model Garden's
offset wrapper and classes, torch's `OneCycleLR.get_lr`, optax's
`join_schedules`, the WSD papers' piecewise definition), in Python floats,
with no TensorFlow. Where upstream divides by zero, the transcription returns
NaN (as upstream's float arithmetic does) and the tests say what the schedule
returns there instead.
"""

from __future__ import annotations

import math

NAN = float("nan")


def _div(a, b):
    """a / b with IEEE semantics (inf or NaN for b == 0), as TensorFlow divides."""
    if b == 0:
        return NAN if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


# ---------------------------------------------------------------- Keras classes
def keras_piecewise(boundaries, values):
    def f(x):
        if x <= boundaries[0]:
            return values[0]
        if x > boundaries[-1]:
            return values[-1]
        for low, high, v in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            if low < x <= high:
                return v
        raise AssertionError("unreachable")
    return f


def keras_exponential(initial, decay_steps, decay_rate, staircase=False):
    def f(x):
        p = x / decay_steps
        if staircase:
            p = math.floor(p)
        return initial * decay_rate ** p
    return f


def keras_polynomial(initial, decay_steps, end=1e-4, power=1.0, cycle=False):
    def f(x):
        steps = float(decay_steps)
        if cycle:
            multiplier = 1.0 if x == 0 else math.ceil(x / decay_steps)
            steps = steps * multiplier
        else:
            x = min(x, steps)
        p = _div(x, steps)
        base = 1 - p
        if base < 0 and not float(power).is_integer():
            return NAN
        return (initial - end) * base ** power + end
    return f


def keras_cosine(initial, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    def decay(x, start):
        fraction = x / decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return start * ((1 - alpha) * cosine + alpha)

    def f(x):
        if warmup_target is None:
            return decay(min(x, decay_steps), initial)
        x = min(x, decay_steps + warmup_steps)
        if x < warmup_steps:
            return (warmup_target - initial) * (x / warmup_steps) + initial
        return decay(x - warmup_steps, warmup_target)
    return f


def sgdr_restarts(initial, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """Cosine restarts by walking the periods (Loshchilov & Hutter's definition)."""
    def f(x):
        start, length, i = 0.0, float(first_decay_steps), 0
        while x >= start + length:
            start, length, i = start + length, length * t_mul, i + 1
        r = (x - start) / length
        return initial * ((1 - alpha) * 0.5 * m_mul ** i * (1 + math.cos(math.pi * r)) + alpha)
    return f


# ---------------------------------------------------------- Model Garden classes
def with_offset(f, offset):
    """Model Garden's `_make_offset_wrapper`: the base schedule read at step - offset."""
    return lambda step: f(step - offset)


def mg_power(initial, power):
    return lambda step: initial * max(step, 1.0) ** power


def mg_power_linear(initial, total_decay_steps, power, linear_decay_fraction, offset):
    def f(step):
        step = step - offset
        lr = initial * max(step, 1.0) ** power
        if total_decay_steps * linear_decay_fraction > 0:
            lr *= min(1.0, (total_decay_steps - step)
                      / (total_decay_steps * linear_decay_fraction))
            lr = max(0.0, lr)
        return lr
    return f


def mg_power_with_offset(initial, power, offset, pre_offset):
    def f(step):
        after = max(step - offset, 1.0) ** power * initial
        sign = 1.0 if step > offset else 0.0
        return min((1.0 - sign) * pre_offset + sign * after, pre_offset)
    return f


def mg_step_cosine(boundaries, values, offset):
    """Upstream's loop, NaN where its zero-length last level divides by zero."""
    n = len(values)
    totals = [boundaries[i + 1] - boundaries[i] for i in range(n - 1)] + [0]

    def level(i, x):
        start, stop = values[i], values[i + 1] if i + 1 < n else 0.0
        c = _div(math.pi * x, totals[i])
        return NAN if math.isinf(c) or math.isnan(c) else \
            (start - stop) * (math.cos(c) + 1.0) / 2.0 + stop

    def f(step):
        x = step - offset
        lr = level(0, x)
        for i in range(1, n):
            if x >= boundaries[i]:
                lr = level(i, x - boundaries[i])
        return lr
    return f


def mg_linear_warmup(after, warmup_steps, warmup_learning_rate):
    final = after(warmup_steps)

    def f(step):
        if step < warmup_steps:
            return warmup_learning_rate + step / warmup_steps * (final - warmup_learning_rate)
        return after(step)
    return f


def mg_polynomial_warmup(after, warmup_steps, power):
    initial = after(warmup_steps)

    def f(step):
        pct = 1.0 if warmup_steps <= 0 else max(step, 1.0) / warmup_steps
        return initial * pct ** power if step < warmup_steps else after(step)
    return f


# ------------------------------------------------------------------- the others
def wsd(peak, total_steps, warmup_steps, decay_steps, shape, initial, final):
    shapes = {"linear": lambda p: 1 - p, "cosine": lambda p: (1 + math.cos(math.pi * p)) / 2,
              "1-sqrt": lambda p: 1 - math.sqrt(p)}

    def f(n):
        if n < warmup_steps:
            return initial + (peak - initial) * n / warmup_steps
        if n < total_steps - decay_steps:
            return peak
        if n >= total_steps:
            return final
        p = (n - (total_steps - decay_steps)) / decay_steps
        return final + (peak - final) * shapes[shape](p)
    return f


def torch_one_cycle(phases, anneal_strategy, total_steps):
    """torch's `OneCycleLR.get_lr`: `phases` is [(end_step, start_value, end_value)]."""
    def anneal(start, end, pct):
        if anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def f(step_num):
        if step_num > total_steps:
            raise ValueError("torch raises past total_steps")
        start_step = 0.0
        for i, (end_step, start, end) in enumerate(phases):
            if step_num <= end_step or i == len(phases) - 1:
                return anneal(start, end, (step_num - start_step) / (end_step - start_step))
            start_step = end_step
        raise AssertionError("unreachable")
    return f


def torch_lr_phases(max_lr, total_steps, pct_start, div_factor, final_div_factor, three_phase):
    initial = max_lr / div_factor
    low = initial / final_div_factor
    if three_phase:
        return [(float(pct_start * total_steps) - 1, initial, max_lr),
                (float(2 * pct_start * total_steps) - 2, max_lr, initial),
                (total_steps - 1, initial, low)]
    return [(float(pct_start * total_steps) - 1, initial, max_lr),
            (total_steps - 1, max_lr, low)]


def torch_momentum_phases(base, top, total_steps, pct_start, three_phase):
    if three_phase:
        return [(float(pct_start * total_steps) - 1, top, base),
                (float(2 * pct_start * total_steps) - 2, base, top),
                (total_steps - 1, top, top)]
    return [(float(pct_start * total_steps) - 1, top, base), (total_steps - 1, base, top)]


def optax_join(schedules, boundaries):
    def f(step):
        out = schedules[0](step)
        for boundary, schedule in zip(boundaries, schedules[1:]):
            out = out if step < boundary else schedule(step - boundary)
        return out
    return f
