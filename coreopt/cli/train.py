"""`coreopt train`: train the Core-API MLP with several optimizers and compare them.

    coreopt train digits --optimizers adam,momentum,lion --epochs 30 --out DIR

Every optimizer starts from the same initial weights (the MLP's seed) and
sees the same batches (the data seed). Writes to DIR, each file atomically:
`history.csv` and `history.json` (one record per optimizer and epoch),
`loss.png` and `accuracy.png`, and `report.md` (the tables and the figure
links); with `--logdir`, TensorBoard scalars in LOGDIR/<optimizer>;
checkpoints in DIR/checkpoints/<optimizer>, which `--resume` continues.
Every input is checked before anything is trained or written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

DEFAULT_RATES = {"adam": 1e-3, "adamw": 1e-3, "nadam": 1e-3, "adamax": 2e-3, "lion": 3e-4,
                 "momentum": 0.05, "gd": 0.1, "rmsprop": 1e-3, "adagrad": 0.05}


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers `train` on the `coreopt` command's subparsers."""
    p = subparsers.add_parser("train", help="train the MLP with several optimizers",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", help="digits, synthetic or mnist")
    p.add_argument("--optimizers", default="adam", help="comma-separated registry names")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--out", type=Path, default=Path("train-out"), help="results folder")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", default="", help="one rate for all, or name=rate,... "
                   f"(defaults: {', '.join(f'{k}={v:g}' for k, v in DEFAULT_RATES.items())}, "
                   "else the optimizer's own)")
    p.add_argument("--hidden", default="128", help="hidden widths, comma-separated")
    p.add_argument("--seed", type=int, default=0, help="weights, split and data order")
    p.add_argument("--strategy", default="none", help="none, mirrored or multiworker")
    p.add_argument("--replicas", type=int, default=1,
                   help="logical CPU devices for --strategy mirrored")
    p.add_argument("--logdir", type=Path, default=None, help="TensorBoard folder")
    p.add_argument("--resume", action="store_true", help="continue DIR/checkpoints")
    p.add_argument("--checkpoint-every", type=int, default=200, help="steps")
    p.add_argument("--mnist-path", default=None, help="local mnist.npz (Keras's format)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(run=run)
    return p


def parse_rates(text: str, names: list[str]) -> dict:
    """The learning rate of each optimizer from `--lr` ("0.01" or "adam=1e-3,lion=1e-4")."""
    rates = {}
    for part in filter(None, (s.strip() for s in text.split(","))):
        key, _, value = part.rpartition("=")
        try:
            rate = float(value)
        except ValueError:
            raise ValueError(f"--lr: {part!r} is not a number or name=number.") from None
        if not rate >= 0:
            raise ValueError(f"--lr: the learning rate must be >= 0; received {part!r}.")
        if key and key not in names:
            raise ValueError(f"--lr: {key!r} is not among --optimizers ({', '.join(names)}).")
        for name in ([key] if key else names):
            rates[name] = rate
    return {name: rates.get(name, DEFAULT_RATES.get(name)) for name in names}


def _check(args):
    """Checks every argument; returns (optimizer names, hidden widths)."""
    import coreopt
    from coreopt.train import distribute

    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    if not names:
        raise ValueError("--optimizers: give at least one optimizer name.")
    names = [coreopt.entry(n).name for n in names]
    if len(set(names)) != len(names):
        raise ValueError(f"--optimizers: a name is repeated in {args.optimizers!r}.")
    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1; received {args.epochs}.")
    if args.strategy not in distribute.STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(distribute.STRATEGIES)}; "
                         f"received {args.strategy!r}.")
    if args.replicas < 1 or (args.replicas > 1 and args.strategy != "mirrored"):
        raise ValueError("--replicas must be >= 1, and above 1 only with --strategy mirrored.")
    try:
        hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    except ValueError:
        raise ValueError(f"--hidden: {args.hidden!r} is not a list of widths.") from None
    if any(h < 1 for h in hidden):
        raise ValueError(f"--hidden: widths must be >= 1; received {args.hidden!r}.")
    return names, hidden


def _check_folders(args, names, meta):
    """Out, log and checkpoint folders: writable, no results lost, resumable if asked."""
    from coreopt.train import loop

    results = [args.out / f for f in ("report.md", "history.csv") if (args.out / f).exists()]
    if results and not args.resume:
        raise ValueError(f"{str(args.out)!r} already holds results ({results[0].name}); "
                         "choose another --out, or pass --resume to continue its runs.")
    loop.check_writable(args.out)
    if args.logdir is not None:
        loop.check_writable(args.logdir)
    import tensorflow as tf

    for name in names:
        folder = args.out / "checkpoints" / name
        found = tf.train.latest_checkpoint(str(folder)) if folder.is_dir() else None
        if args.resume and found:
            loop.check_meta(folder, meta[name])
        elif found:
            raise ValueError(f"{str(folder)!r} already holds checkpoints; pass --resume.")


