"""The registry of test functions: a name maps to a builder and its parameters.

Registering is a decorator on a builder that takes validated parameters and
returns a `TestFunction`::

    @register("booth", dim=Param.fixed(2))
    def booth(dim): ...

    get("booth")                 # -> booth(dim=2)
    get("rosenbrock", dim=5)     # -> rosenbrock(dim=5)
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable

from coreopt._names import NameTable
from coreopt.functions.base import TestFunction


@dataclasses.dataclass(frozen=True)
class Param:
    """One parameter of a test function: its default and accepted range.

    Attributes:
        default: the value used when the parameter is not given.
        kind: `int` or `float`.
        low: the smallest accepted value (inclusive).
        high: the largest accepted value (inclusive); None for no bound.
    """

    default: int | float
    kind: type = int
    low: float = 1
    high: float | None = None

    @classmethod
    def fixed(cls, value: int) -> Param:
        """An integer parameter that accepts one value (the dim of a 2-D function)."""
        return cls(value, int, value, value)

    def describe(self) -> str:
        """The accepted range in words, e.g. "an integer >= 1"."""
        what = "an integer" if self.kind is int else "a finite number"
        if self.high == self.low:
            return f"exactly {self.low}"
        if self.high is None:
            return f"{what} >= {self.low}"
        return f"{what} in [{self.low}, {self.high}]"

    def check(self, fname: str, pname: str, value):
        """`value` converted to `kind`, or ValueError naming the parameter and range."""
        ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
        if hasattr(value, "dtype") and getattr(value, "shape", None) == ():
            ok_type, value = True, value.item()  # NumPy scalars
        if self.kind is int and ok_type and float(value) != int(value):
            ok_type = False
        ok = ok_type and math.isfinite(value) and value >= self.low
        ok = ok and (self.high is None or value <= self.high)
        if not ok:
            raise ValueError(f"{fname}: {pname} must be {self.describe()}; got {value!r}")
        return self.kind(value)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One registered test function: name, builder, parameters, aliases."""

    name: str
    builder: Callable[..., TestFunction]
    params: dict[str, Param]
    aliases: tuple[str, ...] = ()


_TABLE = NameTable("test function", separators="-")


def register(name: str, *, aliases=(), **params: Param):
    """Decorator that registers a builder of `TestFunction`s under `name`."""

    def decorate(builder):
        _TABLE.add(name, Entry(name, builder, dict(params), tuple(aliases)), aliases)
        return builder

    return decorate


def names() -> list[str]:
    """The registered names (aliases not included), in registration order."""
    return _TABLE.names()


def entry(name: str) -> Entry:
    """The registry entry for `name` or one of its aliases.

    Raises:
        ValueError: for an unknown name, with the closest registered names.
    """
    return _TABLE.get(name)


def get(name: str, **params) -> TestFunction:
    """A new test function of the registered `name`, built with `params`.

    Example:
        >>> get("quadratic", dim=3, condition=100.0)
        quadratic(dim=3, condition=100.0)

    Raises:
        ValueError: unknown name, unknown parameter, or a value out of range.
    """
    e = entry(name)
    for key in params:
        if key not in e.params:
            close = difflib.get_close_matches(key, list(e.params), n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            accepted = ", ".join(f"{k} ({p.describe()})" for k, p in e.params.items())
            raise ValueError(f"{e.name}: unknown parameter {key!r}.{hint} "
                             f"Accepted: {accepted or 'none'}.")
    values = {k: p.check(e.name, k, params.get(k, p.default)) for k, p in e.params.items()}
    return e.builder(**values)
