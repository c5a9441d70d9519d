"""Shared pieces of the parity tests: the committed references and the coreopt runs.

The references (`references/data/<library>_<dtype>.npz`, written by
`references/generate.py`) hold each library's parameters on the reference
problem (`references/problem.py`) at the recorded steps. Here the same problem
runs through coreopt: one `tf.function` per row (a TensorFlow graph; XLA would
add a second of compilation per row), a `tf.while_loop` over all steps of the
optimizer's pure `update`, with the gradient evaluated from the same formula
on coreopt's own parameters and the stored forcing s_k. `run_apply_gradients`
takes coreopt's own entry point instead (variables, `apply_gradients`, its XLA
step); each test module checks one row that way.

Each test module keeps ONE table, row id -> `Coreopt(chain, **kwargs)` (the
coreopt optimizer that should reproduce the row, and when it cannot yet, the
`xfail` reason) or `Missing(reason)`. `cases` makes one pytest case per
(dtype, data row): a data row with no table entry fails, naming the file to edit;
a chain that names an optimizer or wrapper the registry does not have yet is
an xfail computed at collection ("coreopt has no <name> yet"), so the row
becomes a real test the day the optimizer lands.

The comparison, at every recorded step k, over all parameters together:

    err_k = ||x_coreopt(k) - x_ref(k)||_2 / max(||x_ref(k)||_2, FLOOR)

with FLOOR = 1e-3 (an absolute floor for near-zero parameters), and
max_k err_k <= TOLERANCE[dtype]: 1e-12 in float64, 1e-5 in float32.

`python -m tests.parity.loader` prints every row's measured difference.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "references", "data")
DTYPES = ("float32", "float64")
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}
FLOOR = 1e-3


def _load_problem():
    path = os.path.join(ROOT, "references", "problem.py")
    spec = importlib.util.spec_from_file_location("coreopt_reference_problem", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


problem = _load_problem()


# ----------------------------------------------------------------- the table
@dataclasses.dataclass(frozen=True)
class Coreopt:
    """A coreopt chain name and its keyword arguments (`coreopt.get(chain, **kwargs)`).

    `per_dtype`: extra keyword arguments for one dtype ({"float32": {...}}), for
    a library whose arithmetic differs between its float32 and float64 runs.
    `xfail`: why this, the closest coreopt configuration, does not reproduce
    the row yet (an option coreopt lacks); `xfail_dtypes`: the dtypes where the
    difference exceeds the tolerance (a difference of 1e-8 shows in float64
    only).
    """

    chain: str
    kwargs: dict
    xfail: str | None = None
    xfail_dtypes: tuple = DTYPES
    per_dtype: dict = dataclasses.field(default_factory=dict)

    def kwargs_for(self, dtype: str) -> dict:
        return {**self.kwargs, **self.per_dtype.get(dtype, {})}


def C(chain, *, xfail=None, xfail_dtypes=DTYPES, per_dtype=None, **kwargs) -> Coreopt:  # noqa: N802
    """`Coreopt(chain, kwargs, ...)`, written as a call."""
    return Coreopt(chain, kwargs, xfail, tuple(xfail_dtypes), dict(per_dtype or {}))


@dataclasses.dataclass(frozen=True)
class Missing:
    """A row coreopt cannot express, with the reason."""

    reason: str


@dataclasses.dataclass(frozen=True)
class halved:  # noqa: N801  (used as a function in the tables)
    """The learning rate `learning_rate` for `after` steps, then half of it (a schedule)."""

    learning_rate: float
    after: int = 100

    def __call__(self, iterations):
        import tensorflow as tf

        return tf.where(iterations < self.after, tf.constant(self.learning_rate, tf.float64),
                        tf.constant(self.learning_rate * 0.5, tf.float64))


@dataclasses.dataclass(frozen=True)
class inverse_time:  # noqa: N801
    """lr / (1 + (t - 1) * decay) for the t-th step (torch's Adagrad `lr_decay`)."""

    learning_rate: float
    decay: float

    def __call__(self, iterations):
        import tensorflow as tf

        return self.learning_rate / (1 + tf.cast(iterations, tf.float64) * self.decay)


# ------------------------------------------------------------ the references
@dataclasses.dataclass(frozen=True, eq=False)
class Reference:
    library: str
    dtype: str
    path: str
    meta: dict
    arrays: dict

    @property
    def rows(self) -> list[str]:
        return list(self.meta["rows"])

    @functools.cached_property
    def problem_key(self) -> str:
        """A fingerprint of the problem (constants, start and forcing) the data was made on."""
        digest = hashlib.sha256()
        for name in ("a", "b", "c", "x0"):
            for value in self.constants(name):
                digest.update(np.ascontiguousarray(value, np.float64).tobytes())
        digest.update(np.ascontiguousarray(self.arrays["s"], np.float64).tobytes())
        return digest.hexdigest()

    def constants(self, name: str) -> list[np.ndarray]:
        return [self.arrays[f"{name}.{i}"] for i in range(len(self.meta["problem"]["shapes"]))]

    def trajectory(self, row: str) -> list[np.ndarray]:
        return [self.arrays[f"{row}.{i}"] for i in range(len(self.meta["problem"]["shapes"]))]


def data_path(library: str, dtype: str) -> str:
    return os.path.join(DATA, f"{library}_{dtype}.npz")


@functools.cache
def load(library: str, dtype: str) -> Reference:
    path = data_path(library, dtype)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays.pop("meta")))
    if meta["library"] != library or meta["dtype"] != dtype:
        raise ValueError(f"{path} holds {meta['library']} {meta['dtype']}")
    return Reference(library, dtype, path, meta, arrays)


