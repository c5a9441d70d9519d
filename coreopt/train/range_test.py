"""The learning-rate range test on the Core-API MLP, as `coreopt lr-find` runs it.

`range_test(dataset, ...)` checks every input before anything is trained or
written (the data set, the optimizer or chain, the ramp, the smoothing, the
divergence factor, the widths, the output folder), runs `coreopt.train.lr_find`
and writes its record and figure (`coreopt.report.lr_find`). An output folder
holding other files than those (and the scan's two) is refused; they are replaced.

`range_and_scan(dataset, members=N, ...)` (`coreopt lr-find --population N`)
checks the scan's settings as well, then runs the same range test and the
population scan (`coreopt.train.lr_scan`: N constant rates log-spaced over
[start_lr, end_lr], `epochs` epochs each) on the problem of the data set
(`SCAN_PROBLEMS`: digits is digits-mlp, with the same hidden widths, batch
size and seed for the initial weights and the data order; its split is the
problem's, seed 0), and writes the scan's record and figure beside the ramp's.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> (out / "notes.txt").write_text("mine")
    4
    >>> check_out(out)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --out ... already holds other data (notes.txt); choose an empty or new folder.
    >>> check_scan("mnist", 8, 1, 1e-5, 1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --population trains a problem ...; received 'mnist'.
"""

from __future__ import annotations

from pathlib import Path

from coreopt.report.lr_find import OUTPUTS, SCAN_OUTPUTS

SCAN_PROBLEMS = {"digits": "digits-mlp"}  # lr-find's data set -> its problem


def range_test(dataset, *, optimizer="adam", start_lr=1e-7, end_lr=10.0, steps=100,
               mode="exp", smoothing=0.98, diverge=4.0, batch_size=32, hidden="128",
               seed=0, mnist_path=None, out=Path("coreopt-lr-find")):
    """Runs the range test; returns (its `LRFindResult`, the paths written).

    `hidden` is comma-separated widths; the other arguments are
    `coreopt.train.lr_find`'s. Errors name the command's flags.

    Raises:
        ValueError: a bad setting, or an `out` in the way (`check_out`).
        FileNotFoundError, PermissionError: missing data, an unwritable `out`.
    """
    import coreopt
    from coreopt.report.lr_find import write_results
    from coreopt.train import data, folders
    from coreopt.train.lr_find import check_optimizer, lr_find

    widths = check(dataset, optimizer, start_lr, end_lr, steps, mode, smoothing, diverge,
                   hidden)
    check_out(Path(out))
    try:
        built = check_optimizer(coreopt.get(optimizer))
    except (ValueError, TypeError) as err:
        raise ValueError(f"--optimizer: {err}") from None
    split = data.load(dataset, path=mnist_path, seed=seed)
    data.check_batch_size(batch_size, len(split.x_train))
    folders.check_writable(out)
    result = lr_find(built, split, start_lr=start_lr, end_lr=end_lr, steps=steps, mode=mode,
                     smoothing=smoothing, diverge=diverge, batch_size=batch_size, seed=seed,
                     hidden=widths)
    return result, write_results(out, result)


def check(dataset, optimizer, start_lr, end_lr, steps, mode, smoothing, diverge,
          hidden) -> list[int]:
    """Checks the settings that need no data or TensorFlow; returns the hidden widths."""
    from coreopt.core import chains
    from coreopt.train import data, lr_suggest
    from coreopt.train.compare import parse_hidden

    if dataset not in data.DATASETS:
        raise ValueError(f"unknown data set {dataset!r}; choose one of "
                         f"{', '.join(data.DATASETS)}.")
    try:
        chains.canonical(optimizer)
    except ValueError as err:
        raise ValueError(f"--optimizer: {err}") from None
    try:
        lr_suggest.check_ramp(start_lr, end_lr, steps, mode)
    except ValueError as err:
        raise ValueError(flag_names(str(err))) from None
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"--smoothing must be in [0, 1); received {smoothing}.")
    if not diverge > 1.0:
        raise ValueError(f"--diverge must be > 1; received {diverge}.")
    return parse_hidden(hidden)


def flag_names(message: str) -> str:
    """A library message with its argument names as the command's flags."""
    for name in ("start_lr", "end_lr", "steps", "mode"):
        message = message.replace(f"`{name}`", "--" + name.replace("_", "-"))
        message = message.replace(f"{name}=", "--" + name.replace("_", "-") + "=")
    return message.replace("(--mode=", "(--mode ")


def check_out(out: Path) -> None:
    """Refuses an --out that is a file, or a folder holding files other than ours."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file, not a folder.")
    if out.is_dir():
        other = sorted(p.name for p in out.iterdir()
                       if p.name not in OUTPUTS + SCAN_OUTPUTS)
        if other:
            raise ValueError(f"--out {str(out)!r} already holds other data ({other[0]}); "
                             "choose an empty or new folder.")


def range_and_scan(dataset, *, members: int, epochs: int = 1, **settings):
    """The range test and the population scan; returns (ramp, scan, comparison, paths).

    `settings` are `range_test`'s; the scan uses its optimizer, start_lr,
    end_lr, batch_size, hidden and seed. Errors name the command's flags.

    Raises:
        ValueError: as `range_test`, or for a bad --population, --epochs or a
            data set without a problem (`check_scan`), before any training.
    """
    from coreopt.report.lr_find import write_scan
    from coreopt.train import problems
    from coreopt.train.compare import parse_hidden
    from coreopt.train.lr_scan import compare, lr_scan

    start, end = settings.get("start_lr", 1e-7), settings.get("end_lr", 10.0)
    check_scan(dataset, members, epochs, start, end)
    ramp, paths = range_test(dataset, **settings)  # checks its own settings first
    widths = parse_hidden(settings.get("hidden", "128"))  # the ramp's MLP, as a problem
    problem = problems.PROBLEMS[SCAN_PROBLEMS[dataset]](hidden=widths)
    scan = lr_scan(problem, settings.get("optimizer", "adam"), start_lr=start, end_lr=end,
                   members=members, epochs=epochs, seed=settings.get("seed", 0),
                   batch_size=settings.get("batch_size", 32))
    paths += write_scan(settings.get("out", Path("coreopt-lr-find")), scan, ramp)
    return ramp, scan, compare(scan, ramp), paths


def check_scan(dataset, members, epochs, start_lr, end_lr) -> None:
    """Checks the scan's own settings, naming the command's flags."""
    from coreopt.train import lr_suggest

    if dataset not in SCAN_PROBLEMS:
        raise ValueError(f"--population trains a problem of coreopt.train.problems; of the "
                         f"data sets only {', '.join(SCAN_PROBLEMS)} has one ("
                         f"{', '.join(f'{k} is {v}' for k, v in SCAN_PROBLEMS.items())}); "
                         f"received {dataset!r}.")
    if not _integer(members) or members < 2:
        raise ValueError(f"--population must be an integer >= 2 (the constant rates tried "
                         f"at once); received {members!r}.")
    if not _integer(epochs) or epochs < 1:
        raise ValueError(f"--epochs must be an integer >= 1; received {epochs!r}.")
    try:
        lr_suggest.check_ramp(start_lr, end_lr, members, "exp")
    except ValueError as err:
        raise ValueError(f"{flag_names(str(err))} (the --population scan spaces its rates "
                         "exponentially)") from None


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
