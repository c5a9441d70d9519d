"""Training the Core-API MLP with several optimizers and comparing them (`coreopt train`).

Every optimizer starts from the same initial weights (the MLP's seed) and sees
the same batches (the data seed). An optimizer may be a chain of wrappers,
outermost first; its learning rate is the one given, else its own in
`DEFAULT_RATES`, else its innermost optimizer's there, unless its name sets one.
`compare(settings)` checks every input before anything is trained or written,
trains each optimizer (checkpointing, resuming, `coreopt.train.resume`), and
writes the results: history.csv, history.json, loss.png, accuracy.png and
report.md (`coreopt.report.training`), each atomically; with `telemetry`, each
record's per-layer telemetry (`coreopt.train.telemetry`) and telemetry.png.

Example:
    >>> parse_rates("adam=0.01", ["adam", "lookahead:adam", "adam(learning_rate=0.5)"])
    {'adam': 0.01, 'lookahead:adam': 0.002, 'adam(learning_rate=0.5)': None}
    >>> parse_hidden("256,128")
    [256, 128]
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

DEFAULT_RATES = {"adam": 1e-3, "adamw": 1e-3, "nadam": 1e-3, "adamax": 2e-3, "lion": 3e-4,
                 "momentum": 0.05, "gd": 0.1, "rmsprop": 1e-3, "adagrad": 0.05,
                 "lookahead:adam": 2e-3}  # a chain not named here: its innermost's rate


@dataclasses.dataclass
class Settings:
    """What to train and where: `coreopt train`'s flags, one field each.

    `optimizers` is comma-separated chain names, `lr` one rate or name=rate pairs
    (`parse_rates`), `hidden` comma-separated widths (`parse_hidden`).
    """

    dataset: str
    optimizers: str = "adam"
    epochs: int = 30
    out: Path = Path("train-out")
    batch_size: int = 32
    lr: str = ""
    hidden: str = "128"
    seed: int = 0
    strategy: str = "none"
    replicas: int = 1
    logdir: Path | None = None
    resume: bool = False
    checkpoint_every: int = 200
    mnist_path: str | None = None
    quiet: bool = False
    telemetry: bool = False

    def __repr__(self):
        return (f"Settings({self.dataset!r}, optimizers={self.optimizers!r}, "
                f"epochs={self.epochs}, out={str(self.out)!r}, resume={self.resume})")


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


def rate_text(name: str, rate) -> str:
    """The rate as the report gives it: the number, "as named" or "default"."""
    from coreopt.core import chains

    if rate is not None:
        return f"{rate:g}"
    return "as named" if "learning_rate" in chains.resolve(name)[1] else "default"


def parse_hidden(text: str) -> list[int]:
    """`--hidden`'s comma-separated layer widths (ValueError naming the flag)."""
    try:
        hidden = [int(h) for h in text.split(",") if h.strip()]
    except ValueError:
        raise ValueError(f"--hidden: {text!r} is not a list of widths.") from None
    if any(h < 1 for h in hidden):
        raise ValueError(f"--hidden: widths must be >= 1; received {text!r}.")
    return hidden


def check(settings: Settings):
    """Checks every setting; returns (canonical optimizer names, hidden widths)."""
    from coreopt.train import distribute

    names = optimizer_names(settings.optimizers)
    if settings.epochs < 1:
        raise ValueError(f"--epochs must be >= 1; received {settings.epochs}.")
    if settings.strategy not in distribute.STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(distribute.STRATEGIES)}; "
                         f"received {settings.strategy!r}.")
    if settings.replicas < 1 or (settings.replicas > 1 and settings.strategy != "mirrored"):
        raise ValueError("--replicas must be >= 1, and above 1 only with --strategy mirrored.")
    return names, parse_hidden(settings.hidden)


def optimizer_names(text: str) -> list[str]:
    """The canonical chain names of `--optimizers`, split at commas outside parentheses."""
    from coreopt.core import chains
    from coreopt.train import folders

    try:
        names = [chains.canonical(n) for n in chains.split_top(text, ",")]
    except ValueError as err:
        raise ValueError(f"--optimizers: {err}") from None
    if not names:
        raise ValueError("--optimizers: give at least one optimizer name.")
    if len(set(names)) != len(names):
        raise ValueError(f"--optimizers: a name is repeated in {text!r}.")
    if len({folders.folder_name(n) for n in names}) != len(names):
        raise ValueError(f"--optimizers: two names of {text!r} share a folder name.")
    return names


