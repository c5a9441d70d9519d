"""Sweeps: optimizers x hyperparameter grids x functions x starts x seeds.

Runs of registered optimizers go batched (`coreopt.lab.batched`): grouped by
optimizer, static options and function, cut into chunks that fit memory, each
chunk one compiled loop, chunks spread over worker threads. A user's own
optimizer class runs one run at a time (`convergence_test`). Results are
appended to disk as chunks finish (`coreopt.lab.store`), so an interrupted
sweep resumes without redoing or losing finished runs.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import gc
import itertools
import os
import sys
import threading
import time

import numpy as np

from coreopt.lab import grid as grids
from coreopt.lab import rules
from coreopt.lab.batched import STATUS_NAMES, Program
from coreopt.lab.records import Run, to_frame
from coreopt.lab.single import check_budget, convergence_test
from coreopt.lab.store import Store

ENGINES = ("auto", "batched", "single")
PATH_BYTES = 256 * 2**20  # the most a chunk's kept paths may take
_PROGRAMS: dict = {}


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
        optimizers: registry names ("gd,adam" or a list) and/or user classes
            with `apply_gradients(grads, vars)`.
        functions: `coreopt.functions` names ("rosenbrock,beale" or a list)
            and/or `TestFunction`s.
        grid: hyperparameter -> list of values, shared by every optimizer
            (`{"learning_rate": [1e-3, 1e-2]}`), or optimizer name -> such a
            dict (`{"adam": {"beta_1": [0.8, 0.9]}, "gd": {...}}`).
        **options: as `sweep_runs`.

    Returns:
        A DataFrame: the run columns of `coreopt.lab.Run.row()`.

    Example:
        >>> from coreopt import lab
        >>> df = lab.sweep("gd,momentum", "seed_quartic",
        ...                {"learning_rate": [1e-2, 1e-1]}, starts=[2.0])
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
        starts: None (each function's default start), points ([d] or [n, d],
            the same for every function), or an int n: n random starts in each
            function's domain per seed.
        seeds: the seeds that draw random starts.
        max_iters, rule, tol, divergence: budget and stopping rule
            (`coreopt.lab.rules`).
        keep_paths: keep every run's path and curves (memory: steps x runs).
        dtype: "float32" (the guide's) or "float64".
        out: a directory to append results to as they finish (see
            `coreopt.lab.store`); `resume=True` continues one.
        chunk_size: the most runs in one compiled batch.
        workers: threads running chunks side by side (default: the CPU count).
        engine: "auto" (batched for registered optimizers and chains whose
            registry entries are all `batchable`), "batched" or "single".
        progress: draw a progress bar on stderr.
    """
    specs, results = _execute(optimizers, functions, grid, **options)
    found = {}
    for r in results:
        found.update((run.key, run) for run in (r.runs() if isinstance(r, Batch) else r))
    return [found[s.key] for s in specs]


def _execute(optimizers, functions, grid, *, starts=None, seeds=(0,), max_iters=2000,
             rule="exact", tol=None, divergence=None, keep_paths=False, dtype="float32",
             out=None, resume=False, chunk_size=16384, workers=None, engine="auto",
             progress=False):
    """Runs what is not done yet; returns the specs and the results (Batches, Run lists)."""
    max_iters = check_budget(max_iters)
    stop = rules.make(rule, tol, divergence)
    settings = _check(engine, chunk_size, workers, dtype)
    key_parts = (max_iters, stop.kind, stop.tol, stop.divergence, settings["dtype"])
    specs = grids.expand(optimizers, functions, grid, starts, seeds, key_parts)
    _check_gap(stop, specs)
    store = None
    if out is not None:
        spec = _describe(specs, starts, seeds, key_parts, keep_paths)
        store = Store(out, spec, resume).open(versions())
    done = store.done() if store else {}
    todo = [s for s in specs if s.key not in done]
    results = [[done[s.key] for s in specs if s.key in done]]
    jobs = _jobs(todo, stop, max_iters, keep_paths, settings)
    bar = _Bar(len(specs), len(specs) - len(todo), enabled=progress)
    futures = [_pool(settings["workers"]).submit(j) for j in jobs]
    try:
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            if store:
                store.append(result.runs() if isinstance(result, Batch) else result)
            results.append(result)
            bar.advance(len(result))
    finally:  # on an interruption, start nothing new; what was stored stays stored
        for future in futures:
            future.cancel()
        concurrent.futures.wait(futures)
        bar.close()
    if store:
        found = {}
        for r in results:
            found.update((run.key, run) for run in (r.runs() if isinstance(r, Batch) else r))
        runs = [found[s.key] for s in specs]
        store.finish(runs, to_frame(runs))
    return specs, results


