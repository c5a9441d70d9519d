"""Start-up of the command line: wall time, peak memory and stderr lines of three commands.

What is measured
    Each command runs in a fresh subprocess, as a user would type it:

    * ``coreopt --help``: argument parsing only, no TensorFlow;
    * ``coreopt list``: the registries, so TensorFlow is imported;
    * ``coreopt run seed_quartic --optimizers gd --lr 1e-2 --init 2``: one short run.

    For each: the median, fastest and slowest wall time over the repetitions
    (after one untimed warm-up run, so the files are in the page cache), the
    median peak resident memory of the process (``ru_maxrss`` from ``wait4``),
    and the number of lines it wrote to stderr (the most over the repetitions;
    0 means no TensorFlow log line reached the terminal). The child's
    environment is the caller's without ``TF_CPP_MIN_LOG_LEVEL`` and
    ``COREOPT_VERBOSE``, so the numbers are those of a fresh shell.

Run (from the repository root)
    python benchmarks/startup.py             # 5 repetitions per command
    python benchmarks/startup.py --reps 3    # fewer
    python benchmarks/startup.py --out DIR   # write startup.md / startup.csv to DIR

Writes ``benchmarks/results/startup.md`` (a Markdown table with a header naming the
machine and versions) and ``benchmarks/results/startup.csv``, each atomically.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _tables import aligned_markdown, cpu_model, write_results

COMMANDS = {
    "help": ["--help"],
    "list": ["list"],
    "run": ["run", "seed_quartic", "--optimizers", "gd", "--lr", "1e-2", "--init", "2"],
}
COLUMNS = ("command", "reps", "median_s", "min_s", "max_s", "peak_rss_mb", "stderr_lines",
           "exit_status")
HEADINGS = ("command", "reps", "median s", "fastest s", "slowest s", "peak RSS MB",
            "stderr lines", "exit status")
UNSET = ("TF_CPP_MIN_LOG_LEVEL", "COREOPT_VERBOSE")


def coreopt_executable() -> str:
    """The `coreopt` script beside this Python (a venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("coreopt")
    found = str(beside) if beside.is_file() else shutil.which("coreopt")
    if found is None:
        raise SystemExit("benchmarks/startup.py: no `coreopt` command found; "
                         "install the package first (pip install -e .).")
    return found


def child_environment() -> dict:
    """The caller's environment without the variables that change TensorFlow's logging."""
    return {k: v for k, v in os.environ.items() if k not in UNSET}


def run_once(argv: list[str], cwd: str, env: dict) -> dict:
    """One fresh process: its wall seconds, peak RSS (MB), stderr line count, exit status."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode(errors="replace").splitlines()
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "stderr_lines": len(lines),
            "status": proc.returncode, "stderr": lines}


def measure(name: str, args: list[str], reps: int, cwd: str, env: dict) -> dict:
    """One row: `reps` timed runs of `coreopt args` after one warm-up run."""
    argv = [coreopt_executable(), *args]
    run_once(argv, cwd, env)
    runs = [run_once(argv, cwd, env) for _ in range(reps)]
    times = [r["seconds"] for r in runs]
    worst = max(runs, key=lambda r: r["stderr_lines"])
    if worst["stderr_lines"]:
        print(f"{name}: stderr of one run:\n  " + "\n  ".join(worst["stderr"][:10]),
              file=sys.stderr)
    return {"command": "coreopt " + " ".join(args), "reps": reps,
            "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "peak_rss_mb": statistics.median(r["rss_mb"] for r in runs),
            "stderr_lines": worst["stderr_lines"],
            "exit_status": max((r["status"] for r in runs), key=abs)}


def formatted(row: dict) -> list[str]:
    """A row's cells for the Markdown table."""
    return [f"`{row['command']}`", str(row["reps"]), f"{row['median_s']:.2f}",
            f"{row['min_s']:.2f}", f"{row['max_s']:.2f}", f"{row['peak_rss_mb']:.0f}",
            str(row["stderr_lines"]), str(row["exit_status"])]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def header_lines(reps: int, load: tuple) -> list[str]:
    """The title and the run's context: date, machine, versions, method, load average."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ["# Start-up of the command line", "",
            f"- date: {now}",
            f"- machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
            f"{platform.machine()}",
            f"- versions: Python {platform.python_version()}, TensorFlow "
            f"{_version('tensorflow')}, coreopt {_version('coreopt')}",
            f"- each command in a fresh process, {reps} timed runs after one warm-up run; "
            "wall time and peak resident memory (median), stderr lines (most of any run); "
            "TF_CPP_MIN_LOG_LEVEL and COREOPT_VERBOSE unset",
            f"- load average when the run started: {' '.join(f'{v:.2f}' for v in load)}", ""]


def parse_args(argv=None, *, doc=__doc__, stem="startup", reps=5) -> argparse.Namespace:
    """--reps and --out of a benchmark whose results are `stem`.md and `stem`.csv."""
    parser = argparse.ArgumentParser(description=doc.split("\n", 1)[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--reps", type=int, default=reps, help="timed runs per command")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results",
                        help=f"folder for {stem}.md and {stem}.csv")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error(f"--reps must be >= 1; received {args.reps}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    env = child_environment()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as cwd:
        rows = [measure(name, cmd, args.reps, cwd, env) for name, cmd in COMMANDS.items()]
    markdown = "\n".join(header_lines(args.reps, load)) + "\n" + aligned_markdown(
        [list(HEADINGS)] + [formatted(r) for r in rows], left=1)
    md, table = write_results(args.out, "startup", markdown, rows, COLUMNS)
    print(markdown)
    print(f"wrote {md} and {table}", file=sys.stderr)
    return 0 if all(r["exit_status"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
