"""`coreopt tour`: the guide reproduced end to end, then what more coreopt sees.

1. The guide ("Optimizers with Core APIs"): gradient descent, momentum and Adam at
   learning rates 1e-3, 1e-2, 1e-1 on 2x^4 + 3x^3 + 2 from x = 2, its exact
   stopping rule, 2,000 iterations: the table, its loss-and-gradient figure and
   its parameter paths (diverged runs drawn and marked, where the guide drops them).
2. Every registered optimizer on 2-D Rosenbrock and Himmelblau under the fair
   protocol (`coreopt.lab.fair`): each one's learning rate picked by the same
   stated rule on the plotted horizon; one panel each, and an animated GIF.
3. The learning-rate sensitivity of each on the quartic, with each one's
   stable-learning-rate edge (`coreopt.lab.max_stable_lr`).

Everything goes into one folder (default ./coreopt-out/): results, figures,
report.html and report.md. The folder is built beside the old one and swapped
in at the end, so an interrupted tour leaves the previous one whole.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile

MARKER = "tour.json"  # what marks a folder as a tour's (and so replaceable by the next)
STAGING = ".tour-staging"  # what marks a folder as a tour being built: its process id
GUIDE_OPTIMIZERS = ("gd", "momentum", "adam")
GUIDE_RATES = (1e-3, 1e-2, 1e-1)
FAIR_FUNCTIONS = ("rosenbrock", "himmelblau")
FAIR_HORIZON = 500
ANIMATED = ("gd", "momentum", "adam", "rmsprop", "adagrad", "lion")
SENSITIVITY = {"rates": (1e-4, 10.0, 48), "max_iters": 2000, "rule": "gap", "tol": 1e-4}


def add_parser(sub):
    p = sub.add_parser("tour", help="the guide reproduced, then what more coreopt sees "
                                    "(the main job; writes ./coreopt-out/)")
    p.add_argument("--out", default="coreopt-out", help="the folder to write (default: "
                   "./coreopt-out; replaced if it holds an earlier tour)")
    p.add_argument("--optimizers", default=None, help="comma-separated optimizers for parts 2 "
                   "and 3 (default: every registered one that steps vectors)")
    p.set_defaults(run=_tour)


def _tour(args) -> int:
    names = None if args.optimizers is None else [n.strip() for n in args.optimizers.split(",")]
    page = tour(args.out, optimizers=names, log=print)
    print(f"\nreport: {page}")
    return 0


def tour(out="coreopt-out", *, optimizers=None, log=lambda *a: None) -> pathlib.Path:
    """Runs the tour into `out`; returns the path of its report.html.

    `optimizers`: the registered names for the fair panels and the sensitivity
    (default: every one that steps vectors, `coreopt.names(rank=1)`).

    Folders that an earlier tour into `out` left half-built beside it (killed
    before it could clean up) are removed first.

    Raises:
        ValueError: an unknown optimizer, or one that cannot step vectors.
        FileExistsError: `out` exists and holds something other than an earlier tour.
        OSError: `out`'s folder cannot be written (both checked before any work).
    """
    from coreopt.lab.store import check_writable

    names = _optimizers(optimizers)
    out = pathlib.Path(out)
    check_writable(out.parent)  # the new tour is built beside `out`, then renamed
    check_writable(out)
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=_staging_prefix(out), dir=out.parent))
    (staging / STAGING).write_text(f"{os.getpid()}\n")
    try:
        _build(staging, log, names)
        _swap(staging, out)
        (out / STAGING).unlink()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "report.html"


def _optimizers(names) -> tuple:
    """The checked optimizer names (all that step vectors when `names` is None)."""
    import coreopt

    vectors = coreopt.names(rank=1)
    if names is None:
        return vectors
    if not names or any(not n for n in names):
        raise ValueError(f"--optimizers needs comma-separated names; received {names!r}.")
    for name in names:
        coreopt.entry(name)  # unknown: ValueError with suggestions
        if name in coreopt.names("wrapper"):
            raise ValueError(f"{name!r} is a wrapper; the tour compares optimizers.")
        if name not in vectors:
            raise ValueError(f"{name!r} cannot step the tour's vector parameters (it steps "
                             f"ranks {coreopt.entry(name).cls.ranks}); choose others.")
    return tuple(dict.fromkeys(names))


def _build(folder, log, names):
    from coreopt.cli import tour_parts
    from coreopt.lab.sweeps import versions
    from coreopt.report import Report

    (folder / "figures").mkdir()
    sections = [tour_parts.guide(folder, log), *tour_parts.fair(folder, log, names),
                tour_parts.sensitivity(folder, log, names)]
    config = {"guide": "gd, momentum, adam x lr 1e-3, 1e-2, 1e-1 on seed_quartic from x = 2, "
                       "exact rule, 2000 iterations",
              "optimizers": ", ".join(names),
              "fair comparison": f"{', '.join(FAIR_FUNCTIONS)}, horizon {FAIR_HORIZON} steps",
              "sensitivity": "each optimizer on seed_quartic from x = 2 at "
                             f"{SENSITIVITY['rates'][2]} log-spaced learning rates in "
                             f"[{SENSITIVITY['rates'][0]:g}, {SENSITIVITY['rates'][1]:g}], "
                             f"gap rule (tol {SENSITIVITY['tol']:g}), "
                             f"{SENSITIVITY['max_iters']} iterations"}
    Report("coreopt tour", config=config, versions=versions(), sections=sections).write(folder)
    (folder / MARKER).write_text(json.dumps({"made_by": "coreopt tour"}) + "\n")


def _check_replaceable(out):
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"output {str(out)!r} exists and is not a directory.")
    entries = [p.name for p in out.iterdir()]
    if entries and MARKER not in entries:
        raise FileExistsError(f"output directory {str(out)!r} holds other data "
                              f"({', '.join(sorted(entries)[:5])}); choose a new --out.")


def _staging_prefix(out) -> str:
    return f".{out.name}-"


def remove_stale_staging(out) -> list:
    """Removes the folders beside `out` that a killed tour into `out` was building.

    Only folders named as this module names them (`.<out>-...`) and holding its
    staging mark (`STAGING`, written first) are taken, and only when the process
    that wrote the mark is gone (a tour running now keeps its folder). The
    old-tour folders of an interrupted swap (`.<out>-old-...`, holding one
    `tour` folder with a `MARKER`) go too, once `out` is in place. Returns the
    paths removed.
    """
    out = pathlib.Path(out)
    removed = []
    for folder in out.parent.glob(_staging_prefix(out) + "*"):
        if folder.is_dir() and not folder.is_symlink() and _stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _stale(folder) -> bool:
    """`folder` is a tour's staging folder whose process has ended, or a swap's leftover."""
    mark = folder / STAGING
    if mark.is_file():
        try:
            pid = int(mark.read_text().strip())
        except ValueError:
            return False
        return not _running(pid)
    out = folder.parent / folder.name[1:].rsplit("-old-", 1)[0]
    entries = [p.name for p in folder.iterdir()]
    return (entries == ["tour"] and (folder / "tour" / MARKER).is_file()
            and "-old-" in folder.name and out.is_dir())  # the new tour is in: the swap ended


def _running(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap(staging, out):
    """Puts `staging` where `out` is; the old tour is removed only once the new one is in."""
    old = None
    if out.exists():
        old = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
        out.rename(old / "tour")
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def log_rates(low, high, n) -> list:
    """n log-spaced rates from low to high, as floats."""
    import numpy as np

    return [float(v) for v in np.geomspace(low, high, n)]
