"""`coreopt train`: train the Core-API MLP with several optimizers and compare them.

    coreopt train digits --optimizers adam,momentum,lion --epochs 30 --out DIR

Every optimizer starts from the same initial weights (the MLP's seed) and
sees the same batches (the data seed). An optimizer may be a chain of
wrappers, outermost first (sam:momentum, ema(momentum=0.999):adam); the list
splits at commas outside parentheses. Writes to DIR, each file atomically:
`history.csv` and `history.json` (one record per optimizer and epoch),
`loss.png` and `accuracy.png`, and `report.md` (the tables and the figure
links); with `--logdir`, TensorBoard scalars in LOGDIR/<folder>;
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
import csv
import io
import json
import sys
from pathlib import Path

from coreopt import files

DEFAULT_RATES = {"adam": 1e-3, "adamw": 1e-3, "nadam": 1e-3, "adamax": 2e-3, "lion": 3e-4,
                 "momentum": 0.05, "gd": 0.1, "rmsprop": 1e-3, "adagrad": 0.05,
                 "lookahead:adam": 2e-3}  # a chain not named here: its innermost's rate


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
                   f"(defaults: {', '.join(f'{k}={v:g}' for k, v in DEFAULT_RATES.items())}, "
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
    p.set_defaults(run=run)
    return p


def parse_rates(text: str, names: list[str]) -> dict:
    """The learning rate of each optimizer from `--lr` ("0.01" or "adam=1e-3,sam:gd=0.1").

    `names` are canonical chain names; a key of `--lr` may be any spelling of
    one of them. None: the name's own rate, or the optimizer's default.
    """
    from coreopt.core import chains

    rates = {}
    for part in chains.split_top(text, ","):
        key, _, value = part.rpartition("=")
        try:
            rate = float(value)
        except ValueError:
            raise ValueError(f"--lr: {part!r} is not a number or name=number.") from None
        if not rate >= 0:
            raise ValueError(f"--lr: the learning rate must be >= 0; received {part!r}.")
        if key:
            key = _known(key, names)
        for name in ([key] if key else names):
            rates[name] = rate
    return {name: rates.get(name, default_rate(name)) for name in names}


def _known(key: str, names: list[str]) -> str:
    from coreopt.core import chains

    try:
        found = chains.canonical(key)
    except ValueError:
        found = None
    if found not in names:
        raise ValueError(f"--lr: {key!r} is not among --optimizers ({', '.join(names)}).")
    return found


def default_rate(name: str):
    """DEFAULT_RATES of the chain `name`, else of the chain without parameters, else of its
    innermost optimizer; None (its own) when the name sets `learning_rate` itself."""
    from coreopt.core import chains

    bare, flat = chains.resolve(name)
    if "learning_rate" in flat:
        return None
    for key in (name, bare, bare.rpartition(":")[2]):
        if key in DEFAULT_RATES:
            return DEFAULT_RATES[key]
    return None


def _check(args):
    """Checks every argument; returns (canonical optimizer names, hidden widths)."""
    from coreopt.train import distribute

    names = _names(args.optimizers)
    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1; received {args.epochs}.")
    if args.strategy not in distribute.STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(distribute.STRATEGIES)}; "
                         f"received {args.strategy!r}.")
    if args.replicas < 1 or (args.replicas > 1 and args.strategy != "mirrored"):
        raise ValueError("--replicas must be >= 1, and above 1 only with --strategy mirrored.")
    hidden = parse_hidden(args.hidden)
    return names, hidden


def _names(text: str) -> list[str]:
    """The canonical chain names of `--optimizers`, split at commas outside parentheses."""
    from coreopt.core import chains
    from coreopt.train import loop

    try:
        names = [chains.canonical(n) for n in chains.split_top(text, ",")]
    except ValueError as err:
        raise ValueError(f"--optimizers: {err}") from None
    if not names:
        raise ValueError("--optimizers: give at least one optimizer name.")
    if len(set(names)) != len(names):
        raise ValueError(f"--optimizers: a name is repeated in {text!r}.")
    if len({loop.folder_name(n) for n in names}) != len(names):
        raise ValueError(f"--optimizers: two names of {text!r} share a folder name.")
    return names


def _folder(args, name) -> Path:
    """DIR/checkpoints/<the chain's folder name>."""
    from coreopt.train import loop

    return args.out / "checkpoints" / loop.folder_name(name)


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
        folder = _folder(args, name)
        found = tf.train.latest_checkpoint(str(folder)) if folder.is_dir() else None
        if args.resume and found:
            loop.check_meta(folder, meta[name])
        elif found:
            raise ValueError(f"{str(folder)!r} already holds checkpoints; pass --resume.")
    if args.resume:
        _check_kept(args, names, meta[names[0]])