def _relative(path: str) -> str:
    return os.path.relpath(path, ROOT)


# ------------------------------------------------------------------- cases
def missing_names(chain: str) -> list[str]:
    """The optimizer and wrapper names of `chain` that the registry does not have."""
    from coreopt.core import registry
    from coreopt.core.chains import split_top

    out = []
    for part in split_top(chain, ":"):
        name = part.partition("(")[0].strip()
        try:
            registry.entry(name)
        except ValueError:
            out.append(name)
    return out


@dataclasses.dataclass(frozen=True)
class Case:
    library: str
    dtype: str
    row: str
    entry: object  # Coreopt, Missing, or None (no table entry)
    table_file: str


def cases(library: str, table: dict, table_file: str) -> list:
    """One pytest case per (dtype, data row), marked from the table."""
    out = []
    for dtype in DTYPES:
        for row in load(library, dtype).rows:
            entry = table.get(row)
            marks = []
            reason = expected_failure(entry, dtype)
            if reason is not None:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(Case(library, dtype, row, entry, table_file),
                                    id=f"{dtype}-{row}", marks=marks))
    return out


def expected_failure(entry, dtype: str) -> str | None:
    """The xfail reason of a table entry in `dtype`, or None when it must pass."""
    if isinstance(entry, Missing):
        return entry.reason
    if isinstance(entry, Coreopt):
        absent = missing_names(entry.chain)
        if absent:
            return "; ".join(f"coreopt has no {name} yet" for name in absent)
        if entry.xfail is not None and dtype in entry.xfail_dtypes:
            return entry.xfail
    return None


def check_case(case: Case):
    """The test of one row: coreopt's trajectory within the tolerance of the reference."""
    ref = load(case.library, case.dtype)
    where = (f"row {case.row!r} of {_relative(ref.path)} has no entry in TABLE in "
             f"{_relative(case.table_file)}: add one (a Coreopt(...) or a Missing(reason))")
    if case.entry is None:
        pytest.fail(where)
    if isinstance(case.entry, Missing):
        pytest.fail(case.entry.reason)
    error, step = measure(ref, case.row, case.entry)
    tolerance = TOLERANCE[case.dtype]
    assert error <= tolerance, (
        f"{case.library} {case.row} ({case.dtype}): coreopt {case.entry.chain} "
        f"{case.entry.kwargs_for(case.dtype)} differs by {error:.3g} (relative, at step "
        f"{step}; tolerance {tolerance:g}); reference config {ref.meta['rows'][case.row]}")


def check_table(library: str, table: dict, table_file: str):
    """Every table entry names a row of the data (no stale entries)."""
    rows = set()
    for dtype in DTYPES:
        rows |= set(load(library, dtype).rows)
    stale = sorted(set(table) - rows)
    assert not stale, (f"TABLE in {_relative(table_file)} has entries for rows that "
                       f"references/data/{library}_*.npz do not have: {stale}")
    for dtype in DTYPES:
        absent = sorted(rows - set(load(library, dtype).rows))
        assert not absent, f"{library}_{dtype}.npz lacks rows {absent}"


# ------------------------------------------------------------- coreopt runs
def measure(ref: Reference, row: str, entry: Coreopt, runner=None) -> tuple[float, int]:
    """(max over recorded steps of the relative difference, the step where it is largest).

    `runner(ref, entry)`: the coreopt trajectory, `run` by default.
    """
    ours = (runner or run)(ref, entry)
    theirs = ref.trajectory(row)
    recorded = ref.arrays["recorded"]
    diff = np.sqrt(sum(np.sum((np.asarray(o[recorded], np.float64)
                               - np.asarray(t, np.float64)) ** 2, axis=tuple(range(1, t.ndim)))
                       for o, t in zip(ours, theirs)))
    norm = np.sqrt(sum(np.sum(np.asarray(t, np.float64) ** 2, axis=tuple(range(1, t.ndim)))
                       for t in theirs))
    errors = diff / np.maximum(norm, FLOOR)
    errors = np.where(np.isfinite(errors), errors, np.inf)
    worst = int(np.argmax(errors))
    return float(errors[worst]), int(recorded[worst])


def run(ref: Reference, entry: Coreopt) -> list[np.ndarray]:
    """coreopt's parameters after every step 0..STEPS: one array (STEPS + 1, *shape) each.

    Runs of the same coreopt configuration on the same problem (a torch row
    and an optax row that map to one chain) are computed once.
    """
    kwargs = entry.kwargs_for(ref.dtype)
    key = (ref.problem_key, ref.dtype, entry.chain, tuple(sorted(kwargs.items())))
    if key not in _RUNS:
        _RUNS[key] = _trajectory(ref, entry.chain, kwargs)
    return _RUNS[key]


