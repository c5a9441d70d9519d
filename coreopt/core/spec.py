"""Declared hyperparameters: each optimizer and wrapper states its own once.

A `Spec` is an ordered tuple of `Hyper`s. From it come the constructor's
keywords and checks, `get_config`, `__repr__`, the registry's description,
the lab's split between numeric hyperparameters (batched, float64 tensors at
trace time) and static options (they change the program), and the bad-input
tests. Nothing reads constructor signatures.

Two kinds:

* `numeric(name, default, "[0, 1)")`: a float, a scalar `tf.Variable`, or a
  schedule (a callable of the steps taken, read at each step: a momentum or
  weight-decay schedule as much as a learning rate), checked against an
  interval written as in mathematics (a schedule at step 0); `inf` is allowed
  as a bound. `schedule=True` (the learning rates) keeps a float in a float64
  `tf.Variable`, so setting it never retraces.
* `option(name, default)`: a static value (bool, int or str) that changes the
  program; `choices=` limits a str, `at_least=` an int.

Example:
    >>> spec = Spec(numeric("beta_1", 0.9, "[0, 1)"), option("amsgrad", False))
    >>> spec.bind("Adam", (0.8,), {"amsgrad": True})
    {'beta_1': 0.8, 'amsgrad': True}
    >>> spec.bind("Adam", (), {"beta1": 0.5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: Adam got an unknown argument 'beta1'. Did you mean 'beta_1'? ...
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import math

from coreopt.core import checks


@dataclasses.dataclass(frozen=True)
class Hyper:
    """One declared hyperparameter.

    Attributes:
        name: the keyword, as the paper names it.
        default: its default value.
        numeric: True for a float (batchable by the lab), False for a static option.
        interval: for numerics, "[low, high)" style bounds.
        schedule: a float is kept in a float64 `tf.Variable`, settable (learning rates).
        batchable: the lab may give each run of a batch its own value.
        kind: for options, the accepted Python type (bool, int or str).
        choices: for str options, the accepted values.
        doc: one line for `coreopt list` and the docs.
    """

    name: str
    default: object
    numeric: bool = True
    interval: str = "(-inf, inf)"
    schedule: bool = False
    batchable: bool = True
    kind: type = float
    choices: tuple = ()
    doc: str = ""

    def check(self, value, owner: str = ""):
        """`value` checked (and an option coerced to its kind); raises naming the argument."""
        if self.numeric:
            low, high, low_open, high_open = _bounds(self.interval)
            if callable(value) and not _is_variable(value):  # a schedule: checked at step 0
                checks.in_range(f"{self.name}(0)", _first_value(self.name, value), low, high,
                                low_open=low_open, high_open=high_open)
                return value
            return checks.in_range(self.name, value, low, high, low_open=low_open,
                                   high_open=high_open)
        return self._check_option(value)

    def _check_option(self, value):
        if self.kind is bool:
            if not isinstance(value, bool):
                raise TypeError(f"`{self.name}` must be True or False; received {value!r}.")
            return value
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"`{self.name}` must be an integer; received {value!r}.")
            low, high, low_open, high_open = _bounds(self.interval)
            checks.in_range(self.name, value, low, high, low_open=low_open, high_open=high_open)
            return value
        if self.choices and value not in self.choices:
            raise ValueError(f"`{self.name}` must be one of {', '.join(map(repr, self.choices))}"
                             f"; received {value!r}.")
        return value

    def describe(self) -> str:
        """`name=default` with the accepted range, for `coreopt list` and docs."""
        if self.numeric:
            return f"{self.name}={self.default!r} in {self.interval}"
        if self.choices:
            return f"{self.name}={self.default!r} of {{{', '.join(map(repr, self.choices))}}}"
        if self.kind is int:
            return f"{self.name}={self.default!r} in {self.interval}"
        return f"{self.name}={self.default!r}"


def numeric(name, default, interval="(-inf, inf)", *, schedule=False, batchable=True, doc=""):
    """A float hyperparameter in `interval` (see the module docstring)."""
    _bounds(interval)
    return Hyper(name, default, True, interval, schedule, batchable, float, (), doc)


def option(name, default, *, choices=(), interval="(-inf, inf)", doc=""):
    """A static option: its kind is the default's (bool, int or str)."""
    kind = type(default)
    if kind not in (bool, int, str):
        raise TypeError(f"option {name!r}: the default must be a bool, int or str.")
    return Hyper(name, default, False, interval, False, False, kind, tuple(choices), doc)


