"""A fair comparison on small real problems: the same tuning budget for every optimizer.

The protocol (`PROTOCOL`, stated in every report):

1. Tuning. For each problem and optimizer, `budget` learning rates are drawn
   log-uniformly from [low, high] by a scrambled Sobol sequence with seed 0 (the
   same rates for every optimizer), every other hyperparameter at the
   optimizer's default, and trained as one population (`coreopt.train.population`)
   from seed 0 for the problem's epochs.
2. Selection. The best rate is the one with the best final validation metric
   among the members that did not diverge (ties: the smaller rate).
3. Seeds. The best rate is trained again from `seeds` new seeds (1..K: other
   initial weights and data orders), again as one population.
4. Measures, per seed: the final validation metric; steps to the target, AlgoPerf's
   definition: the step of the first evaluation (one per epoch) at or past the
   problem's target; seconds to the target, the population's wall time prorated by
   those steps (the members share one program, so this is the time per member of
   the batched run, compilation included).

Results are appended to `results.jsonl` in `out` as each (problem, optimizer,
phase) finishes; a killed run started again with the same settings and
`resume=True` skips what is there (a torn last line is dropped), and other
settings are refused by name.

The unit of work is a job, one (problem, optimizer): its tune, then its seeds.
`backend=` says where jobs run: in this process (the default), or as Ray tasks
(`coreopt.train.ray_backend.Ray("HOST:PORT")`, one task per job not done yet),
whose records the driver appends in the local run's order, each job's two as soon
as it and every job before it are done.

Example:
    >>> import tempfile
    >>> from coreopt.train import bench
    >>> records = bench.run(["wine-logreg"], ["adam"], budget=2, seeds=1, epochs=2,
    ...                     out=tempfile.mkdtemp())
    >>> [(r["phase"], r["optimizer"]) for r in records]
    [('tune', 'adam'), ('seeds', 'adam')]
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from coreopt.train import problems as problems_lib
from coreopt.train.population import population

PROTOCOL = ("Every optimizer gets the same budget of {budget} learning rates, drawn "
            "log-uniformly from [{low:g}, {high:g}] by a scrambled Sobol sequence (seed 0), "
            "its other hyperparameters at their defaults; the {budget} are trained as one "
            "population from seed 0 for each problem's epochs. The rate with the best final "
            "validation metric (diverged runs excluded) is trained again from {seeds} new "
            "seeds; the tables give the mean and spread over those seeds, and steps to the "
            "target are the step of the first epoch's evaluation at or past it (AlgoPerf's "
            "definition).")


def draw_rates(budget: int, low: float = 1e-4, high: float = 1.0) -> list:
    """`budget` rates, log-uniform in [low, high], by a scrambled Sobol sequence (seed 0)."""
    from scipy.stats import qmc

    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise ValueError(f"`budget` must be an integer >= 1; received {budget!r}.")
    if not 0 < low < high:
        raise ValueError(f"The range needs 0 < low < high; received [{low!r}, {high!r}].")
    u = qmc.Sobol(d=1, scramble=True, seed=0).random(budget)[:, 0]
    return np.exp(np.log(low) + u * (np.log(high) - np.log(low))).tolist()


def run(problem_names, optimizers, *, budget: int = 16, seeds: int = 3, out,
        epochs: int | None = None, low: float = 1e-4, high: float = 1.0,
        backend=None, resume: bool = False) -> list:
    """Runs the protocol (module docstring); returns every record, old and new.

    Args:
        resume: continue the benchmark whose results.jsonl is in `out` (the same
            settings); without it, an `out` holding results is refused.
        backend: where the jobs (one per problem and optimizer: its tune, then its
            seeds) run: None or "local", in this process, one after the other; or
            `coreopt.train.ray_backend.Ray(address)`, as Ray tasks on a cluster. Either
            way the records are appended in the same order (problems, then
            optimizers, tune before seeds), so the files differ only in wall times.

    Raises:
        ValueError: an unknown problem or optimizer, a bad budget, seed count or
            range, an unknown backend or an unreachable one (Ray not installed, no
            cluster at the address), an `out` that holds results without
            `resume`, another benchmark's results, or other reports; all before
            anything is trained.
    """
    import coreopt

    chosen = [problems_lib.get(p) for p in problem_names]
    for name in optimizers:
        coreopt.get(name)  # an unknown name is refused here
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ValueError(f"`seeds` must be an integer >= 1; received {seeds!r}.")
    rates = draw_rates(budget, low, high)
    check_out(out, resume)
    backend = _backend(backend)
    backend.check()
    settings = {"problems": [p.name for p in chosen], "optimizers": list(optimizers),
                "budget": budget, "seeds": seeds, "epochs": epochs, "low": low, "high": high}
    path = Path(out) / "results.jsonl"
    records = _resume(path, settings)
    jobs = _pending(problem_names, chosen, optimizers, records[1:],
                    dict(rates=rates, seeds=seeds, epochs=epochs))
    for job_records in backend.map(job_records_of, jobs):
        for record in job_records:
            _append(path, record)
            records.append(record)
    return records[1:]


def job_records_of(job: dict):
    """The records of one job, as each phase finishes: its tune (unless `job["tuned"]`
    holds it already), then its seeds. Runs wherever the backend puts it.

    Example:
        >>> job = {"problem": "wine-logreg", "optimizer": "adam", "rates": [1e-2],
        ...        "seeds": 1, "epochs": 1, "tuned": None}
        >>> [r["phase"] for r in job_records_of(job)]
        ['tune', 'seeds']
    """
    problem = problems_lib.get(job["problem"])
    tuned = job["tuned"]
    if tuned is None:
        tuned = _tune(problem, job["optimizer"], job["rates"], job["epochs"])
        yield tuned
    yield _seeds(problem, job["optimizer"], tuned, job["seeds"], job["epochs"])


class Local:
    """The local backend: each job in this process, in order, each record as it comes."""

    def check(self) -> None:
        """Nothing to check: this process is there."""

    def map(self, fn, jobs):
        """`fn(job)` for each job, lazily and in order."""
        return (fn(job) for job in jobs)

    def __repr__(self) -> str:
        return "Local()"


def _backend(backend):
    if backend is None or backend == "local":
        return Local()
    if hasattr(backend, "check") and hasattr(backend, "map"):
        return backend
    raise ValueError(f"Unknown backend {backend!r}; use None or 'local' (this process), or "
                     f"coreopt.train.ray_backend.Ray('HOST:PORT') (a Ray cluster).")


def _pending(problem_names, chosen, optimizers, records, common) -> list:
    """The jobs not done yet, in the run's order; a job whose tune is there gets it."""
    done = {(r["problem"], r["optimizer"], r["phase"]): r for r in records}
    jobs = []
    for spec, problem in zip(problem_names, chosen):
        for name in optimizers:
            if (problem.name, name, "seeds") in done:
                continue
            tuned = done.get((problem.name, name, "tune"))
            jobs.append({"problem": spec, "optimizer": name, "tuned": tuned, **common})
    return jobs