def _check_kept(args, names, meta):
    """The saved runs this one keeps but does not resume: made for the same data and model."""
    from coreopt.train import loop, results

    shared = {key: meta[key] for key in ("dataset", "sizes", "seed", "batch_size")}
    for name in results.load_histories(args.out / "history.json"):
        folder = _folder(args, name)
        if name not in names and (folder / loop.META_FILE).is_file():
            saved = json.loads((folder / loop.META_FILE).read_text())
            loop.check_meta(folder, {**saved, **shared})


def _meta(args, name, rate, sizes, opt) -> dict:
    return {"dataset": args.dataset, "sizes": sizes, "seed": args.seed,
            "batch_size": args.batch_size, "optimizer": name, "config": opt.get_config()}


def _make(name, rate, sizes, seed, strategy):
    import coreopt
    from coreopt.train.model import MLP

    scope = strategy.scope() if strategy is not None else _Null()
    with scope:
        try:
            opt = coreopt.get(name, **({} if rate is None else {"learning_rate": rate}))
        except TypeError as err:  # a hyperparameter the chain's spec does not know
            raise ValueError(f"--optimizers: {name!r}: {err}") from None
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
    from coreopt.train import data, distribute, results

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
    if args.resume:
        histories = results.merge(results.load_histories(args.out / "history.json"), histories)
        rates = {n: rates[n] if n in rates else _saved_rate(args, n) for n in histories}
    if strategy is None or distribute.is_chief(strategy):
        _write_results(args, histories, split, sizes, rates)
    return 0


def _train_one(args, name, mlp, opt, split, strategy, meta):
    from coreopt.train.loop import Trainer, folder_name

    if not args.quiet:
        print(f"{name}: {opt!r}", file=sys.stderr)
    trainer = Trainer(
        mlp, opt, split, batch_size=args.batch_size, seed=args.seed, strategy=strategy,
        logdir=None if args.logdir is None else args.logdir / folder_name(name),
        checkpoint_dir=_folder(args, name),
        checkpoint_every=args.checkpoint_every, meta=meta, verbose=0 if args.quiet else 1,
    )
    return trainer.fit(args.epochs, resume=args.resume and trainer_has_checkpoint(args, name))


def _saved_rate(args, name):
    """The learning rate a saved run (not resumed now) was trained with, from its meta."""
    from coreopt.train import loop, results

    path = _folder(args, name) / loop.META_FILE
    return results.saved_rate(json.loads(path.read_text())) if path.is_file() else None


def trainer_has_checkpoint(args, name) -> bool:
    import tensorflow as tf

    folder = _folder(args, name)
    return folder.is_dir() and tf.train.latest_checkpoint(str(folder)) is not None


def _write_results(args, histories, split, sizes, rates):
    from coreopt.plots import training

    rows = training.history_rows(histories)
    fields = list(dict.fromkeys(key for row in rows for key in row))  # "test_weights": EMA only
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, restval="", lineterminator="\n")
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
    from coreopt.train import results

    rate_text = ", ".join(f"{n} {_rate_text(n, r)}" for n, r in rates.items())
    return "\n".join([
        f"# Training the MLP on {split.name}",
        "",
        f"- data: {split!r}",
        f"- model: MLP {sizes}, ReLU, He-uniform init (output layer Glorot-uniform), "
        f"seed {args.seed}",
        f"- batch size {args.batch_size}, {_epochs_text(histories)}, data seed {args.seed}, "
        f"strategy {args.strategy}",
        f"- learning rates: {rate_text}",
        f"- evaluation: {results.evaluation_text(histories)}",
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


def _rate_text(name: str, rate) -> str:
    from coreopt.core import chains

    if rate is not None:
        return f"{rate:g}"
    return "as named" if "learning_rate" in chains.resolve(name)[1] else "default"


def _epochs_text(histories) -> str:
    """"N epochs", or each run's epochs when they differ (a resumed subset)."""
    epochs = {n: h[-1]["epoch"] if h else 0 for n, h in histories.items()}
    if len(set(epochs.values())) == 1:
        return f"{next(iter(epochs.values()))} epochs"
    return "epochs " + ", ".join(f"{n} {e}" for n, e in epochs.items())


def _write(path: Path, text: str) -> None:
    files.write_text(path, text)


def parse_hidden(text: str) -> list[int]:
    """`--hidden`'s comma-separated layer widths (ValueError naming the flag)."""
    try:
        hidden = [int(h) for h in text.split(",") if h.strip()]
    except ValueError:
        raise ValueError(f"--hidden: {text!r} is not a list of widths.") from None
    if any(h < 1 for h in hidden):
        raise ValueError(f"--hidden: widths must be >= 1; received {text!r}.")
    return hidden
