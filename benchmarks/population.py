"""Time 64 digits-MLP trainings as one population against 64 `coreopt train` runs.

What is measured
    64 configurations of Adam on the digits MLP (64-128-10, batch 32, the
    problem `digits-mlp`), learning rates log-spaced from 1e-4 to 1e-1, all from
    seed 0, trained for the same number of epochs two ways in one process:

    * ``population``: `coreopt.train.population.population`, the 64 members
      stepped together, one XLA program per epoch (compilation included);
    * ``sequential``: 64 runs of the command line,
      ``coreopt train digits --optimizers adam --lr RATE --epochs E --out DIR``,
      through `coreopt.cli.main.main` one after another (each writes its
      history, figures and report, as a user's run does).

    The ratio is sequential / population wall time. As a check the table also
    gives the largest difference between a member's final validation accuracy
    and the same rate's `coreopt train` test accuracy (the same split, weights
    and batches; they differ only by float rounding).

Run (from the repository root)
    python benchmarks/population.py             # about 3 minutes on 2 cores (5 epochs)
    python benchmarks/population.py --epochs 2  # quicker
    python benchmarks/population.py --out DIR   # write population.md / .csv to DIR

Writes ``benchmarks/results/population.md`` and ``.csv``, each atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _tables import aligned_markdown, cpu_model, write_results  # noqa: E402

MEMBERS = 64
COLUMNS = ["members", "epochs", "population_s", "sequential_s", "ratio", "max_accuracy_diff"]


def run_population(rates, epochs):
    from coreopt.train.population import population

    start = time.perf_counter()
    result = population("digits-mlp", "adam", {"learning_rate": rates}, seeds=0, epochs=epochs)
    return time.perf_counter() - start, result.final_metric


def run_sequential(rates, epochs, folder: Path):
    from coreopt.cli.main import main

    start = time.perf_counter()
    for i, rate in enumerate(rates):
        out = folder / f"run{i}"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(["train", "digits", "--optimizers", "adam", "--lr", repr(rate),
                         "--epochs", str(epochs), "--out", str(out)])
        if code != 0:
            raise SystemExit(f"coreopt train exited {code} for rate {rate}")
    seconds = time.perf_counter() - start
    accuracies = []
    for i in range(len(rates)):
        history = json.loads((folder / f"run{i}" / "history.json").read_text())
        accuracies.append(history["adam"][-1]["test_accuracy"])
    return seconds, accuracies


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    rates = np.geomspace(1e-4, 1e-1, MEMBERS).tolist()
    population_s, members = run_population(rates, args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        sequential_s, alone = run_sequential(rates, args.epochs, Path(tmp))
    row = {"members": MEMBERS, "epochs": args.epochs, "population_s": population_s,
           "sequential_s": sequential_s, "ratio": sequential_s / population_s,
           "max_accuracy_diff": float(np.max(np.abs(np.subtract(members, alone))))}
    cells = [["members", "epochs", "population (s)", "sequential (s)", "ratio",
              "max accuracy difference"],
             [str(MEMBERS), str(args.epochs), f"{population_s:.1f}", f"{sequential_s:.1f}",
              f"{row['ratio']:.1f}x", f"{row['max_accuracy_diff']:.2g}"]]
    markdown = (f"# Population training: {MEMBERS} digits-MLP trainings\n\n"
                f"CPU: {cpu_model()}, {os.cpu_count()} cores. One run; ratio = sequential / "
                f"population wall time.\n\n" + aligned_markdown(cells))
    md, table = write_results(args.out, "population", markdown, [row], COLUMNS)
    print(markdown)
    print(f"wrote {md} and {table}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
