"""Running a list of `Spec`s: jobs, chunks, compiled programs and worker threads.

Runs of batchable registered optimizers go batched (`coreopt.lab.batched`):
grouped by optimizer, static options and function, cut into chunks that fit
memory, each chunk one compiled loop, chunks spread over worker threads. Every
other run goes one at a time (`convergence_test`). `run_all` does both and
hands each finished job's result (a `Batch` or a list of `Run`s) to a callback
as it finishes; `run_chunk` and `run_one` run one job.

Example:
    >>> from coreopt.lab import grid, rules
    >>> specs = grid.expand("gd", "seed_quartic", {"learning_rate": [0.01, 0.1]}, [2.0], (0,),
    ...                     (100, "exact", None, "guide", "float32"))
    >>> results = run_all(specs, rules.make(), 100, False, settings())
    >>> [records(results)[s.key].status for s in specs]
    ['max_iters', 'diverged']
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import os
import threading

import numpy as np

from coreopt.lab import grid as grids
from coreopt.lab.batched import STATUS_NAMES, Program
from coreopt.lab.records import Run
from coreopt.lab.single import convergence_test

__all__ = ["ENGINES", "PATH_BYTES", "Batch", "jobs", "pool", "records", "run_all", "run_chunk",
           "run_one", "settings"]

ENGINES = ("auto", "batched", "single")
PATH_BYTES = 256 * 2**20  # the most a chunk's kept paths may take
_PROGRAMS: dict = {}
_LOCK = threading.Lock()
_BUSY: dict = {}  # group -> the program copies running now
_POOLS: dict = {}  # workers -> a thread pool kept across sweeps


def settings(engine="auto", chunk_size=16384, workers=None, dtype="float32") -> dict:
    """The execution settings, checked: engine, chunk size, worker threads, dtype.

    Args:
        engine: "auto" (batched where every part of the chain is `batchable`),
            "batched" or "single".
        chunk_size: the most runs in one compiled batch, >= 1.
        workers: threads running chunks side by side (None: the CPU count).
        dtype: "float32" or "float64".

    Returns:
        A dict of the four, as `jobs` and `run_all` take it.
    """
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


def pool(workers: int) -> concurrent.futures.ThreadPoolExecutor:
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


def run_all(specs, stop, max_iters, keep_paths, settings, on_result=None) -> list:
    """Runs every spec on the worker threads; returns the results as they finished.

    Args:
        specs: the `Spec`s to run.
        stop, max_iters, keep_paths: the stopping rule, the budget, keep paths.
        settings: as `settings()` returns them.
        on_result: called with each result (a `Batch` or a list of `Run`s) as
            it finishes, before the next (a store appends it there).

    Returns:
        The results, in the order they finished. On an interruption nothing
        new starts, and what `on_result` was given stays given.
    """
    futures = [pool(settings["workers"]).submit(j)
               for j in jobs(specs, stop, max_iters, keep_paths, settings)]
    results = []
    try:
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            if on_result is not None:
                on_result(result)
            results.append(result)
    finally:
        for future in futures:
            future.cancel()
        concurrent.futures.wait(futures)
    return results


def records(results) -> dict:
    """key -> `Run`, for results of `run_all` (Batches and lists of Runs)."""
    found = {}
    for r in results:
        found.update((run.key, run) for run in (r.runs() if isinstance(r, Batch) else r))
    return found


def jobs(specs, stop, max_iters, keep_paths, settings) -> list:
    """Callables, each running a chunk of runs and returning their records.

    Args:
        specs, stop, max_iters, keep_paths, settings: as `run_all`.

    Returns:
        Callables of no arguments: a batched chunk returns a `Batch`, a run
        done on its own a one-item list of `Run`.
    """
    if settings["engine"] == "batched":
        for s in specs:
            if s.registered and not s.batchable:
                raise ValueError(f"engine='batched': {', '.join(grids.unbatchable(s.optimizer))} "
                                 "cannot run batched; use engine='auto' or 'single'.")
    single = [s for s in specs if not s.batchable or settings["engine"] == "single"]
    out = [lambda s=s: [run_one(s, stop, max_iters, keep_paths, settings["dtype"])]
           for s in single]
    groups: dict = {}
    done = {id(s) for s in single}
    for s in specs:
        if id(s) not in done:
            groups.setdefault(grids.group_key(s), []).append(s)
    for members in groups.values():
        varying = _varying(members)
        for chunk, size in _chunks(members, max_iters, keep_paths, settings):
            out.append(lambda c=chunk, n=size, v=varying: run_chunk(
                c, n, v, stop, max_iters, keep_paths, settings["dtype"]))
    return out


def run_one(spec, stop, max_iters, keep_paths, dtype) -> Run:
    """One spec, run on its own by `convergence_test`, recorded under the spec's key.

    Args:
        spec: a `Spec`; its optimizer is built anew from its config.
        stop, max_iters, keep_paths, dtype: as `run_all`.

    Returns:
        The `Run`.
    """
    optimizer = grids.build(spec.optimizer, spec.config)
    run = convergence_test(optimizer, spec.function, init=spec.init, max_iters=max_iters,
                           rule=stop, keep_path=keep_paths, dtype=dtype)
    run.optimizer, run.config, run.seed, run.key = (spec.name, dict(spec.config), spec.seed,
                                                    spec.key)
    return run


def _varying(members) -> set:
    configs = list({id(m.config): m.config for m in members}.values())  # shared per config
    return {k for k in configs[0] if any(c[k] != configs[0][k] for c in configs)}


def _chunks(members, max_iters, keep_paths, settings):
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


def run_chunk(chunk, real, varying, stop, max_iters, keep_paths, dtype) -> Batch:
    """One compiled batch of specs of one group; the first `real` are reported.

    Args:
        chunk: specs of one group (`grid.group_key`), padded to the chunk size.
        real: how many of them are real runs (the rest repeat the last).
        varying: the hyperparameters that differ between them.
        stop, max_iters, keep_paths, dtype: as `run_all`.

    Returns:
        A `Batch`.
    """
    first = chunk[0]
    with _program(first, stop, max_iters, keep_paths, dtype) as program:
        names = program.optimizer.hyperparameter_names()
        start = program.optimizer.init_state()
        fixed = {k: float(v) for k, v in program.optimizer.hyperparameters(start).items()}
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
            optimizer = grids.build(spec.optimizer, spec.config)
            _PROGRAMS[group, copy] = (spec.function, Program(
                optimizer, spec.function, stop, max_iters, keep_paths, dtype))
    try:
        yield _PROGRAMS[group, copy][1]
    finally:
        with _LOCK:
            busy.discard(copy)


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
        """The runs as a DataFrame, one row each, a column per hyperparameter."""
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
        """The runs as `Run` records (with their paths and curves when kept)."""
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
