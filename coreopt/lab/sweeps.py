"""Sweeps: optimizers x hyperparameter grids x functions x starts x seeds.

The public entry points and their results. Planning (the grid, the specs)
is `coreopt.lab.grid`; running them (batched chunks on worker threads, or one
at a time) is `coreopt.lab.execute`. Results are appended to disk as chunks
finish (`coreopt.lab.store`), so an interrupted sweep resumes without redoing
or losing finished runs.
"""

from __future__ import annotations

import functools
import gc
import itertools
import sys
import time

import numpy as np

from coreopt.lab import execute, rules
from coreopt.lab import grid as grids
from coreopt.lab.batched import STATUS_NAMES, Program
from coreopt.lab.execute import ENGINES, PATH_BYTES, Batch
from coreopt.lab.inputs import start
from coreopt.lab.records import to_frame
from coreopt.lab.single import check_budget
from coreopt.lab.store import Store, check_size

__all__ = ["ENGINES", "PATH_BYTES", "STATUS_NAMES", "Batch", "Program", "sweep", "sweep_runs",
           "versions"]
_pool = execute.pool  # the kept worker threads (benchmarks/lab.py times them)


def _without_gc(fn):
    """Runs `fn` with the cyclic garbage collector paused.

    A sweep allocates an object or two per run; with TensorFlow loaded, that
    triggers full collections of a large heap, which cost more than the
    compiled loops of ten thousand runs. Reference counting still frees
    everything; the collector resumes afterwards.
    """

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapped


@_without_gc
def sweep(optimizers, functions="seed_quartic", grid=None, **options):
    """Runs every combination and returns a pandas DataFrame, one row per run.

    Args:
        optimizers: one optimizer or several ("gd,adam" or a list), each a
            registered or chain name, a class, or a configured coreopt
            instance (see `coreopt.lab.inputs`).
        functions: `coreopt.functions` names ("rosenbrock,beale" or a list)
            and/or `TestFunction`s.
        grid: hyperparameter -> values, shared by every optimizer that has
            it (`{"learning_rate": [1e-3, 1e-2]}`); a dict under an
            optimizer's name is that optimizer's own grid, on top of the
            shared one (`{"adam": {"beta_1": [0.8, 0.9]}}`). See
            `coreopt.lab.grid`.
        **options: as `sweep_runs`.

    Returns:
        A DataFrame: the run columns of `coreopt.lab.Run.row()`.

    Example:
        >>> from coreopt import lab
        >>> df = lab.sweep("gd,momentum", "seed_quartic",
        ...                {"learning_rate": [1e-2, 1e-1]}, init=[2.0])
        >>> df[["optimizer", "learning_rate", "status", "iteration"]].values.tolist()
        [['gd', 0.01, 'max_iters', 2000], ['gd', 0.1, 'diverged', 6], \
['momentum', 0.01, 'converged', 80], ['momentum', 0.1, 'diverged', 6]]
    """
    specs, results = _execute(optimizers, functions, grid, **options)
    frames = [r.frame() if isinstance(r, Batch) else to_frame(r) for r in results]
    import pandas as pd

    frame = pd.concat(frames, ignore_index=True) if frames else to_frame([])
    return _in_spec_order(frame, specs, results)


def _in_spec_order(frame, specs, results):
    """`frame` (the results' rows, concatenated) reordered as `specs`."""
    order = {s.key: i for i, s in enumerate(specs)}
    keys = itertools.chain.from_iterable(
        r.columns["key"] if isinstance(r, Batch) else (run.key for run in r) for r in results)
    position = np.fromiter((order[k] for k in keys), np.int64, count=len(frame))
    if np.all(position[1:] > position[:-1]):
        return frame  # chunks finished in order: nothing to move
    return frame.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)


@_without_gc
def sweep_runs(optimizers, functions="seed_quartic", grid=None, **options) -> list:
    """As `sweep`, returning the `Run` records (paths included when kept).

    Args:
        optimizers, functions, grid: as `sweep`.
        init: None (each function's default start), points ([d] or [n, d],
            the same for every function), or an int n: n random starts in each
            function's domain per seed. `starts` is another name for it.
        seeds: the seeds that draw random starts.
        max_iters, rule, tol, divergence: budget and stopping rule
            (`coreopt.lab.rules`; a tolerance rule without `tol` takes its default).
        keep_paths: keep every run's path and curves (memory: steps x runs).
        dtype: "float32" (the guide's) or "float64".
        out: a directory to append results to as they finish (see
            `coreopt.lab.store`); `resume=True` continues one.
        chunk_size: the most runs in one compiled batch.
        workers: threads running chunks side by side (default: the CPU count).
        engine: "auto" (batched for registered optimizers and chains whose
            registry entries are all `batchable`), "batched" or "single".
        progress: draw a progress bar on stderr.
        max_memory, max_disk: the most bytes the sweep may take in memory and
            on disk (default: what the machine has available, the free space
            under `out`). A sweep whose estimate (`coreopt.lab.store.estimate`:
            bytes per run from its dimension and kept paths, times the runs)
            exceeds either is refused before anything is built or written.

    Returns:
        The `Run`s, in the sweep's order (optimizers, configs, functions, starts).

    Example:
        >>> import coreopt
        >>> from coreopt import lab
        >>> runs = lab.sweep_runs(coreopt.Momentum(momentum=0.5), "seed_quartic",
        ...                       {"learning_rate": 1e-2}, init=[2.0])
        >>> runs[0].config["momentum"], runs[0].status
        (0.5, 'converged')
    """
    specs, results = _execute(optimizers, functions, grid, **options)
    found = execute.records(results)
    return [found[s.key] for s in specs]


