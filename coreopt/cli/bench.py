"""`coreopt bench`: a fair comparison of optimizers on small real problems.

    coreopt bench --problems digits-mlp,wine-logreg --optimizers sgd,adam,lion \\
        --budget 16 --seeds 3 --out bench/

Every optimizer gets the same budget of learning rates (log-uniform in
[--low, --high], one scrambled Sobol draw), trained as one population per
problem; the best rate is trained again over --seeds new seeds. Results are
appended to DIR/results.jsonl as they finish (the same command resumes a
killed run); DIR/report.html and report.md give the tables, the learning
curves, the performance profile and the protocol (`coreopt.train.bench`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROBLEMS = "digits-mlp,digits-cnn,wine-logreg,diabetes-mlp,noisy-quadratic"


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers `bench` on the `coreopt` command's subparsers."""
    p = subparsers.add_parser("bench", help="a fair comparison on small real problems",
                              description=__doc__.strip(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--problems", default=PROBLEMS, metavar="NAMES",
                   help=f"comma-separated problems (default: {PROBLEMS})")
    p.add_argument("--optimizers", default="sgd,momentum,adam,adamw,lion", metavar="NAMES",
                   help="comma-separated names or chains (default: sgd,momentum,adam,adamw,"
                        "lion)")
    p.add_argument("--budget", type=int, default=16, metavar="N",
                   help="learning rates tried per optimizer and problem (default: 16)")
    p.add_argument("--seeds", type=int, default=3, metavar="K",
                   help="seeds the best rate is retrained from (default: 3)")
    p.add_argument("--low", type=float, default=1e-4, metavar="LR",
                   help="the search range's lowest rate (default: 1e-4)")
    p.add_argument("--high", type=float, default=1.0, metavar="LR",
                   help="the search range's highest rate (default: 1)")
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="epochs per training (default: each problem's own)")
    p.add_argument("--out", type=Path, default=Path("coreopt-bench"), metavar="DIR",
                   help="results folder (default: coreopt-bench)")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Runs `coreopt bench`; returns the exit status (2 for bad input)."""
    from coreopt.lab.inputs import split_names
    from coreopt.report import bench as report
    from coreopt.train import bench

    try:
        records = bench.run(split_names(args.problems), split_names(args.optimizers),
                            budget=args.budget, seeds=args.seeds, out=args.out,
                            epochs=args.epochs, low=args.low, high=args.high)
    except (ValueError, TypeError, KeyError, PermissionError) as err:
        print(f"coreopt bench: error: {err}", file=sys.stderr)
        return 2
    settings = bench.settings_of(args.out)
    html, md = report.write(records, settings, args.out)
    print(report.summary_text(records))
    print(f"wrote {html} and {md}", file=sys.stderr)
    return 0
