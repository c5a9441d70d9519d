"""Figures from a lab's results: what `coreopt plot`, `coreopt report` and `--plot` draw.

The plots never import TensorFlow (they read records and arrays); this module is
where the lab and the plots meet: it reads run records back from a results
directory, rebuilds each run's test function to sample its loss on a grid
(`coreopt.lab.surface`), and hands both to `coreopt.plots`. Importing it
imports no TensorFlow; drawing a figure over a function's surface does.

    KINDS                 the figure kinds and what each needs
    load_runs(path)       run records from a results directory, results.json or runs.jsonl
    draw(kind, runs, out) one figure of one kind, checked against the data first
    auto_figures(runs, d) the figures that fit a set of runs, with captions

Example:
    >>> import tempfile, pathlib
    >>> from coreopt import lab
    >>> from coreopt.report import figures
    >>> runs = lab.sweep_runs("gd", "seed_quartic", {"learning_rate": [0.01]},
    ...                       starts=[[2.0]], max_iters=50, keep_paths=True)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "paths.png"
    >>> figures.draw("paths", runs, out).name
    'paths.png'
"""

from __future__ import annotations

import json
import os
import pathlib

KINDS = {
    "function": "the loss (and gradient) over the domain, minimizers marked; 1-D or 2-D",
    "paths": "parameter paths over the loss; 1-D or 2-D runs kept with --keep-paths",
    "curves": "gap to the minimum and gradient norm per iteration; runs kept with --keep-paths",
    "sensitivity": "steps to converge (or --metric gap) against the learning rate, per optimizer",
    "heatmap": "a value over two hyperparameters or start coordinates (--x, --y)",
    "animation": "an animated GIF of 2-D paths; runs kept with --keep-paths",
    "schedule": "schedules over --steps steps; RESULTS are schedules, as 'cosine(initial=0.1, "
                "decay_steps=1000)'",
}
PANELS_ABOVE = 4  # more optimizers than this: the sensitivity as one panel per optimizer
MAX_DRAWN = 8  # paths and curves per figure in `auto_figures` (the first ones, said in captions)


