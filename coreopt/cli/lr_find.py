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
a DIR holding other files than these two is refused, these two are replaced.
The optimizer may be a chain (ema:adam); its innermost optimizer's rate is
ramped. Every input is checked before anything is trained or written.
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
    from coreopt.report.lr_find import stop_text, table
    from coreopt.train.range_test import range_test

    result, (record, figure) = range_test(
        args.dataset, optimizer=args.optimizer, start_lr=args.start_lr, end_lr=args.end_lr,
        steps=args.steps, mode=args.mode, smoothing=args.smoothing, diverge=args.diverge,
        batch_size=args.batch_size, hidden=args.hidden, seed=args.seed,
        mnist_path=args.mnist_path, out=args.out)
    print(table(result))
    print(f"{stop_text(result)}; wrote {record} and {figure}", file=sys.stderr)
    return 0