@dataclasses.dataclass
class Comparison:
    """What `compare` trained: {name: its records} and {name: its learning rate}, and
    the report written (None on a worker other than the chief, which writes nothing)."""

    histories: dict
    rates: dict
    report: Path | None = None

    def __repr__(self):
        return f"Comparison({', '.join(self.histories)}, report={self.report})"


def compare(settings: Settings, log=lambda text: None) -> Comparison:
    """Trains the MLP with each optimizer of `settings` and writes the results.

    Args:
        settings: the `Settings`; every one is checked before anything is trained.
        log: called with a line naming each optimizer as its training starts.

    Returns:
        The `Comparison`; with `settings.resume`, the saved runs kept in it too.

    Raises:
        ValueError, FileNotFoundError, PermissionError: bad settings, missing data, a
            folder in the way or unwritable (`coreopt.train.resume.check_folders`).
    """
    from coreopt.train import data, distribute, results, resume

    s = settings
    names, hidden = check(s)
    rates = parse_rates(s.lr, names)
    split = data.load(s.dataset, path=s.mnist_path, seed=s.seed)
    data.check_batch_size(s.batch_size, len(split.x_train))
    if s.replicas > 1:
        distribute.split_logical_cpus(s.replicas)
    sizes = [split.features, *hidden, split.classes]
    meta = {n: _meta(s, n, sizes, _make(n, rates[n], sizes, s.seed, None)[1]) for n in names}
    resume.check_folders(s.out, s.logdir, names, meta, s.resume)
    strategy = distribute.make_strategy(s.strategy)
    histories = {}
    for name in names:
        mlp, opt = _make(name, rates[name], sizes, s.seed, strategy)
        log(f"{name}: {opt!r}")
        histories[name] = _train_one(s, name, mlp, opt, split, strategy, meta[name])
    if s.resume:
        histories = results.merge(results.load_histories(s.out / "history.json"), histories)
        rates = {n: rates[n] if n in rates else resume.saved_rate(s.out, n) for n in histories}
    done = Comparison(histories, rates)
    if strategy is None or distribute.is_chief(strategy):
        done.report = _write(s, histories, split, sizes, rates)
    return done


def _meta(s, name, sizes, opt) -> dict:
    return {"dataset": s.dataset, "sizes": sizes, "seed": s.seed,
            "batch_size": s.batch_size, "optimizer": name, "config": opt.get_config()}


def _make(name, rate, sizes, seed, strategy):
    """(a new MLP, the optimizer `name` at `rate`), made in `strategy`'s scope if any."""
    import contextlib

    import coreopt
    from coreopt.train.model import MLP

    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        try:
            opt = coreopt.get(name, **({} if rate is None else {"learning_rate": rate}))
        except TypeError as err:  # a hyperparameter the chain's spec does not know
            raise ValueError(f"--optimizers: {name!r}: {err}") from None
        return MLP(sizes, seed=seed), opt


def _train_one(s, name, mlp, opt, split, strategy, meta):
    from coreopt.train import resume
    from coreopt.train.folders import folder_name
    from coreopt.train.loop import Trainer

    trainer = Trainer(
        mlp, opt, split, batch_size=s.batch_size, seed=s.seed, strategy=strategy,
        logdir=None if s.logdir is None else s.logdir / folder_name(name),
        checkpoint_dir=resume.checkpoint_folder(s.out, name),
        checkpoint_every=s.checkpoint_every, meta=meta, verbose=0 if s.quiet else 1,
        telemetry=s.telemetry,
    )
    return trainer.fit(s.epochs, resume=s.resume and resume.has_checkpoint(s.out, name))


def _write(s, histories, split, sizes, rates) -> Path:
    """The results into `s.out` (`coreopt.report.training`); report.md's path."""
    from coreopt.report.training import write_results

    words = {name: rate_text(name, rate) for name, rate in rates.items()}
    return write_results(s.out, histories, split=split, sizes=sizes, rates=words,
                         seed=s.seed, batch_size=s.batch_size, strategy=s.strategy)