def load_runs(path) -> list:
    """The run records saved by a sweep: a results directory, results.json or runs.jsonl.

    Raises:
        FileNotFoundError: nothing at `path`, or a directory without results.
        ValueError: the file is truncated, not JSON, or not coreopt run records.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        found = [path / n for n in ("results.json", "runs.jsonl") if (path / n).is_file()]
        if not found:
            raise FileNotFoundError(f"{str(path)!r} holds no results.json or runs.jsonl: "
                                    "not a results directory of `coreopt run` or `sweep`.")
        path = found[0]
    if not path.is_file():
        raise FileNotFoundError(f"results file {str(path)!r} does not exist.")
    if path.suffix == ".csv":
        raise ValueError(f"{str(path)!r} is the results table only; figures need the run "
                         "records: give results.json or the results directory.")
    text = path.read_text(errors="replace")
    try:
        if path.suffix == ".jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            records = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{str(path)!r} is not valid JSON (truncated?): {error}") from None
    return _records(records, path)


def _records(records, path) -> list:
    """The `Run` records of the decoded JSON `records`; ValueError naming `path` if not."""
    from coreopt.lab.records import Run

    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError(f"{str(path)!r} is not a coreopt results file: expected a list of "
                         "run records.")
    try:
        runs = [Run.from_dict(r) for r in records]
    except (TypeError, ValueError) as error:
        raise ValueError(f"{str(path)!r} is not a coreopt results file: {error}") from None
    if not runs:
        raise ValueError(f"{str(path)!r} holds no runs.")
    return runs


def check_output(out) -> pathlib.Path:
    """`out` as a Path; OSError now (before any work) when its folder cannot be written."""
    out = pathlib.Path(out)
    folder = out.parent
    if out.is_dir():
        raise OSError(f"output {str(out)!r} is a directory; give a file name.")
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OSError(f"output {str(out)!r} cannot be written: {str(folder)!r} is not a "
                      "writable directory.")
    return out


def select(runs, *, function=None, optimizer=None) -> list:
    """The runs on `function` (a name) by `optimizer` (a name); ValueError when none are."""
    chosen = [r for r in runs if (function is None or r.function == function)
              and (optimizer is None or r.optimizer == optimizer)]
    if not chosen:
        have = sorted({(r.function, r.optimizer) for r in runs})
        raise ValueError(f"no runs of function={function!r}, optimizer={optimizer!r}; "
                         f"the results hold (function, optimizer) pairs {have[:8]}.")
    return chosen


def function_of(runs):
    """The one test function the runs share, rebuilt from its name and parameters."""
    from coreopt import functions

    seen = {(r.function, json.dumps(r.function_params, sort_keys=True)) for r in runs}
    if len(seen) > 1:
        names = sorted({name for name, _ in seen})
        raise ValueError(f"the runs are on several functions ({', '.join(names)}): choose "
                         "one with --function NAME.")
    run = runs[0]
    try:
        return functions.get(run.function, **run.function_params)
    except ValueError as error:
        raise ValueError(f"cannot redraw function {run.function!r}: {error}") from None


def draw_schedules(texts, steps: int, out) -> pathlib.Path:
    """Schedules written as text (`coreopt.schedules.text`) over steps 0..steps-1, one PNG.

    Raises:
        ValueError: `steps` < 2, a file name that is not .png, or a schedule's own error
            (an unknown name with "did you mean"); raised before anything is written.
    """
    import numpy as np
    import tensorflow as tf

    from coreopt.plots import schedules as plot
    from coreopt.plots.style import save
    from coreopt.schedules import text

    if steps < 2:
        raise ValueError(f"--steps must be at least 2; received {steps}.")
    out = check_output(out)
    if out.suffix.lower() != ".png":
        raise ValueError(f"--kind schedule writes a .png file; --out is {str(out)!r}.")
    made = {t: text.parse(t) for t in texts}
    at = tf.range(steps, dtype=tf.int64)
    values = {(t if len(t) <= 60 else t[:57] + "..."): np.asarray(s(at)) for t, s in made.items()}
    ax = plot.plot_schedules(np.arange(steps), values)
    return save(ax.figure, out)


def draw(kind, runs, out, *, x=None, y=None, metric="iteration", stable=None, grid=None):
    """Draws one figure of `kind` (see `KINDS`) from `runs` into the file `out`.

    Args:
        kind: a key of `KINDS`.
        runs: `Run` records (one function, except for "sensitivity" and "heatmap",
            which read the table of the runs given).
        out: the PNG (GIF for "animation") to write.
        x, y: the heatmap's columns (hyperparameters, or "init[0]" and "init[1]").
        metric: "iteration" (steps to converge) or "gap", for "sensitivity" and "heatmap".
        stable: optimizer -> largest stable learning rate, drawn on "sensitivity".
        grid: the function's `coreopt.lab.surface` values, when the caller has them
            (default: sampled here).

    Returns:
        The `Path` written.

    Raises:
        ValueError: an unknown kind, or one that does not fit the runs (saying what would).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown figure kind {kind!r}; kinds: {', '.join(KINDS)}.")
    if not runs:
        raise ValueError(f"--kind {kind}: there are no runs to draw.")
    out = check_output(out)
    if kind in ("sensitivity", "heatmap"):
        return _draw_table(kind, runs, out, x=x, y=y, metric=metric, stable=stable)
    f = function_of(runs)
    description = f.to_dict()
    if kind == "curves":
        return _save_curves(_with_paths(runs, kind), description, out)
    dims = (2,) if kind == "animation" else (1, 2)
    if f.dim not in dims:
        raise ValueError(_misfit(kind, f.dim))
    return _draw_over_surface(kind, runs, f, description, out, grid)


def _draw_over_surface(kind, runs, f, description, out, grid):
    from coreopt.lab.surface import surface
    from coreopt.plots import functions as fplots
    from coreopt.plots import paths, style

    grid = surface(f) if grid is None else grid
    if kind == "animation":
        from coreopt.plots.animate import animate_paths_2d

        return animate_paths_2d(_with_paths(runs, kind), grid, description, out)
    if kind == "function":
        plot = fplots.plot_function_1d if f.dim == 1 else fplots.plot_contours_2d
        ax = plot(grid, description)
    else:
        plot = paths.plot_paths_1d if f.dim == 1 else paths.plot_paths_2d
        ax = plot(_with_paths(runs, kind), grid, description)
    return style.save(ax.figure, out)


def _save_curves(runs, description, out):
    from coreopt.plots import curves, style

    ax_gap, _ = curves.plot_curves(runs, description)
    return style.save(ax_gap.figure, out)