def settings_of(out) -> dict:
    """The settings of the benchmark in `out` (the first line of its results.jsonl)."""
    with open(Path(out) / "results.jsonl") as f:
        return json.loads(f.readline())["settings"]


def _tune(problem, name, rates, epochs) -> dict:
    result = population(problem, name, {"learning_rate": rates}, seeds=0, epochs=epochs)
    return {**_common(problem, name, "tune", result), "best_lr": _best(problem, result)}


def _seeds(problem, name, tuned, seeds, epochs) -> dict:
    if tuned["best_lr"] is None:
        return {"problem": problem.name, "optimizer": name, "phase": "seeds", "lr": None}
    result = population(problem, name, {"learning_rate": [tuned["best_lr"]] * seeds},
                        seeds=list(range(1, seeds + 1)), epochs=epochs)
    record = _common(problem, name, "seeds", result)
    steps = [_steps_to_target(problem, h) for h in result.history]
    total = result.history[0][-1]["step"]
    return {**record, "lr": tuned["best_lr"], "steps_to_target": steps,
            "seconds_to_target": [None if s is None else result.wall_time * s / total
                                  for s in steps]}


def _common(problem, name, phase, result) -> dict:
    return {"problem": problem.name, "optimizer": name, "phase": phase,
            "lrs": [c["learning_rate"] for c in result.configs],
            "seeds": [c["seed"] for c in result.configs],
            "final": result.final_metric, "diverged_at": result.diverged_at,
            "curves": [[r["metric"] for r in h] for h in result.history],
            "steps": [r["step"] for r in result.history[0]],
            "metric": problem.metric_name, "higher_is_better": problem.higher_is_better,
            "target": problem.target, "wall_time": result.wall_time}


def _best(problem, result):
    sign = 1.0 if problem.higher_is_better else -1.0
    candidates = [(-sign * m, c["learning_rate"]) for c, m, d in
                  zip(result.configs, result.final_metric, result.diverged_at)
                  if d is None and np.isfinite(m)]
    return min(candidates)[1] if candidates else None


def _steps_to_target(problem, history):
    return next((r["step"] for r in history if problem.reached(r["metric"])), None)


WRITES = ("report.html", "report.md", "figures")  # what the report puts beside results.jsonl


def check_out(out, resume: bool) -> None:
    """Refuses an `out` whose files a run would replace: results without `resume`, or
    a report with no results.jsonl beside it (another tool's, or a moved file's)."""
    out = Path(out)
    if (out / "results.jsonl").exists():
        if not resume:
            raise ValueError(f"{str(out)!r} already holds a benchmark (results.jsonl); pass "
                             "--resume (resume=True) to continue it, or choose another --out.")
        return
    found = [name for name in WRITES if (out / name).exists()]
    if found:
        raise ValueError(f"{str(out)!r} holds {found[0]} but no results.jsonl: a benchmark "
                         "would replace it; choose another --out.")


def _resume(path: Path, settings: dict) -> list:
    """[settings, records...] from `path` (a torn last line dropped), or a new file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _append(path, {"settings": settings}, new=True)
        return [{"settings": settings}]
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            break
    if not lines or lines[0].get("settings") != settings:
        saved = lines[0].get("settings") if lines else None
        raise ValueError(f"{str(path)!r} holds a benchmark with other settings ({saved}); "
                         f"choose another --out, or the same settings to resume.")
    _rewrite(path, lines)
    return lines


def _append(path: Path, record: dict, new: bool = False) -> None:
    with open(path, "w" if new else "a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _rewrite(path: Path, lines: list) -> None:
    from coreopt import files

    files.write_text(path, "".join(json.dumps(r) + "\n" for r in lines))
