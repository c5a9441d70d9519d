"""`coreopt lr-find`: the learning-rate range test on the Core-API MLP, and its suggestions.

    coreopt lr-find digits --optimizer adam --start-lr 1e-7 --end-lr 10 --steps 100

Trains the MLP for at most STEPS mini-batch steps with the learning rate
raised each step from START to END (exponentially, or linearly with --mode
linear), stops once the smoothed loss passes DIVERGE times its best, and
prints three suggestions: steepest (the steepest descent of the smoothed loss
against log lr), minimum / 10 (the lr of the smallest smoothed loss, divided
by 10) and valley (the middle of the longest valley of decreasing loss; fastai's
default). Writes lr_find.json (the record: settings, curve, suggestions) and
lr_find.png (the loss against the learning rate) into DIR, each atomically;
a DIR holding other files than these two (and --population's two, below)
is refused; they are replaced.
The optimizer may be a chain (ema:adam); its innermost optimizer's rate is
ramped. Every input is checked before anything is trained or written.

    coreopt lr-find digits --optimizer adam --start-lr 1e-5 --end-lr 1 --population 16

--population [N] runs the ramp as above and also the test as a population
(`coreopt.train.lr_scan`): N constant rates (16 when N is left out, at least
2) log-spaced over [START, END], trained at once for --epochs epochs each (1
by default) from the same weights and batches, each scored by its mean
training loss over its last epoch. It prints both tables of suggestions and a
sentence on how the two answers differ, and writes lr_scan.json (the scan's
record) and lr_scan.png (the ramp's figure beside the scan's) too. It runs on
the problem of the data set: digits is the digits-mlp problem with the same
--hidden, --batch-size and --seed (its split is the problem's, seed 0); the
other data sets have no problem and are refused with --population.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers `lr-find` on the `coreopt` command's subparsers."""
    p = subparsers.add_parser("lr-find", help="the learning-rate range test: suggested rates",
                              description=__doc__.strip())
    p.add_argument("dataset", help="digits, synthetic or mnist")
    p.add_argument("--optimizer", default="adam", metavar="NAME",
                   help="a name from `coreopt list`, or a chain: ema:adam")
    p.add_argument("--start-lr", type=float, default=1e-7, metavar="LR", help="first rate")
    p.add_argument("--end-lr", type=float, default=10.0, metavar="LR", help="last rate")
    p.add_argument("--steps", type=int, default=100, metavar="N", help="steps of the ramp")
    p.add_argument("--mode", default="exp", help="the ramp: exp or linear")
    p.add_argument("--smoothing", type=float, default=0.98, metavar="BETA",
                   help="weight of the smoothed loss's running average, in [0, 1)")
    p.add_argument("--diverge", type=float, default=4.0, metavar="X",
                   help="stop once the smoothed loss passes X times its best")
    p.add_argument("--batch-size", type=int, default=32, metavar="N",
                   help="examples per step")
    p.add_argument("--hidden", default="128", metavar="WIDTHS",
                   help="hidden layer widths, comma-separated: 256,128")
    p.add_argument("--seed", type=int, default=0, help="weights, split and data order")
    p.add_argument("--mnist-path", default=None, metavar="FILE",
                   help="local mnist.npz in Keras's format (default: Keras's cache)")
    p.add_argument("--population", type=int, nargs="?", const=16, default=None, metavar="N",
                   help="also run N constant rates at once (default 16) and compare")
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="with --population: each constant rate's epochs (default 1)")
    p.add_argument("--out", type=Path, default=Path("coreopt-lr-find"), metavar="DIR",
                   help="results folder")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Runs `coreopt lr-find`; returns the exit status (2 for bad input)."""
    try:
        return _run(args)
    except (ValueError, TypeError, FileNotFoundError, PermissionError) as err:
        print(f"coreopt lr-find: error: {err}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from coreopt.report.lr_find import scan_text, stop_text, table
    from coreopt.train.range_test import range_and_scan, range_test

    settings = dict(
        optimizer=args.optimizer, start_lr=args.start_lr, end_lr=args.end_lr,
        steps=args.steps, mode=args.mode, smoothing=args.smoothing, diverge=args.diverge,
        batch_size=args.batch_size, hidden=args.hidden, seed=args.seed,
        mnist_path=args.mnist_path, out=args.out)
    if args.population is None:
        if args.epochs is not None:
            raise ValueError("--epochs is the --population scan's budget; give --population "
                             "too.")
        result, paths = range_test(args.dataset, **settings)
        print(table(result))
    else:
        result, scan, comparison, paths = range_and_scan(
            args.dataset, members=args.population,
            epochs=1 if args.epochs is None else args.epochs, **settings)
        print(scan_text(result, scan, comparison))
    print(f"{stop_text(result)}; wrote {', '.join(map(str, paths))}", file=sys.stderr)
    return 0