def _draw_table(kind, runs, out, *, x, y, metric, stable):
    from coreopt.lab.records import to_frame
    from coreopt.plots import style
    from coreopt.plots import sweeps as splots

    frame = to_frame(runs)
    if kind == "sensitivity":
        if "learning_rate" not in frame or frame["learning_rate"].nunique() < 2:
            raise ValueError("--kind sensitivity needs runs at two or more learning rates "
                             "(e.g. --lr 1e-4:1:16).")
        if frame["optimizer"].nunique() > PANELS_ABOVE:
            from coreopt.plots.panels import plot_lr_sensitivity_panels

            fig = plot_lr_sensitivity_panels(frame, metric=metric, stable=stable)
            return style.save(fig, out)
        ax = splots.plot_lr_sensitivity(frame, metric=metric, stable=stable)
    else:
        if x is None or y is None:
            raise ValueError("--kind heatmap needs --x and --y: two hyperparameters, or "
                             "init[0] and init[1] for the start coordinates.")
        ax = splots.plot_heatmap(frame, x, y, value=metric)
    return style.save(ax.figure, out)


def _with_paths(runs, kind) -> list:
    missing = [r for r in runs if r.path is None]
    if missing:
        raise ValueError(f"--kind {kind} needs the runs' paths, and {len(missing)} of "
                         f"{len(runs)} runs have none: run them with --keep-paths.")
    return runs


def _misfit(kind, dim) -> str:
    what = {"function": "its loss over the domain", "paths": "paths over contours",
            "animation": "2-D animated paths"}[kind]
    return (f"--kind {kind} cannot draw {what} for a function of dimension {dim}; "
            "--kind curves (runs kept with --keep-paths), sensitivity or heatmap fit any "
            "dimension.")


def auto_figures(runs, folder) -> list:
    """The figures that fit `runs`, written into `folder`, as (path, caption) pairs.

    Per function: the function itself (1-D, 2-D); per optimizer, when paths were
    kept, its paths (1-D, 2-D) and curves (the first `MAX_DRAWN` runs, said in the
    caption); and the learning-rate sensitivity when three or more rates were run.
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made, stems = [], set()
    for _, group in _groups(runs, lambda r: (r.function, json.dumps(r.function_params))):
        f = function_of(group)
        stem = f.name if f.name not in stems else f"{f.name}-{len(stems)}"
        stems.add(stem)
        grid = None
        if f.dim <= 2:
            from coreopt.lab.surface import surface

            grid = surface(f)  # sampled once for this function's figures
            made.append((draw("function", group, folder / f"{stem}-function.png", grid=grid),
                         _caption("function", f, group)))
        for optimizer, runs_o in _groups([r for r in group if r.path is not None],
                                         lambda r: r.optimizer):
            shown = runs_o[:MAX_DRAWN]
            kinds = ("paths", "curves") if f.dim <= 2 else ("curves",)
            for kind in kinds:
                out = folder / f"{stem}-{optimizer}-{kind}.png"
                made.append((draw(kind, shown, out, grid=grid),
                             _caption(kind, f, runs_o, optimizer)))
        rates = {r.config.get("learning_rate") for r in group} - {None}
        if len(rates) >= 3:
            out = folder / f"{stem}-sensitivity.png"
            made.append((draw("sensitivity", group, out), _caption("sensitivity", f, group)))
    return made


def _groups(runs, key) -> list:
    """(key, runs) pairs in order of first appearance."""
    groups: dict = {}
    for r in runs:
        groups.setdefault(key(r), []).append(r)
    return list(groups.items())


def _caption(kind, f, runs, optimizer=None) -> str:
    shown = "" if len(runs) <= MAX_DRAWN else f" (the first {MAX_DRAWN} of {len(runs)} runs)"
    if kind == "function":
        what = "loss and gradient" if f.dim == 1 else "log(loss - minimum)"
        return (f"{f.name}: its {what} over the domain; stars mark the global minimizers, "
                "other markers its other stationary points.")
    if kind == "paths":
        return (f"{optimizer} on {f.name}: parameter paths over the loss{shown}. A diverged "
                "run is drawn up to where it leaves the domain and marked with its step.")
    if kind == "curves":
        return (f"{optimizer} on {f.name}: gap to the minimum and gradient norm per "
                f"iteration, log scale{shown}.")
    return (f"{f.name}: steps to converge against the learning rate, per optimizer (median "
            "over starts); x marks rates where every run diverged.")
