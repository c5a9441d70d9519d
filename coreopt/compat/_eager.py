"""The shell shared by `from_torch` and `from_optax`: another library steps TensorFlow variables.

`EagerAdapter.apply_gradients(grads, vars)` checks its arguments, reads every
variable and gradient into NumPy, hands them to the library (`_build` on the
first call, `_step` on each), checks what comes back, and only then assigns
the new values to the variables. State lives in the library's optimizer,
keyed by the variables of the first call (`v.ref()`), so later calls may list
them in any order, but must list the same ones.

It runs eagerly only: inside `tf.function` there are no values to copy, so a
call there raises instead of tracing something that would step once.

Where coreopt's own optimizers skip a `None` gradient with a warning, the
adapters refuse it: the library would step the other parameters only (torch
skips a parameter without `.grad`; an optax state covers every parameter), so
the reference would silently follow another trajectory. Gradients are cast to
their variable's dtype, and `tf.IndexedSlices` are densified, as coreopt does.

Example:
    >>> from coreopt.compat._eager import EagerAdapter
    >>> EagerAdapter.library
    ''
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from coreopt.core.variables import split_pairs

#: The TensorFlow dtypes the adapters step, by name ("float32", "float64").
DTYPES = ("float32", "float64")


class EagerAdapter:
    """Base class: argument checks, keyed state and the write-back; see the module docstring.

    Subclasses set `library` and implement `_build(values)` (once, with the first
    call's values in its variable order) and `_step(values, grads, extra) -> new
    values` (same order, NumPy arrays); `_check_extra` accepts keyword arguments
    of `apply_gradients` (none by default) and `_commit` keeps the new state once
    the new values have passed the checks. `name` is a plain attribute (settable).
    """

    library = ""

    def __init__(self, name: str):
        self.name = name
        self.iterations = 0  # the number of steps taken
        self._refs = None  # the first call's variables, as refs, in its order
        self._index = {}  # ref -> position in that order

    @property
    def built(self) -> bool:
        return self._refs is not None

    def apply_gradients(self, grads, variables=None, **extra):
        """Applies one step: `apply_gradients(grads, vars)` or `(zip(grads, vars))`.

        Every call must pass the first call's variables, in any order, each with
        a gradient (cast to its dtype); keyword arguments go to the library's
        step where the subclass accepts them (`from_optax`'s extra arguments).

        Raises (before any variable changes):
            RuntimeError: inside `tf.function` (the step is eager, through NumPy).
            ValueError: mismatched lengths or shapes, a variable listed twice, a
                `None` gradient, or a set of variables other than the first call's.
            TypeError: a variable that is not a float32 or float64 `tf.Variable`.
        """
        if not tf.executing_eagerly():
            raise RuntimeError(
                f"{type(self).__name__} steps {self.library} eagerly through NumPy and cannot "
                "run inside tf.function: call apply_gradients outside it.")
        self._check_extra(extra)
        grads, variables = _pair(grads, variables)
        _check_variables(variables, self.library)
        grads = [_gradient(g, v, self.library) for g, v in zip(grads, variables)]
        if self._refs is None:
            order = list(range(len(variables)))
        else:
            order = self._positions(variables)
        ordered = [variables[i] for i in order]
        values = [np.array(v.numpy()) for v in ordered]  # 0-d arrays, not scalars
        grads = [grads[i] for i in order]
        if self._refs is None:
            self._build(values)
            self._refs = [v.ref() for v in ordered]
            self._index = {r: i for i, r in enumerate(self._refs)}
        new = self._step(values, grads, extra)
        new = [_checked(n, v, self.library) for n, v in zip(new, ordered)]
        self._commit()
        for var, value in zip(ordered, new):
            var.assign(value)
        self.iterations += 1

    def _positions(self, variables) -> list[int]:
        """For each first-call position, where that variable is in `variables`."""
        where = {v.ref(): i for i, v in enumerate(variables)}
        new = [v.name for v in variables if v.ref() not in self._index]
        if new:
            raise ValueError(
                f"{type(self).__name__}: variables {new} were not passed on the first call; "
                f"{self.library} fixes its parameters when the optimizer is built, so every "
                "call must pass the first call's variables (in any order). Make a new "
                "adapter for a new set of variables.")
        if len(where) != len(self._refs):
            missing = [r.deref().name for r in self._refs if r not in where]
            raise ValueError(
                f"{type(self).__name__}: no gradient for variables {missing}, which the first "
                f"call passed; every call must pass all of them.")
        return [where[r] for r in self._refs]

    def _check_extra(self, extra: dict):
        """Refuses keyword arguments the library's step does not take (all, by default)."""
        if extra:
            raise TypeError(f"{type(self).__name__}.apply_gradients takes no keyword arguments "
                            f"besides grads and vars; received {sorted(extra)}.")

    def _commit(self):
        """Keeps the state `_step` computed, once its results have passed the checks."""

    def _build(self, values):  # pragma: no cover - abstract
        raise NotImplementedError

    def _step(self, values, grads, extra):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


def _pair(grads, variables):
    grads, variables = split_pairs(grads, variables)
    if not variables:
        raise ValueError("apply_gradients received no variables.")
    return grads, variables


def _check_variables(variables, library: str):
    seen = set()
    for i, var in enumerate(variables):
        if not isinstance(var, tf.Variable):
            raise TypeError(f"`vars[{i}]` must be a tf.Variable or a Keras variable; received "
                            f"{type(var).__name__}.")
        if var.dtype.name not in DTYPES:
            raise TypeError(
                f"`vars[{i}]` ({var.name}) is {var.dtype.name}; the {library} adapter steps "
                f"float32 and float64 variables only.")
        if var.ref() in seen:
            raise ValueError(f"`vars[{i}]` ({var.name}) appears more than once.")
        seen.add(var.ref())


def _gradient(grad, var, library: str) -> np.ndarray:
    """The gradient as a NumPy array of the variable's dtype and shape (IndexedSlices densified)."""
    if grad is None:
        raise ValueError(
            f"the gradient for {var.name} is None; the {library} adapter steps the first "
            "call's variables on every call and needs a gradient for each of them.")
    grad = tf.convert_to_tensor(grad)
    if not (grad.dtype.is_floating or grad.dtype.is_integer):
        raise TypeError(f"gradient for {var.name} must be numeric; received {grad.dtype.name}.")
    if grad.shape != var.shape:
        raise ValueError(f"gradient for {var.name} has shape {grad.shape}; the variable has "
                         f"shape {var.shape}.")
    return np.array(tf.cast(grad, var.dtype).numpy())


def _checked(value, var, library: str) -> np.ndarray:
    """`value` as a NumPy array, refused unless it has the variable's dtype and shape."""
    value = np.asarray(value)
    if value.dtype != np.dtype(var.dtype.name) or value.shape != tuple(var.shape):
        raise TypeError(
            f"{library} returned {value.dtype}{list(value.shape)} for {var.name}, which is "
            f"{var.dtype.name}{list(var.shape)}; no variable was changed.")
    return value
