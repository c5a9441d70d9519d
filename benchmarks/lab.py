"""Time the convergence lab: the guide's nine runs, and thousands of runs at once.

What is measured
    (a) ``guide-9``: the guide's nine runs (gradient descent, momentum and Adam
        at learning rates 1e-3, 1e-2, 1e-1 on 2x^4 + 3x^3 + 2 from x = 2,
        2000 iterations, the exact rule). The guide's own code
        (``seed_reference.py``, loaded from ``--seed``, run in this process
        with its printing silenced) against ``coreopt.lab.sweep`` (batched)
        and ``coreopt.lab.convergence_test`` (one run at a time). The outcomes
        of all three are compared, and the row says whether they agree.
    (b) ``adam-10k``: 10,000 Adam runs (learning rate 1e-3, random starts in
        [-2, 2]) x 2,000 steps on ``seed_quartic``, exact rule and divergence
        checks on.
    (c) ``rosenbrock-4096``: 4,096 Adam runs (learning rate 1e-3, random
        starts in the domain) x 2,000 steps on 2-D ``rosenbrock``.

    Rows (b) and (c) run twice, each in a fresh process: with XLA's default
    CPU vector width (256 bits) and with ``XLA_FLAGS=--xla_cpu_prefer_vector_width=512``,
    which on CPUs with AVX-512 lets XLA use the wide registers (same results,
    element by element; a user sets it in the environment before starting).

    Unit for (b) and (c): optimizer-steps per second. "nominal" counts
    runs x budget (what a loop without stopping would do); "performed" counts
    the steps the runs took before they stopped. "sweep" is the whole call
    `lab.sweep(...)` (building the runs, the compiled loops, the DataFrame);
    "loops" is the compiled programs alone, on the same chunks and threads.

How
    Everything is warmed up first (each program compiled once). Then each
    measurement is repeated and the median reported; the guide's code is slow
    and runs once. Ratios compare timings taken in this one run.

Run (from the repository root)
    python benchmarks/lab.py                 # about a minute on 2 cores
    python benchmarks/lab.py --quick         # fewer repetitions
    python benchmarks/lab.py --seed PATH     # the guide's code (default ../shared/seed/...)

Writes ``benchmarks/results/lab.md`` and ``lab.csv``, each atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _tables import write_results  # noqa: E402

import coreopt  # noqa: E402
from coreopt import functions, lab  # noqa: E402
from coreopt.lab import sweeps as sweep_module  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GUIDE_RATES = (1e-3, 1e-2, 1e-1)


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_seed(path):
    """The guide's code as a module; its import draws one figure into a scratch folder."""
    spec = importlib.util.spec_from_file_location("seed_reference", path)
    module = importlib.util.module_from_spec(spec)
    argv = sys.argv
    with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
        sys.argv = [path, scratch]  # the module takes its output folder from argv[1]
        try:
            spec.loader.exec_module(module)
        finally:
            sys.argv = argv
    return module


def seed_outcomes(seed):
    """The guide's nine runs with the guide's code; (outcomes, seconds)."""
    outcomes = {}
    start = time.perf_counter()
    for name, cls in (("gd", seed.GradientDescent), ("momentum", seed.Momentum),
                      ("adam", seed.Adam)):
        for lr in GUIDE_RATES:
            text = io.StringIO()
            with contextlib.redirect_stdout(text):
                path = seed.convergence_test(cls(learning_rate=lr), loss_fn=seed.loss)
            outcomes[(name, lr)] = _parse_guide(text.getvalue(), len(path))
    return outcomes, time.perf_counter() - start


def _parse_guide(text, length):
    if "exploded at iteration" in text:
        return "diverged", int(text.split("exploded at iteration")[1].split()[0])
    if "Converged in" in text:
        return "converged", length
    return "max_iters", 2000


def guide_row(seed_path, reps):
    sweep = lambda: lab.sweep("gd,momentum,adam", "seed_quartic",  # noqa: E731
                              {"learning_rate": list(GUIDE_RATES)}, starts=[2.0])
    frame = sweep()  # compiles
    batched = {(r.optimizer, r.learning_rate): (r.status, r.iteration)
               for r in frame.itertuples()}
    t_batched = median_time(sweep, reps)
    start = time.perf_counter()
    single = {}
    for name in ("gd", "momentum", "adam"):
        for lr in GUIDE_RATES:
            run = lab.convergence_test(coreopt.get(name, learning_rate=lr), "seed_quartic")
            single[(name, lr)] = (run.status, run.iteration)
    t_single = time.perf_counter() - start
    row = {"row": "guide-9", "runs": 9, "coreopt batched s": t_batched,
           "coreopt one-at-a-time s": t_single, "same outcomes": batched == single}
    if seed_path and Path(seed_path).exists():
        seed = load_seed(seed_path)
        guide, t_seed = seed_outcomes(seed)
        row.update({"guide code s": t_seed, "speed-up batched": t_seed / t_batched,
                    "speed-up one-at-a-time": t_seed / t_single,
                    "same outcomes": batched == single == guide})
    return row


