"""Argument checks shared by every optimizer and wrapper.

Each check raises before any state changes, with a message that names the
argument, the value received and the accepted range.
"""

from __future__ import annotations

import math

import tensorflow as tf


def _value_of(name: str, value):
    """Returns the float a hyperparameter holds now (a float or a tf.Variable)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, tf.Variable)):
        raise TypeError(
            f"`{name}` must be a float or a tf.Variable; received {value!r} "
            f"of type {type(value).__name__}."
        )
    if isinstance(value, tf.Variable):
        if not value.dtype.is_floating:
            raise TypeError(
                f"`{name}` must be a float tf.Variable; received dtype {value.dtype.name}."
            )
        if value.shape.rank != 0:
            raise ValueError(
                f"`{name}` must be a scalar tf.Variable; received shape {value.shape}."
            )
        return float(value.numpy())
    return float(value)


def in_range(name: str, value, low: float, high: float, *, low_open=False, high_open=False):
    """Checks that `value` lies in the interval from `low` to `high`; returns `value`.

    Example:
        >>> in_range("beta_1", 0.9, 0.0, 1.0, high_open=True)
        0.9
    """
    x = _value_of(name, value)
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if math.isnan(x) or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"`{name}` must be in {interval}; received {x!r}.")
    return value


def nonnegative(name: str, value):
    """Checks `0 <= value < inf`; returns `value`."""
    return in_range(name, value, 0.0, math.inf, high_open=True)


def positive(name: str, value):
    """Checks `0 < value < inf`; returns `value`."""
    return in_range(name, value, 0.0, math.inf, low_open=True, high_open=True)


def fraction(name: str, value):
    """Checks `0 <= value < 1` (decay rates and betas); returns `value`."""
    return in_range(name, value, 0.0, 1.0, high_open=True)
