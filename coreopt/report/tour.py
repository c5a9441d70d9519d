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

The experiments are `coreopt.lab.tour`'s; their sections `coreopt.report.tour_sections`.
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

from coreopt import files
from coreopt.lab import tour as lab_tour
from coreopt.report import tour_sections as sections

MARKER = "tour.json"  # what marks a folder as a tour's (and so replaceable by the next)
STAGING = ".tour-staging"  # what marks a folder as a tour being built: its process id


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

    names = lab_tour.optimizers(optimizers)
    out = pathlib.Path(out)
    check_writable(out.parent)  # the new tour is built beside `out`, then renamed
    check_writable(out)
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=_staging_prefix(out), dir=out.parent))
    files.write_text(staging / STAGING, f"{os.getpid()}\n")
    try:
        _build(staging, log, names)
        _swap(staging, out)
        (out / STAGING).unlink()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "report.html"


def _build(folder, log, names):
    """The tour's experiments, their figures and the report, all into `folder`."""
    from coreopt.lab.sweeps import versions
    from coreopt.report import Report

    (folder / "figures").mkdir()
    sections = [_guide(folder, log), *_fair(folder, log, names),
                _sensitivity(folder, log, names)]
    Report("coreopt tour", config=config(names), versions=versions(),
           sections=sections).write(folder)
    files.write_text(folder / MARKER, json.dumps({"made_by": "coreopt tour"}) + "\n")


def config(names) -> dict:
    """The tour's settings, in words, for the report's configuration."""
    t, s = lab_tour, lab_tour.SENSITIVITY
    return {"guide": f"{', '.join(t.GUIDE_OPTIMIZERS)} x lr "
                     f"{', '.join(sections.rate_text(r) for r in t.GUIDE_RATES)} on "
                     f"{t.GUIDE['function']} from x = {t.GUIDE['init'][0]:g}, "
                     f"{t.GUIDE['rule']} rule, {t.GUIDE['max_iters']} iterations",
            "optimizers": ", ".join(names),
            "fair comparison": f"{', '.join(t.FAIR_FUNCTIONS)}, horizon {t.FAIR_HORIZON} steps",
            "sensitivity": f"each optimizer on {t.GUIDE['function']} from x = "
                           f"{t.GUIDE['init'][0]:g} at {s['rates'][2]} log-spaced learning "
                           f"rates in [{s['rates'][0]:g}, {s['rates'][1]:g}], "
                           f"{s['rule']} rule (tol {s['tol']:g}), {s['max_iters']} iterations"}


def _guide(folder, log):
    from coreopt import lab
    from coreopt.report.results import text_table

    runs = lab_tour.guide(folder / "guide")
    log("1. The guide: gd, momentum and Adam on 2x^4 + 3x^3 + 2 from x = 2 (exact rule)\n")
    log(text_table(lab.to_frame(runs), ["learning_rate"]))
    return sections.guide(runs, folder / "figures")


def _fair(folder, log, names) -> list:
    from coreopt import functions

    which = "Every optimizer" if lab_tour.every(names) else "The chosen optimizers"
    log(f"\n2. {which} on {' and '.join(lab_tour.FAIR_FUNCTIONS)}, fairly tuned")
    made = []
    for name in lab_tour.FAIR_FUNCTIONS:
        choice = lab_tour.fair(folder / f"fair-{name}", names, name)
        log(f"   {name}: " + ", ".join(f"{r.optimizer} {r.config['learning_rate']:.3g}"
                                       for r in choice.runs.values()))
        made.append(sections.fair(choice, functions.get(name), folder / "figures", names))
    return made


def _sensitivity(folder, log, names):
    from coreopt.report.edges import tour_table as tour_edges

    runs, edges = lab_tour.sensitivity(folder / "sensitivity", names)
    log("\n3. Learning-rate sensitivity on the quartic, and each stable-lr edge\n")
    table = tour_edges(edges).to_string(index=False, float_format=lambda v: f"{v:.4g}")
    log(table)
    return sections.sensitivity(runs, edges, folder / "figures")


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