_RUNS: dict = {}


def _trajectory(ref: Reference, chain: str, kwargs: dict) -> list[np.ndarray]:
    import tensorflow as tf

    import coreopt
    from coreopt.core.closures import WithLoss

    dtype = tf.as_dtype(ref.dtype)
    opt = coreopt.get(chain, **kwargs)
    a, b, c = ([tf.constant(v, dtype) for v in ref.constants(k)] for k in ("a", "b", "c"))
    x0 = [tf.constant(v, dtype) for v in ref.constants("x0")]
    forcing = tf.constant(ref.arrays["s"].astype(ref.dtype))
    steps = len(ref.arrays["s"])

    def trajectory():
        params = list(x0)
        slots = [opt.init_slots(x) for x in params]
        state = opt.init_state()
        arrays = [tf.TensorArray(dtype, size=steps + 1, element_shape=x.shape).write(0, x)
                  for x in params]

        def body(k, params, slots, state, arrays):
            s = forcing[k]

            def gradients(ps):
                return [problem.gradient(x, ai, bi, ci, s) for x, ai, bi, ci in zip(ps, a, b, c)]

            # f(x), summed problem.loss_term, for steps that read it (optax's polyak_sgd `value`)
            loss = tf.add_n([tf.reduce_sum(problem.loss_term(x, ai, bi, ci, s))
                             for x, ai, bi, ci in zip(params, a, b, c)])
            params, slots, state = opt.update(gradients(params), params, slots, state,
                                              WithLoss(gradients, loss))
            arrays = [ta.write(k + 1, x) for ta, x in zip(arrays, params)]
            return k + 1, params, slots, state, arrays

        loop = tf.while_loop(lambda k, *_: k < steps, body,
                             (tf.constant(0), params, slots, state, arrays))
        return [ta.stack() for ta in loop[-1]]

    compiled = tf.function(trajectory, autograph=False).get_concrete_function()
    # Grappler's graph rewrites cost about a fifth of each row's time and change no
    # result here; the option is process-wide, so it is put back at once.
    before = tf.config.optimizer.get_experimental_options()
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        return [t.numpy() for t in compiled()]
    finally:
        tf.config.optimizer.set_experimental_options(
            {"disable_meta_optimizer": before.get("disable_meta_optimizer", False)})


def run_apply_gradients(ref: Reference, entry: Coreopt) -> list[np.ndarray]:
    """As `run`, through coreopt's own entry point: `tf.Variable`s and one
    `apply_gradients` call per step (the optimizer's XLA-compiled step)."""
    import tensorflow as tf

    import coreopt

    dtype = tf.as_dtype(ref.dtype)
    opt = coreopt.get(entry.chain, **entry.kwargs_for(ref.dtype))
    a, b, c = ([tf.constant(v, dtype) for v in ref.constants(k)] for k in ("a", "b", "c"))
    variables = [tf.Variable(tf.constant(v, dtype)) for v in ref.constants("x0")]
    forcing = tf.constant(ref.arrays["s"].astype(ref.dtype))

    @tf.function(autograph=False)
    def gradients(k):
        return [problem.gradient(v.read_value(), ai, bi, ci, forcing[k])
                for v, ai, bi, ci in zip(variables, a, b, c)]

    out = [[v.numpy()] for v in variables]
    for k in range(len(ref.arrays["s"])):
        opt.apply_gradients(gradients(tf.constant(k)), variables)
        for o, v in zip(out, variables):
            o.append(v.numpy())
    return [np.stack(o) for o in out]


def check_apply_gradients(library: str, dtype: str, row: str, table: dict):
    """One row through `apply_gradients`: the same tolerance as the graph run."""
    ref = load(library, dtype)
    error, step = measure(ref, row, table[row], runner=run_apply_gradients)
    assert error <= TOLERANCE[dtype], (
        f"{library} {row} ({dtype}) through apply_gradients differs by {error:.3g} at step {step}")


def summary(library: str) -> list[tuple]:
    """(dtype, row, status, measured difference) for every row of `library`."""
    module = f"tests.parity.test_{library}"
    table = __import__(module, fromlist=["TABLE"]).TABLE
    out = []
    for dtype in DTYPES:
        ref = load(library, dtype)
        for row in ref.rows:
            entry = table.get(row)
            reason = expected_failure(entry, dtype)
            error = None
            if isinstance(entry, Coreopt) and not missing_names(entry.chain):
                error = measure(ref, row, entry)[0]
            status = "no entry" if entry is None else ("xfail" if reason else "match")
            out.append((dtype, row, status, error, reason))
    return out


def main(libraries):
    for library in libraries or ("torch", "optax"):
        for dtype, row, status, error, reason in summary(library):
            shown = "-" if error is None else f"{error:.2e}"
            print(f"{library:6} {dtype:8} {row:32} {status:8} {shown:>9}  {reason or ''}")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tests.parity import loader  # the module the tables import, not this __main__

    loader.main(sys.argv[1:])