def _meta(args, name, rate, sizes, opt) -> dict:
    return {"dataset": args.dataset, "sizes": sizes, "seed": args.seed,
            "batch_size": args.batch_size, "optimizer": name, "config": opt.get_config()}


def _make(name, rate, sizes, seed, strategy):
    import coreopt
    from coreopt.train.model import MLP

    scope = strategy.scope() if strategy is not None else _Null()
    with scope:
        opt = coreopt.get(name, **({} if rate is None else {"learning_rate": rate}))
        return MLP(sizes, seed=seed), opt


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def run(args) -> int:
    """Runs `coreopt train`; returns the exit status (2 for bad input)."""
    try:
        return _run(args)
    except (ValueError, FileNotFoundError, PermissionError) as err:
        print(f"coreopt train: error: {err}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from coreopt.train import data, distribute

    names, hidden = _check(args)
    rates = parse_rates(args.lr, names)
    split = data.load(args.dataset, path=args.mnist_path, seed=args.seed)
    data.check_batch_size(args.batch_size, len(split.x_train))
    if args.replicas > 1:
        distribute.split_logical_cpus(args.replicas)
    sizes = [split.features, *hidden, split.classes]
    made = {n: _make(n, rates[n], sizes, args.seed, None) for n in names}
    meta = {n: _meta(args, n, rates[n], sizes, made[n][1]) for n in names}
    _check_folders(args, names, meta)
    strategy = distribute.make_strategy(args.strategy)
    histories = {}
    for name in names:
        mlp, opt = _make(name, rates[name], sizes, args.seed, strategy)
        histories[name] = _train_one(args, name, mlp, opt, split, strategy, meta[name])
    if strategy is None or distribute.is_chief(strategy):
        _write_results(args, histories, split, sizes, rates)
    return 0


def _train_one(args, name, mlp, opt, split, strategy, meta):
    from coreopt.train.loop import Trainer

    if not args.quiet:
        print(f"{name}: {opt!r}", file=sys.stderr)
    trainer = Trainer(
        mlp, opt, split, batch_size=args.batch_size, seed=args.seed, strategy=strategy,
        logdir=None if args.logdir is None else args.logdir / name,
        checkpoint_dir=args.out / "checkpoints" / name,
        checkpoint_every=args.checkpoint_every, meta=meta, verbose=0 if args.quiet else 1,
    )
    return trainer.fit(args.epochs, resume=args.resume and trainer_has_checkpoint(args, name))


def trainer_has_checkpoint(args, name) -> bool:
    import tensorflow as tf

    folder = args.out / "checkpoints" / name
    return folder.is_dir() and tf.train.latest_checkpoint(str(folder)) is not None


def _write_results(args, histories, split, sizes, rates):
    from coreopt.plots import training

    rows = training.history_rows(histories)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _write(args.out / "history.csv", buffer.getvalue())
    _write(args.out / "history.json", json.dumps(histories, indent=1))
    training.save_curves(histories, args.out)
    _write(args.out / "report.md", _report(args, histories, split, sizes, rates))
    best = {n: h[-1]["test_accuracy"] for n, h in histories.items()}
    print(training.summary_table(histories))
    print(f"final test accuracy: {', '.join(f'{n} {a:.4f}' for n, a in best.items())}; "
          f"wrote {args.out / 'report.md'}", file=sys.stderr)


def _report(args, histories, split, sizes, rates) -> str:
    from coreopt.plots import training

    rate_text = ", ".join(f"{n} {'default' if r is None else f'{r:g}'}" for n, r in rates.items())
    return "\n".join([
        f"# Training the MLP on {split.name}",
        "",
        f"- data: {split!r}",
        f"- model: MLP {sizes}, ReLU, He-uniform init (output layer Glorot-uniform), "
        f"seed {args.seed}",
        f"- batch size {args.batch_size}, {args.epochs} epochs, data seed {args.seed}, "
        f"strategy {args.strategy}",
        f"- learning rates: {rate_text}",
        "",
        "## Summary",
        "",
        training.summary_table(histories),
        "## Curves",
        "",
        "![loss](loss.png)",
        "",
        "![accuracy](accuracy.png)",
        "",
        "## History (history.csv)",
        "",
        training.epoch_table(histories),
    ])


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
