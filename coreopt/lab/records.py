"""Run records: what one convergence run found, as plain Python data.

A `Run` holds NumPy-free, TensorFlow-free values (floats, ints, lists, dicts),
so plots and reports can read it without TensorFlow, and it saves to JSON and
back unchanged. Non-finite floats are written as the strings "NaN", "Infinity"
and "-Infinity", so the files are strict JSON that any reader accepts.

Example:
    >>> from coreopt.lab.records import Run
    >>> run = Run(optimizer="adam", config={"learning_rate": 0.1}, function="seed_quartic",
    ...           init=[2.0], max_iters=2000, rule="exact", status="converged",
    ...           iteration=1156, steps=1156, final=[-1.125], final_loss=0.93)
    >>> Run.from_json(run.to_json()) == run
    True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math

import numpy as np

STATUSES = ("converged", "diverged", "max_iters")


@dataclasses.dataclass
class Run:
    """One run: its inputs, its outcome and (when kept) its curves.

    Attributes:
        optimizer: registry name (or class name of a user's optimizer).
        config: the optimizer's hyperparameters and options.
        function: the test function's name; `function_params` its parameters.
        init: the starting point; `seed` the seed that drew it (random starts).
        max_iters, rule, tol, divergence: the budget and the stopping rule.
        status: "converged", "diverged" or "max_iters".
        iteration: the iteration of that status (the guide's count).
        steps: the number of steps taken; `path` has steps + 1 points.
        final: the last point; `final_loss`, `final_grad_norm` there.
        distance: from `final` to the nearest known minimizer (None: none known).
        gap: final_loss minus the known minimum (None: none known).
        wall_time: seconds; a batched run gets its batch's time divided by its size.
        engine: "single" (one run at a time) or "batched".
        path, loss, grad_norm: x_0..x_steps and f, ||grad f|| there (None: not kept).
    """

    optimizer: str
    config: dict
    function: str
    init: list
    max_iters: int
    rule: str
    status: str
    iteration: int
    steps: int
    final: list
    final_loss: float
    function_params: dict = dataclasses.field(default_factory=dict)
    tol: float | None = None
    divergence: str = "guide"
    final_grad_norm: float = math.nan
    distance: float | None = None
    gap: float | None = None
    wall_time: float = 0.0
    engine: str = "single"
    seed: int | None = None
    dtype: str = "float32"
    path: list | None = None
    loss: list | None = None
    grad_norm: list | None = None
    key: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"`status` must be one of {STATUSES}; received {self.status!r}.")
        if not self.key:
            prefix = key_prefix(self.optimizer, self.config, self.function, self.function_params,
                                (self.max_iters, self.rule, self.tol, self.divergence, self.dtype))
            self.key = run_key(prefix, self.init, self.seed)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(json_safe(self.to_dict()), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> Run:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"not a run record: unknown fields {unknown}")
        return cls(**from_json_safe(data))

    @classmethod
    def from_json(cls, text: str) -> Run:
        return cls.from_dict(json.loads(text))

    def row(self) -> dict:
        """One DataFrame row: the scalars, the hyperparameters as columns."""
        row = {k: getattr(self, k) for k in COLUMNS}
        row.update({k: v for k, v in self.config.items() if k not in row})
        return row

    def __repr__(self):
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return (f"Run({self.optimizer}({hyper}) on {self.function} from {self.init}: "
                f"{self.status} at {self.iteration})")


# The table's columns, before the hyperparameters (one column each).
COLUMNS = ("optimizer", "function", "init", "seed", "status", "iteration", "steps", "final",
           "final_loss", "final_grad_norm", "distance", "gap", "max_iters", "rule", "tol",
           "divergence", "dtype", "engine", "wall_time", "key")


def key_prefix(optimizer, config, function, function_params, settings) -> str:
    """The part of a run's key shared by every start of one configuration."""
    return repr((optimizer, sorted(config.items()), function, sorted(function_params.items()),
                 tuple(settings)))


def run_key(prefix: str, init, seed) -> str:
    """A stable id of a run's inputs: what a resumed sweep skips."""
    return run_keys(prefix, [(init, seed)])[0]


def run_keys(prefix: str, points) -> list:
    """`run_key(prefix, init, seed)` for every (init, seed) in `points`.

    The prefix is hashed once and the hash state copied per run (the same
    SHA-1 of prefix + init bytes + repr(seed)), which halves the cost of the
    keys of a sweep of many starts.
    """
    base = hashlib.sha1(prefix.encode())
    keys = []
    for init, seed in points:
        h = base.copy()
        h.update(np.asarray(init, np.float64).tobytes())
        h.update(repr(seed).encode())
        keys.append(h.hexdigest()[:16])
    return keys


def to_frame(runs):
    """A pandas DataFrame with one row per run, in the order given."""
    import pandas as pd

    return pd.DataFrame([r.row() for r in runs])


_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def json_safe(value):
    """`value` with non-finite floats as "NaN", "Infinity", "-Infinity" (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def from_json_safe(value):
    """The inverse of `json_safe`: those strings back to floats."""
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, dict):
        return {k: from_json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json_safe(v) for v in value]
    return value
