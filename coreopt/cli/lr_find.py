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
import json
import sys
from pathlib import Path

from coreopt import files

OUTPUTS = ("lr_find.json", "lr_find.png")


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


def _check(args) -> list[int]:
    """Checks every argument that needs no data or TensorFlow; returns the hidden widths."""
    from coreopt.core import chains
    from coreopt.train import data, lr_suggest

    if args.dataset not in data.DATASETS:
        raise ValueError(f"unknown data set {args.dataset!r}; choose one of "
                         f"{', '.join(data.DATASETS)}.")
    try:
        chains.canonical(args.optimizer)
    except ValueError as err:
        raise ValueError(f"--optimizer: {err}") from None
    try:
        lr_suggest.check_ramp(args.start_lr, args.end_lr, args.steps, args.mode)
    except ValueError as err:
        raise ValueError(_flag_names(str(err))) from None
    if not 0.0 <= args.smoothing < 1.0:
        raise ValueError(f"--smoothing must be in [0, 1); received {args.smoothing}.")
    if not args.diverge > 1.0:
        raise ValueError(f"--diverge must be > 1; received {args.diverge}.")
    from coreopt.cli.train import parse_hidden

    hidden = parse_hidden(args.hidden)
    _check_out(args.out)
    return hidden


def _flag_names(message: str) -> str:
    """A library message with its argument names as the command's flags."""
    for name in ("start_lr", "end_lr", "steps", "mode"):
        message = message.replace(f"`{name}`", "--" + name.replace("_", "-"))
        message = message.replace(f"{name}=", "--" + name.replace("_", "-") + "=")
    return message.replace("(--mode=", "(--mode ")


def _check_out(out: Path) -> None:
    """Refuses an --out that is a file, or a folder holding files other than ours."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file, not a folder.")
    if out.is_dir():
        other = sorted(p.name for p in out.iterdir() if p.name not in OUTPUTS)
        if other:
            raise ValueError(f"--out {str(out)!r} already holds other data ({other[0]}); "
                             "choose an empty or new folder.")


def _run(args) -> int:
    import coreopt
    from coreopt.plots import lr_find as plot
    from coreopt.train import data, loop
    from coreopt.train.lr_find import check_optimizer, lr_find

    hidden = _check(args)
    try:
        optimizer = check_optimizer(coreopt.get(args.optimizer))
    except (ValueError, TypeError) as err:
        raise ValueError(f"--optimizer: {err}") from None
    split = data.load(args.dataset, path=args.mnist_path, seed=args.seed)
    data.check_batch_size(args.batch_size, len(split.x_train))
    loop.check_writable(args.out)
    result = lr_find(optimizer, split, start_lr=args.start_lr, end_lr=args.end_lr,
                     steps=args.steps, mode=args.mode, smoothing=args.smoothing,
                     diverge=args.diverge, batch_size=args.batch_size, seed=args.seed,
                     hidden=hidden)
    files.write_text(args.out / "lr_find.json", json.dumps(result.to_dict(), indent=1))
    plot.save_lr_find(result, args.out / "lr_find.png")
    print(table(result))
    print(f"{_stop_text(result)}; wrote {args.out / 'lr_find.json'} and "
          f"{args.out / 'lr_find.png'}", file=sys.stderr)
    return 0


def table(result) -> str:
    """The suggestions as a small two-column table: suggestion, learning rate."""
    from coreopt.train import lr_suggest

    rows = [("suggestion", "learning rate")]
    for name in lr_suggest.NAMES:
        lr = result.suggested(name)
        rows.append((lr_suggest.TITLES[name], "n/a" if lr is None else f"{lr:.3e}"))
    width = max(len(a) for a, _ in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)


def _stop_text(result) -> str:
    run = f"{len(result.lrs)} of {result.steps} steps"
    if result.stopped == "diverged":
        return f"stopped after {run}: the smoothed loss passed {result.diverge:g} x its best"
    if result.stopped == "non-finite":
        return f"stopped after {run}: the next loss was not finite"
    return f"ran all {run}"
