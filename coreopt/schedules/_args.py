"""Constructor argument checks for the schedules.

Each check returns the argument in its stored form (a Python float, int, bool,
str or tuple) or raises a `TypeError` (wrong kind) or `ValueError` (out of
range) whose message names the argument, the accepted range and the value
received.

Example:
    >>> integer("decay_steps", 1000, low=1)
    1000
    >>> integer("decay_steps", -5, low=1)
    Traceback (most recent call last):
    ...
    ValueError: `decay_steps` must be an integer in [1, inf); received -5.
"""

from __future__ import annotations

import math
import numbers


def _interval(low, high, low_open, high_open) -> str:
    left = "(" if low_open or low == -math.inf else "["
    right = ")" if high_open or high == math.inf else "]"
    return f"{left}{low:g}, {high:g}{right}"


def real(name: str, value, low=-math.inf, high=math.inf, *, low_open=False,
         high_open=False) -> float:
    """`value` as a float in the interval from `low` to `high` (infinities excluded)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; received {value!r} "
                        f"of type {type(value).__name__}.")
    x = float(value)
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if not math.isfinite(x) or too_low or too_high:
        raise ValueError(f"`{name}` must be a finite number in "
                         f"{_interval(low, high, low_open, high_open)}; received {value!r}.")
    return x


def nonnegative(name: str, value) -> float:
    """`value` as a float in [0, inf)."""
    return real(name, value, 0.0)


def positive(name: str, value) -> float:
    """`value` as a float in (0, inf)."""
    return real(name, value, 0.0, low_open=True)


def integer(name: str, value, low=None) -> int:
    """`value` as an int (an integral float is accepted) at least `low` (None: any)."""
    integral = isinstance(value, numbers.Integral) or (
        isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not integral:
        raise TypeError(f"`{name}` must be an integer; received {value!r} "
                        f"of type {type(value).__name__}.")
    n = int(value)
    if low is not None and n < low:
        raise ValueError(f"`{name}` must be an integer in [{low}, inf); received {value!r}.")
    return n


def boolean(name: str, value) -> bool:
    """`value`, which must be True or False."""
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False; received {value!r}.")
    return value


def choice(name: str, value, choices) -> str:
    """`value`, one of the strings `choices`."""
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {', '.join(map(repr, choices))}; "
                         f"received {value!r}.")
    return value


def sequence(name: str, value) -> tuple:
    """`value` (a list or tuple) as a tuple."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"`{name}` must be a list; received {value!r} "
                        f"of type {type(value).__name__}.")
    return tuple(value)


def increasing_steps(name: str, value, *, nonempty=True) -> tuple:
    """`value` as a tuple of strictly increasing integers >= 0."""
    steps = tuple(integer(f"{name}[{i}]", b, low=0) for i, b in enumerate(sequence(name, value)))
    if nonempty and not steps:
        raise ValueError(f"`{name}` must hold at least one step; received [].")
    for i in range(1, len(steps)):
        if steps[i] <= steps[i - 1]:
            raise ValueError(f"`{name}` must be strictly increasing; received {list(steps)} "
                             f"({name}[{i}] = {steps[i]} is not above {name}[{i - 1}] = "
                             f"{steps[i - 1]}).")
    return steps


def values(name: str, value, count: int | None = None, reason: str = "") -> tuple:
    """`value` as a tuple of floats >= 0, `count` of them when given."""
    out = tuple(nonnegative(f"{name}[{i}]", v) for i, v in enumerate(sequence(name, value)))
    if count is not None and len(out) != count:
        raise ValueError(f"`{name}` must have {count} entries{reason}; received {len(out)}.")
    return out