def _execute(optimizers, functions, grid, *, init=None, starts=None, seeds=(0,),
             max_iters=2000, rule="exact", tol=None, divergence=None, keep_paths=False,
             dtype="float32", out=None, resume=False, chunk_size=16384, workers=None,
             engine="auto", progress=False, max_memory=None, max_disk=None):
    """Runs what is not done yet; returns the specs and the results (Batches, Run lists)."""
    init = start(init, starts, "starts")
    max_iters = check_budget(max_iters)
    stop = rules.make(rule, tol, divergence)
    settings = execute.settings(engine, chunk_size, workers, dtype)
    key_parts = (max_iters, stop.kind, stop.tol, stop.divergence, settings["dtype"])

    def fits(runs, dim):
        check_size(runs, dim, max_iters, keep_paths, out, max_memory, max_disk)

    specs = grids.expand(optimizers, functions, grid, init, seeds, key_parts, "a sweep", fits)
    _check_gap(stop, specs)
    store = None
    if out is not None:
        spec = _describe(specs, init, seeds, key_parts, keep_paths)
        store = Store(out, spec, resume).open(versions())
    try:
        return specs, _run(specs, store, stop, max_iters, keep_paths, settings, progress)
    finally:
        if store:
            store.close()


def _run(specs, store, stop, max_iters, keep_paths, settings, progress) -> list:
    """Runs the specs `store` does not hold yet, appending each result to it as it finishes."""
    done = store.done() if store else {}
    todo = [s for s in specs if s.key not in done]
    bar = _Bar(len(specs), len(specs) - len(todo), enabled=progress)

    def finished(result):
        if store:
            store.append(result.runs() if isinstance(result, Batch) else result)
        bar.advance(len(result))

    try:
        results = execute.run_all(todo, stop, max_iters, keep_paths, settings, finished)
    finally:  # on an interruption, what was stored stays stored
        bar.close()
    results.insert(0, [_as_specified(done[s.key], s) for s in specs if s.key in done])
    if store:
        found = execute.records(results)
        runs = [found[s.key] for s in specs]
        store.finish(runs, to_frame(runs))
    return results


def _as_specified(run, spec):
    """`run` read back from disk, its config in the spec's order (records keep keys sorted),
    so that a resumed sweep's columns come in the order of a fresh one's."""
    if set(run.config) == set(spec.config):
        run.config = {k: run.config[k] for k in spec.config}
    return run


def _check_gap(stop, specs):
    if stop.needs_minimum():
        for s in specs:
            if s.function.minimum is None:
                raise ValueError(
                    f"rule 'gap' needs a known minimum, and {s.function.name!r} has none.")


def _describe(specs, starts, seeds, key_parts, keep_paths) -> dict:
    """The sweep's inputs as plain data (what `resume` must find unchanged)."""
    return {"runs": len(specs), "keys": _digest([s.key for s in specs]),
            "optimizers": sorted({s.name for s in specs}),
            "functions": sorted({s.function.name for s in specs}),
            "starts": starts if isinstance(starts, int) else None, "seeds": list(seeds),
            "budget_rule": list(key_parts), "keep_paths": bool(keep_paths)}


def _digest(keys) -> str:
    import hashlib

    return hashlib.sha1("".join(keys).encode()).hexdigest()[:16]


def versions() -> dict:
    """The versions a results folder records: coreopt, TensorFlow, NumPy, Python."""
    import tensorflow as tf

    import coreopt

    return {"coreopt": coreopt.__version__, "tensorflow": tf.__version__,
            "numpy": np.__version__, "python": sys.version.split()[0]}


class _Bar:
    """A one-line progress bar on stderr."""

    def __init__(self, total, done=0, enabled=False):
        self.total, self.done, self.enabled = total, done, enabled
        self.start = time.perf_counter()
        self._draw()

    def advance(self, n):
        self.done += n
        self._draw()

    def _draw(self):
        if not self.enabled:
            return
        filled = int(30 * self.done / max(self.total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} "
                         f"runs  {time.perf_counter() - self.start:.1f} s")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