class Spec:
    """The ordered hyperparameters of one optimizer or wrapper."""

    def __init__(self, *hypers: Hyper):
        names = [h.name for h in hypers]
        if len(set(names)) != len(names):
            raise ValueError(f"a spec names a hyperparameter twice: {names}")
        self.hypers = tuple(hypers)
        self.by_name = {h.name: h for h in hypers}

    def __repr__(self):
        return f"Spec({', '.join(h.describe() for h in self.hypers)})"

    def __iter__(self):
        return iter(self.hypers)

    def __contains__(self, name):
        return name in self.by_name

    def names(self) -> tuple[str, ...]:
        return tuple(self.by_name)

    def numeric_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hypers if h.numeric)

    def option_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hypers if not h.numeric)

    def defaults(self) -> dict:
        return {h.name: h.default for h in self.hypers}

    def replace(self, **defaults) -> Spec:
        """This spec with other defaults (a preset such as AdamW's epsilon)."""
        unknown = sorted(set(defaults) - set(self.by_name))
        if unknown:
            raise ValueError(f"no hyperparameter {unknown} to replace")
        return Spec(*(dataclasses.replace(h, default=defaults.get(h.name, h.default))
                      for h in self.hypers))

    def bind(self, owner: str, args: tuple, kwargs: dict) -> dict:
        """Every hyperparameter's value from positional and keyword arguments, checked.

        Raises:
            TypeError: too many positional arguments, an unknown keyword (with a
                "did you mean"), or one given twice; the check's own error for a
                value out of range. Raised before anything is built.
        """
        if len(args) > len(self.hypers):
            raise TypeError(f"{owner} takes at most {len(self.hypers)} positional "
                            f"hyperparameters; received {len(args)}.")
        values = dict(zip(self.names(), args))
        for key, value in kwargs.items():
            if key not in self.by_name:
                raise TypeError(self._unknown(owner, key))
            if key in values:
                raise TypeError(f"{owner} got `{key}` twice (by position and by keyword).")
            values[key] = value
        return {h.name: h.check(values.get(h.name, h.default), owner) for h in self.hypers}

    def _unknown(self, owner, key):
        close = difflib.get_close_matches(key, self.names(), n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return (f"{owner} got an unknown argument {key!r}.{hint} "
                f"It takes: {', '.join(self.names()) or 'no hyperparameters'}.")

    def signature(self, first=(), last=()) -> inspect.Signature:
        """A signature for `help()` and docs: `first` params, the hypers, then `last`."""
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params = [inspect.Parameter(n, kind) for n in first]
        params += [inspect.Parameter(h.name, kind, default=h.default) for h in self.hypers]
        params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d)
                   for n, d in last]
        return inspect.Signature(params)


def _first_value(name, schedule) -> float:
    """A schedule's value at step 0 (the first step), as a float."""
    import tensorflow as tf

    with tf.init_scope():
        value = schedule(tf.constant(0, tf.int64))
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` is a callable, so a schedule of the step, but it returned "
                        f"{value!r} at step 0; a schedule returns a scalar.") from None


def _is_variable(value) -> bool:
    import tensorflow as tf

    return isinstance(value, tf.Variable)


def _bounds(interval: str):
    """"[0, 1)" -> (0.0, 1.0, False, True)."""
    text = interval.strip()
    try:
        low_text, high_text = text[1:-1].split(",")
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ValueError(f"interval {interval!r} must read like '[0, 1)'") from None
    if text[0] not in "[(" or text[-1] not in "])" or math.isnan(low) or math.isnan(high):
        raise ValueError(f"interval {interval!r} must read like '[0, 1)'")
    return low, high, text[0] == "(", text[-1] == ")"
