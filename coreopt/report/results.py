"""The report of a results directory (`coreopt report DIR`, `--report`), and its tables.

`results_report(DIR)` reads the run records and the manifest a sweep left in
DIR, draws the figures that fit them into DIR/figures/ and writes
DIR/report.html (self-contained) and DIR/report.md. `text_table` and
`text_summary` are the same tables as text, as `coreopt run` and `coreopt
sweep` print them.

Example:
    >>> import tempfile
    >>> from coreopt import lab
    >>> from coreopt.report.results import results_report
    >>> out = tempfile.mkdtemp()
    >>> _ = lab.sweep("gd,adam", "seed_quartic", {"learning_rate": [0.01, 0.1]},
    ...               starts=[[2.0]], max_iters=100, out=out)
    >>> page, text = results_report(out)
    >>> page.name, text.name
    ('report.html', 'report.md')
"""

from __future__ import annotations

import json
import pathlib

from coreopt.lab.records import COLUMNS, to_frame
from coreopt.report import figures

MAX_ROWS = 60  # above this many runs the report shows a summary per configuration
SHOWN = ["optimizer", "function", "init", "status", "iteration", "final", "final_loss",
         "distance"]
STATUSES = ["converged", "diverged", "max_iters"]


def results_report(directory, runs=None, title=None):
    """Writes report.html, report.md and figures/ into a results directory.

    Args:
        directory: a results directory of `coreopt run` / `sweep` (`lab.sweep(out=...)`).
        runs: the run records, when the caller has them (default: read from `directory`).
        title: the report's title (default: names the functions).

    Returns:
        (report.html path, report.md path).

    Raises:
        FileNotFoundError, ValueError: no readable results in `directory`.
        OSError: `directory` cannot be written (checked before drawing).
    """
    from coreopt.lab.sweeps import versions
    from coreopt.report import Report, Section

    directory = pathlib.Path(directory)
    runs = figures.load_runs(directory) if runs is None else runs
    figures.check_output(directory / "report.html")
    manifest = _manifest(directory)
    names = ", ".join(dict.fromkeys(r.function for r in runs))
    table, note = results_table(runs)
    sections = [Section("Results", text=note, table=table)]
    made = figures.auto_figures(runs, directory / "figures")
    if made:
        sections.append(Section("Figures", figures=made))
    report = Report(title or f"coreopt results: {names}", config=_config(manifest, runs),
                    versions=manifest.get("versions") or versions(), sections=sections)
    return report.write(directory)


def results_table(runs):
    """(table, note): every run when there are few, else counts per configuration.

    The hyperparameter columns shown are those that vary among one optimizer's runs,
    and the learning rate whenever it varies at all.
    """
    frame = to_frame(runs)
    hyper = varied(frame)
    shared = [c for c in ("function", "init") if frame[c].astype(str).nunique() == 1]
    if len(frame) <= MAX_ROWS:
        shown = runs_frame(frame, hyper, drop=shared)
        return shown, f"{len(frame)} runs, one row each{_same(frame, shared)}."
    counts = status_counts(frame, hyper, "median iteration (converged)")
    return counts, (f"{len(frame)} runs, counted per configuration; "
                    "every run is in results.csv.")


def runs_frame(frame, hyper, drop=()):
    """One row per run: who (with the `hyper` columns), from where, what happened; the
    points written as text; the columns in `drop` left out."""
    columns = [c for c in SHOWN[:1] + list(hyper) + SHOWN[1:]
               if c in frame.columns and c not in drop]
    shown = frame[columns].copy()
    for column in ("init", "final"):
        if column in shown:
            shown[column] = [", ".join(f"{v:.6g}" for v in p) for p in shown[column]]
    return shown


def status_counts(frame, hyper, median_label):
    """Per optimizer, `hyper` values and function: runs converged, diverged, out of
    iterations, and the median iteration of those converged (column `median_label`)."""
    keys = ["optimizer", *hyper, "function"]
    counts = frame.groupby(keys, sort=False)["status"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=STATUSES, fill_value=0)
    counts[median_label] = (
        frame[frame.status == "converged"].groupby(keys, sort=False)["iteration"].median())
    return counts.reset_index()


def text_table(frame, hyper) -> str:
    """The runs as a text table: who, from where, what happened."""
    return runs_frame(frame, hyper).to_string(index=False, float_format=_number)


def text_summary(frame, hyper) -> str:
    """Per optimizer (and hyperparameter): how many runs converged, diverged, ran out."""
    counts = status_counts(frame, hyper, "median iters (converged)")
    return counts.to_string(index=False, float_format=_number)


def _number(value) -> str:
    return f"{value:.6g}"


def varied(frame) -> list:
    """Hyperparameter columns that vary among some optimizer's runs (learning rate: at all)."""
    columns = [c for c in frame.columns if c not in COLUMNS]
    by_optimizer = frame.groupby("optimizer", sort=False)
    return [c for c in columns if (c == "learning_rate" and frame[c].nunique() > 1)
            or (by_optimizer[c].nunique() > 1).any()]


def _same(frame, shared) -> str:
    parts = {"function": lambda v: f"on {v}", "init": lambda v: f"from {v}"}
    said = [parts[c](frame[c].iloc[0]) for c in shared]
    return f", all {' '.join(said)}" if said else ""


def _manifest(directory) -> dict:
    path = directory / "manifest.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except json.JSONDecodeError:
        return {}


def _config(manifest, runs) -> dict:
    spec = dict(manifest.get("spec") or {})
    spec.pop("keys", None)
    first = runs[0]
    spec.setdefault("runs", len(runs))
    spec.update({"max_iters": first.max_iters, "rule": first.rule, "tol": first.tol,
                 "divergence": first.divergence, "dtype": first.dtype})
    return spec