def many_row(name, function, n, reps, workers):
    kwargs = {"grid": {"learning_rate": [1e-3]}, "starts": n, "max_iters": 2000,
              "workers": workers}
    frame = lab.sweep("adam", function, **kwargs)  # compiles
    t_sweep = median_time(lambda: lab.sweep("adam", function, **kwargs), reps)
    t_loops = median_time(lambda: _loops_only(function, n, workers), reps)
    performed = int(frame["steps"].sum())
    nominal = n * 2000
    return {"row": name, "runs": n, "sweep s": t_sweep, "loops s": t_loops,
            "nominal steps/s (sweep)": nominal / t_sweep,
            "performed steps/s (sweep)": performed / t_sweep,
            "nominal steps/s (loops)": nominal / t_loops,
            "performed steps/s (loops)": performed / t_loops,
            "converged": int((frame.status == "converged").sum()),
            "diverged": int((frame.status == "diverged").sum())}


_LOOPS: dict = {}


def _loops_only(function, n, workers):
    """The compiled programs alone, on the chunks and threads `lab.sweep` uses
    (one program per thread: an XLA executable runs one call at a time)."""
    if (function, n) not in _LOOPS:
        f = functions.get(function)
        parts = np.array_split(f.random_starts(n, 0), workers if n >= 2048 else 1)
        programs = [sweep_module.Program(coreopt.Adam(), f, lab.StoppingRule(), 2000)
                    for _ in parts]
        hyper = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
        for program, part in zip(programs, parts):
            program(part, hyper)
        _LOOPS[(function, n)] = (programs, parts, hyper)
    programs, parts, hyper = _LOOPS[(function, n)]
    pool = sweep_module._pool(len(parts))  # the threads lab.sweep keeps
    list(pool.map(lambda pp: pp[0](pp[1], hyper), zip(programs, parts)))


def write(rows, out_dir, quick):
    columns = list(dict.fromkeys(k for r in rows for k in r))
    write_results(out_dir, "lab", markdown(rows, quick), rows, columns)


def markdown(rows, quick) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# The convergence lab: speed", "",
             f"- date: {now}{' (quick)' if quick else ''}",
             f"- machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}",
             f"- versions: Python {platform.python_version()}, TensorFlow {tf.__version__}, "
             f"coreopt {coreopt.__version__}",
             "- medians of repeated runs after warm-up (compilation excluded); the guide's "
             "code runs once", ""]
    for group in (rows[:1], rows[1:]):
        keys = list(dict.fromkeys(k for r in group for k in r))
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_fmt(r.get(k, "")) for k in keys) + " |" for r in group]
        lines.append("")
    return "\n".join(lines)


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.3g}" if value < 1e4 else f"{value:.3e}"
    return str(value)


WIDE = "--xla_cpu_prefer_vector_width=512"


def many_rows(args, reps, wide):
    """Rows (b) and (c), in a fresh process: XLA reads XLA_FLAGS once, at start-up."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + (" " + WIDE if wide else "")).strip()
    command = [sys.executable, __file__, "--many-only", "--workers", str(args.workers),
               "--reps", str(reps)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    for row in rows:
        row["XLA vector width"] = 512 if wide else "default (256)"
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--seed", default=str(ROOT.parent / "shared/seed/seed_reference.py"))
    p.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--reps", type=int, default=None)
    p.add_argument("--many-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    reps = args.reps or (3 if args.quick else 7)
    if args.many_only:
        rows = [many_row("adam-10k", "seed_quartic", 10_000, reps, args.workers),
                many_row("rosenbrock-4096", "rosenbrock", 4096, reps, args.workers)]
        print(json.dumps(rows))
        return 0
    rows = [guide_row(args.seed, reps)]
    rows += many_rows(args, reps, wide=False) + many_rows(args, reps, wide=True)
    write(rows, Path(args.out), args.quick)
    print(markdown(rows, args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
