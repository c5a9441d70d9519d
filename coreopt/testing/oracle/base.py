"""The oracle's base class `Reference`, and the gradient transformations of the wrappers'
oracles (clipping, decoupled decay)."""

from __future__ import annotations

import math
import re

import numpy as np


def _f64(a) -> np.ndarray:
    return np.array(a, dtype=np.float64)  # always a fresh copy


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a))))


class Reference:
    """Base class: hyperparameter handling, per-variable state and the step counter ``t``.

    Subclasses set ``defaults`` (hyperparameter name -> default value) and implement
    ``update(g, x, state, lr) -> new x`` for one variable; ``self.t`` is the current step.
    ``ranks``: the array ranks it steps (Muon: matrices only), None for any.
    """

    defaults: dict[str, object] = {"learning_rate": 1e-3}
    ranks: tuple[int, ...] | None = None

    def __init__(self, **hyperparameters):
        unknown = sorted(set(hyperparameters) - set(self.defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown hyperparameter(s) {unknown}")
        self.hyperparameters = {**self.defaults, **hyperparameters}
        self.__dict__.update(self.hyperparameters)
        self.t = 0
        self.state: dict[int, dict[str, np.ndarray]] = {}

    def step(self, grads, params, lr: float | None = None) -> list[np.ndarray]:
        """Returns the new params; ``lr`` overrides the learning rate for this step only."""
        self.t += 1
        lr = float(self.learning_rate if lr is None else lr)
        return [
            _f64(self.update(_f64(g), _f64(x), self.state.setdefault(i, {}), lr))
            for i, (g, x) in enumerate(zip(grads, params, strict=True))
        ]

    def update(self, g: np.ndarray, x: np.ndarray, s: dict, lr: float) -> np.ndarray:
        raise NotImplementedError

    def start(self, params) -> Reference:
        """Takes the state that starts from the variables' values from ``params``, as an
        optimizer's build does (else the first step's params give it); returns self."""
        for i, x in enumerate(params):
            self.start_state(_f64(x), self.state.setdefault(i, {}))
        return self

    def start_state(self, x: np.ndarray, s: dict) -> None:
        """Per-variable state taken from the value at build: none by default."""


class _Named(Reference):
    """An oracle that reads each variable's path (weight-decay patterns, noise keys).

    ``paths[i]`` is the path of the variable at index ``i``; by default "Variable", the name
    TensorFlow gives an unnamed ``tf.Variable`` (the common suite's variables).  ``update`` finds
    it in ``s["path"]``.
    """

    paths: dict[int, str] = {}

    def step(self, grads, params, lr=None):
        for i in range(len(params)):
            self.state.setdefault(i, {})["path"] = self.paths.get(i, "Variable")
        return super().step(grads, params, lr)


def _found(pattern: str, path: str) -> bool:
    return bool(pattern) and re.search(pattern, path) is not None


def clip_by_value(grads, c) -> list[np.ndarray]:
    """Clips every element to [-c, c]."""
    return [_f64(np.clip(_f64(g), -c, c)) for g in grads]


def clip_by_norm(grads, c) -> list[np.ndarray]:
    """Per array: g * c / max(||g||, c) (L2 norm over the whole array)."""
    return [_f64(_f64(g) * c / max(float(np.linalg.norm(_f64(g))), c)) for g in grads]


def clip_by_global_norm(grads, c) -> list[np.ndarray]:
    """N = sqrt(sum over arrays of sum g^2);  each g * c / max(N, c)."""
    grads = [_f64(g) for g in grads]
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return [_f64(g * c / max(norm, c)) for g in grads]


def decay(params, weight_decay, lr) -> list[np.ndarray]:
    """Decoupled weight decay: x - x*weight_decay*lr for each param."""
    return [_f64(_f64(x) - _f64(x) * weight_decay * lr) for x in params]
