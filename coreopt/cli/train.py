"""`coreopt train`: train the Core-API MLP with several optimizers and compare them.

    coreopt train digits --optimizers adam,momentum,lion --epochs 30 --out DIR

Every optimizer starts from the same initial weights (the MLP's seed) and
sees the same batches (the data seed). An optimizer may be a chain of
wrappers, outermost first (sam:momentum, ema(momentum=0.999):adam); the list
splits at commas outside parentheses. Writes to DIR, each file atomically:
`history.csv` and `history.json` (one record per optimizer and epoch),
`loss.png` and `accuracy.png`, and `report.md` (the tables and the figure
links); with `--logdir`, TensorBoard scalars in LOGDIR/<folder>; with `--telemetry`,
each layer's gradient norm, update/weight ratio and effective learning rate
per epoch (history columns telemetry/<layer>/<measure>, TensorBoard tags of
those names, a report section and telemetry.png);
checkpoints in DIR/checkpoints/<folder>, which `--resume` continues. <folder>
is the chain's name made safe for any file system: its parts joined by "+",
each with ".key=value" for a hyperparameter in its name (sam+momentum,
ema.momentum=0.999+adam). A chain with an EMA is tested on its averaged
weights, one with Schedule-Free on its x (the report says so). `--resume`
with some of DIR's optimizers keeps the others' saved history in the results.
A chain's learning rate: `--lr`, else its own default below, else its
innermost optimizer's, unless its name sets one.
Every input is checked before anything is trained or written.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from coreopt.cli import literals

COMPARE = "coreopt.train.compare"  # the library module that trains and compares


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers `train` on the `coreopt` command's subparsers."""
    p = subparsers.add_parser("train", help="train the MLP with several optimizers",
                              description=__doc__.strip())
    p.add_argument("dataset", help="digits, synthetic or mnist")
    p.add_argument("--optimizers", default="adam", metavar="NAMES",
                   help="optimizers, comma-separated: names from `coreopt list` or chains "
                        "of wrappers: adam,momentum,sam:momentum,ema(momentum=0.999):adam")
    p.add_argument("--epochs", type=int, default=30, metavar="N",
                   help="passes over the training split")
    p.add_argument("--out", type=Path, default=Path("train-out"), metavar="DIR",
                   help="results folder")
    p.add_argument("--batch-size", type=int, default=32, metavar="N",
                   help="examples per training step")
    p.add_argument("--lr", default="", metavar="RATES",
                   help="one rate for all (0.01), or name=rate,... (adam=1e-3,lion=1e-4) "
                   f"(defaults: {', '.join(f'{k}={v:g}' for k, v in _default_rates().items())}, "
                   "else the optimizer's own)")
    p.add_argument("--hidden", default="128", metavar="WIDTHS",
                   help="hidden layer widths, comma-separated: 256,128")
    p.add_argument("--seed", type=int, default=0, help="weights, split and data order")
    p.add_argument("--strategy", default="none",
                   help="tf.distribute strategy: none, mirrored or multiworker")
    p.add_argument("--replicas", type=int, default=1, metavar="N",
                   help="logical CPU devices for --strategy mirrored")
    p.add_argument("--logdir", type=Path, default=None, metavar="DIR",
                   help="TensorBoard folder (default: none, no TensorBoard scalars)")
    p.add_argument("--resume", action="store_true", help="continue DIR/checkpoints")
    p.add_argument("--checkpoint-every", type=int, default=200, metavar="STEPS",
                   help="training steps between checkpoints")
    p.add_argument("--mnist-path", default=None, metavar="FILE",
                   help="local mnist.npz in Keras's format (default: Keras's cache, "
                        "$KERAS_HOME/datasets/mnist.npz; nothing is downloaded)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--telemetry", action="store_true",
                   help="per layer: gradient norm, update/weight ratio, effective learning "
                        "rate, each epoch (report, history, TensorBoard telemetry/...)")
    p.set_defaults(run=run)
    return p


def _default_rates() -> dict:
    """`coreopt.train.compare.DEFAULT_RATES`, read without importing TensorFlow."""
    return literals.literal(COMPARE, "DEFAULT_RATES")


def run(args) -> int:
    """Runs `coreopt train`; returns the exit status (2 for bad input)."""
    try:
        return _run(args)
    except (ValueError, FileNotFoundError, PermissionError) as err:
        print(f"coreopt train: error: {err}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from coreopt.plots import training
    from coreopt.train import compare

    fields = [f.name for f in dataclasses.fields(compare.Settings)]
    settings = compare.Settings(**{name: getattr(args, name) for name in fields})
    log = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    done = compare.compare(settings, log=log)
    if done.report is not None:
        best = {n: h[-1]["test_accuracy"] for n, h in done.histories.items()}
        print(training.summary_table(done.histories))
        print(f"final test accuracy: {', '.join(f'{n} {a:.4f}' for n, a in best.items())}; "
              f"wrote {done.report}", file=sys.stderr)
    return 0