def _pool(workers: int) -> concurrent.futures.ThreadPoolExecutor:
    """The worker threads of every sweep asking for `workers` threads, kept.

    A new thread pays TensorFlow's per-thread setup on its first call, which
    made a fresh pool per sweep cost about 2.5 ms (20%) on top of the 11 ms
    of compiled loops of 10,000 Adam runs on two cores.
    """
    with _LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = concurrent.futures.ThreadPoolExecutor(
                workers, thread_name_prefix="coreopt-lab")
        return _POOLS[workers]


def _check(engine, chunk_size, workers, dtype) -> dict:
    if engine not in ENGINES:
        raise ValueError(f"`engine` must be one of {', '.join(ENGINES)}; received {engine!r}.")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"`chunk_size` must be an int >= 1; received {chunk_size!r}.")
    workers = os.cpu_count() or 1 if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"`workers` must be an int >= 1; received {workers!r}.")
    if str(dtype) not in ("float32", "float64"):
        raise ValueError(f"`dtype` must be 'float32' or 'float64'; received {dtype!r}.")
    return {"engine": engine, "chunk_size": chunk_size, "workers": workers,
            "dtype": str(dtype)}


def _check_gap(stop, specs):
    if stop.needs_minimum():
        for s in specs:
            if s.function.minimum is None:
                raise ValueError(
                    f"rule 'gap' needs a known minimum, and {s.function.name!r} has none.")


def _jobs(specs, stop, max_iters, keep_paths, settings) -> list:
    """Callables, each running a chunk of runs and returning their records."""
    if settings["engine"] == "batched":
        for s in specs:
            if s.registered and not s.batchable:
                raise ValueError(f"engine='batched': {', '.join(grids.unbatchable(s.optimizer))} "
                                 "cannot run batched; use engine='auto' or 'single'.")
    single = [s for s in specs if not s.batchable or settings["engine"] == "single"]
    jobs = [lambda s=s: [_single(s, stop, max_iters, keep_paths, settings["dtype"])]
            for s in single]
    groups: dict = {}
    done = {id(s) for s in single}
    for s in specs:
        if id(s) in done:
            continue
        groups.setdefault(grids.group_key(s), []).append(s)
    for members in groups.values():
        varying = _varying(members)
        for chunk, size in _chunks(members, stop, max_iters, keep_paths, settings):
            jobs.append(lambda c=chunk, n=size, v=varying: _batched(
                c, n, v, stop, max_iters, keep_paths, settings["dtype"]))
    return jobs


def _single(spec, stop, max_iters, keep_paths, dtype) -> Run:
    optimizer = grids._build(spec.optimizer, spec.config)
    run = convergence_test(optimizer, spec.function, init_val=spec.init, max_iters=max_iters,
                           rule=stop, keep_path=keep_paths, dtype=dtype)
    run.optimizer, run.config, run.seed, run.key = (spec.name, dict(spec.config), spec.seed,
                                                    spec.key)
    return run


def _varying(members) -> set:
    configs = list({id(m.config): m.config for m in members}.values())  # shared per config
    return {k for k in configs[0] if any(c[k] != configs[0][k] for c in configs)}


