"""Choosing variables: by a pattern on the variable's path, by rank, or by a callable.

A variable's path is the name of its `tf.Variable` without the ":0" suffix
("sequential/dense/bias" for the bias of a Keras Dense layer, whose Keras
`path` it is; "Variable" for an unnamed `tf.Variable`). A plain tensor has no
path. Weight-decay masks (`coreopt.DecoupledWeightDecay`) and per-variable
routing (`coreopt.Route`) choose with these:

    a str (a regular expression):  re.search(pattern, path(v)) finds something
    an int n:                      rank(v) == n          (2: the matrices)
    a callable:                    selector(v) is True   (v a tf.Variable)

Example:
    >>> import tensorflow as tf
    >>> from coreopt.core.selectors import Selector
    >>> v = tf.Variable([[1.0]], name="dense/kernel")
    >>> Selector("rules[0]", "kernel$").selects(v), Selector("rules[1]", 1).selects(v)
    (True, False)
"""

from __future__ import annotations

import re

import numpy as np
import tensorflow as tf

from coreopt.core.variables import unwrap


def variable_path(x) -> str | None:
    """The path patterns search: a variable's TF name without ":0"; None for a tensor."""
    x = unwrap(x)
    return re.sub(r":\d+$", "", x.name) if isinstance(x, tf.Variable) else None


def compile_pattern(argument: str, pattern) -> re.Pattern:
    """`pattern` compiled; errors name `argument`."""
    if not isinstance(pattern, str):
        raise TypeError(f"`{argument}` must be a regular expression (a str; join several with "
                        f"'|'); received {pattern!r}.")
    try:
        return re.compile(pattern)
    except re.error as err:
        raise ValueError(f"`{argument}` is not a valid regular expression: {pattern!r} "
                         f"({err}).") from None


def chosen(argument: str, path: str, value) -> bool:
    """A callable selector's answer for the variable at `path`, which must be a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must return True or False; for {path!r} it returned "
                        f"{value!r}.")
    return bool(value)


class Selector:
    """One selector (a pattern, a rank or a callable), checked when made; `where` names it."""

    def __init__(self, where: str, selector):
        if isinstance(selector, bool) or not isinstance(selector, (str, int)) and not callable(
                selector):
            raise TypeError(f"the selector of `{where}` must be a str (a pattern searched in the "
                            "variable's path), an int (a rank) or a callable tf.Variable -> "
                            f"bool; received {selector!r}.")
        if isinstance(selector, int) and selector < 0:
            raise ValueError(f"the rank selector of `{where}` must be >= 0; received {selector}.")
        self.where, self.selector = where, selector
        self.pattern = compile_pattern(where, selector) if isinstance(selector, str) else None

    def selects(self, x) -> bool:
        """Whether the selector takes `x`: a variable, or a tensor (rank selectors only)."""
        x = unwrap(x)
        if isinstance(self.selector, int):
            return x.shape.rank == self.selector
        path = variable_path(x)
        if path is None:
            raise ValueError(f"a tensor has no name, so `{self.where}` ({self}) cannot choose "
                             "it; use variables (build with them) or rank selectors.")
        if self.pattern is not None:
            return self.pattern.search(path) is not None
        return chosen(f"`{self.where}`", path, self.selector(x))

    def config(self):
        """The selector as a config holds it; a callable has none (`TypeError`)."""
        if callable(self.selector):
            raise TypeError(f"`{self.where}` selects with a callable ({self}), which a config "
                            "cannot hold; use a pattern or a rank.")
        return self.selector

    def __str__(self):
        if callable(self.selector):
            return f"<{getattr(self.selector, '__name__', type(self.selector).__name__)}>"
        return repr(self.selector)

    def __repr__(self):
        return f"Selector({self.where!r}, {self})"