def _chunks(members, stop, max_iters, keep_paths, settings):
    """[(chunk, real size)]: equal chunks, the last padded, so one program serves all."""
    limit = settings["chunk_size"]
    if keep_paths:
        per_run = (max_iters + 1) * (members[0].function.dim + 2) * 8
        limit = max(1, min(limit, PATH_BYTES // per_run))
    n, workers = len(members), settings["workers"]
    count = -(-n // limit)
    if count == 1 and n >= 2048 and workers > 1:
        count = min(workers, n // 1024)  # enough runs to share between the threads
    elif count > 1:
        count = -(-count // workers) * workers  # whole rounds of equal chunks
    size = -(-n // count)
    chunks = []
    for i in range(0, n, size):
        chunk = members[i:i + size]
        real = len(chunk)
        chunks.append((chunk + [chunk[-1]] * (size - real if count > 1 else 0), real))
    return chunks


def _batched(chunk, real, varying, stop, max_iters, keep_paths, dtype) -> Batch:
    first = chunk[0]
    with _program(first, stop, max_iters, keep_paths, dtype) as program:
        names = program.optimizer.hyperparameter_names()
        fixed = {k: float(v) for k, v in program.optimizer.hyperparameters().items()}
        hyper = {k: (np.array([float(s.config[k]) for s in chunk]) if k in varying
                     else float(first.config.get(k, fixed.get(k)))) for k in names}
        f = first.function
        minimum = np.nan if f.minimum is None else f.minimum
        inits = np.stack([s.init for s in chunk])
        out = program(inits, hyper, minimum)
    return Batch(chunk[:real], inits, out, stop, max_iters, dtype)


@contextlib.contextmanager
def _program(spec, stop, max_iters, keep_paths, dtype):
    """The compiled program for `spec`'s group, held for one chunk.

    TensorFlow runs one compiled XLA executable one call at a time, so a chunk
    that runs beside another chunk of the same group gets a program of its own
    (copy 1, 2, ...); copy 0 serves whenever a group runs alone, so programs
    are compiled once and reused across sweeps.
    """
    group = (*grids.group_key(spec), stop, max_iters, keep_paths, dtype)
    with _LOCK:
        busy = _BUSY.setdefault(group, set())
        copy = next(n for n in itertools.count() if n not in busy)
        busy.add(copy)
        if (group, copy) not in _PROGRAMS:
            optimizer = grids._build(spec.optimizer, spec.config)
            _PROGRAMS[group, copy] = (spec.function, Program(
                optimizer, spec.function, stop, max_iters, keep_paths, dtype))
    try:
        yield _PROGRAMS[group, copy][1]
    finally:
        with _LOCK:
            busy.discard(copy)


_LOCK = threading.Lock()
_BUSY: dict = {}  # group -> the program copies running now
_POOLS: dict = {}  # workers -> a thread pool kept across sweeps


class Batch:
    """The results of one batched chunk, kept as columns until rows are asked for.

    Columns are NumPy arrays, lists (points) or one value for every row.
    """

    def __init__(self, specs, inits, out, stop, max_iters, dtype):
        self.specs, self.out = specs, out
        n = len(specs)
        f = specs[0].function
        final = out["final"][:n].astype(np.float64)
        loss = out["final_loss"][:n].astype(np.float64)
        distance = None
        if len(f.minimizers):
            gaps = np.asarray(f.minimizers)[None] - final[:, None]
            distance = np.min(np.linalg.norm(gaps, axis=-1), axis=1)
        self.columns = {
            "optimizer": specs[0].name, "function": f.name,
            "init": inits[:n].tolist(), "seed": [s.seed for s in specs],
            "status": np.array([STATUS_NAMES[i] for i in range(4)])[out["status"][:n]],
            "iteration": out["iteration"][:n].astype(np.int64),
            "steps": out["steps"][:n].astype(np.int64),
            "final": final.tolist(), "final_loss": loss,
            "final_grad_norm": out["final_grad_norm"][:n].astype(np.float64),
            "distance": distance, "gap": None if f.minimum is None else loss - f.minimum,
            "max_iters": max_iters, "rule": stop.kind, "tol": stop.tol,
            "divergence": stop.divergence, "dtype": dtype, "engine": "batched",
            "wall_time": out["wall_time"] / n, "key": [s.key for s in specs],
        }

    def __len__(self):
        return len(self.specs)

    def __repr__(self):
        return f"Batch({len(self)} runs of {self.specs[0].name} on {self.specs[0].function!r})"

    def frame(self):
        import pandas as pd

        n = len(self.specs)
        columns = {k: v if isinstance(v, (list, np.ndarray)) else [v] * n
                   for k, v in self.columns.items()}
        configs = {id(s.config): s.config for s in self.specs}  # one dict per grid point
        first = self.specs[0].config
        for k in first:
            same = all(c[k] == first[k] for c in configs.values())
            columns.setdefault(k, [first[k]] * n if same else [s.config[k] for s in self.specs])
        return pd.DataFrame(columns)

    def runs(self) -> list:
        n, out, f = len(self.specs), self.out, self.specs[0].function
        rows = {k: v.tolist() if isinstance(v, np.ndarray) else v if isinstance(v, list)
                else [v] * n for k, v in self.columns.items() if k != "function"}
        runs = []
        for i, s in enumerate(self.specs):
            curves = {}
            if "path" in out:
                m = rows["steps"][i] + 1
                curves = {k: out[k][:m, i].astype(np.float64).tolist()
                          for k in ("path", "loss", "grad_norm")}
            runs.append(Run(**{k: v[i] for k, v in rows.items()}, config=dict(s.config),
                            function=f.name, function_params=dict(f.params), **curves))
        return runs


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
