"""Parameter paths of runs over the loss: 1-D against iteration, 2-D over the contours.

Runs are `coreopt.lab.records.Run` objects or their `to_dict()` form, kept with their
curves (`path` holds steps + 1 points). A diverged run is always drawn, up to where
its path stops being finite (1-D) or leaves the domain (2-D), and marked at its end
with an "x" and the text "diverged at step N" (N: the run's `iteration`). Nothing here imports
TensorFlow.

Example:
    >>> import numpy as np
    >>> from coreopt.plots import paths
    >>> x = np.linspace(-2, 2, 101)
    >>> surface = {"x": x, "loss": 2 * x**4 + 3 * x**3 + 2, "grad": 8 * x**3 + 9 * x**2}
    >>> f = {"name": "seed_quartic", "dim": 1, "domain": [[-2, 2]], "minimizers": [[-1.125]],
    ...      "minimum": 0.93, "stationary": {"saddle": [[0.0]]}}
    >>> run = {"optimizer": "gd", "config": {"learning_rate": 0.01}, "status": "max_iters",
    ...        "iteration": 2, "path": [[2.0], [1.0], [0.83]]}
    >>> ax = paths.plot_paths_1d([run], surface, f)
    >>> [line.get_label() for line in ax.get_lines()]
    ['gd lr=0.01']
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Annotation

from coreopt.plots import _records
from coreopt.plots.functions import plot_contours_2d
from coreopt.plots.style import CONTOUR_CMAP, axes_or_new, color, legend_outside, style

BACKGROUND = CONTOUR_CMAP  # light greys: every colour of the palette stands out on it
END_MARKER = {"marker": "o", "s": 40, "edgecolor": "black", "zorder": 6, "clip_on": False}
START_MARKER = {"marker": "s", "s": 36, "edgecolor": "black", "zorder": 6}
DIVERGED_MARKER = {"marker": "x", "s": 80, "linewidths": 2.0, "zorder": 7, "clip_on": False}


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted sample points (midpoints, half a cell beyond the ends)."""
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def _once(name: str, seen: set) -> str:
    """`name` the first time (one legend entry per kind of marker), then "_nolegend_"."""
    if name in seen:
        return "_nolegend_"
    seen.add(name)
    return name


def _mark_end(ax: Axes, run, point, i: int, seen: set) -> None:
    """The end marker of run `i`: a dot, or an "x" with "diverged at step N" when diverged."""
    if _records.field(run, "status") == "diverged":
        n = _records.field(run, "iteration")
        lo, hi = ax.get_ylim()
        down = -1 if point[1] > (lo + hi) / 2 else 1  # the text points into the axes
        shift = 11 * sum(isinstance(t, Annotation) for t in ax.texts)  # stack the texts
        ax.scatter([point[0]], [point[1]], color=color(i), label=_once("diverged", seen),
                   **DIVERGED_MARKER)
        ax.annotate(f"diverged at step {n}", (point[0], point[1]), xytext=(6, down * (10 + shift)),
                    textcoords="offset points", color=color(i), fontsize="small", zorder=8)
    else:
        ax.scatter([point[0]], [point[1]], color=color(i), label=_once("end", seen), **END_MARKER)


def _kept_1d(points: np.ndarray, lo: float, hi: float) -> tuple[int, tuple]:
    """(number of finite points drawn, end marker's (step, value clipped to [lo, hi]))."""
    k = _records.finite_prefix(points)
    return k, (k - 1, float(np.clip(points[k - 1], lo, hi)) if k else np.nan)


def plot_paths_1d(runs, surface: dict, function: dict, ax: Axes | None = None) -> Axes:
    """The parameter of 1-D runs against iteration, over a heatmap of log(loss - minimum).

    Iterations run along x, the parameter along y, the heatmap repeats the loss of each
    parameter value across iterations (like the path figure of TensorFlow's guide
    "Optimizers with Core APIs"). Each run is one line labelled "<optimizer> lr=<rate>"
    with a dot at its end. Unlike the guide's figure, which leaves out runs whose
    gradients exploded, a diverged run is drawn up to its last finite point and marked
    with an "x" and "diverged at step N" at that step (its value clipped to the plotted
    range, which a diverging parameter soon leaves).

    Args:
        runs: run records (objects or dicts) on a 1-D function, with paths.
        surface: `{"x": [n], "loss": [n], ...}` sampled over the domain.
        function: the `TestFunction.to_dict()` description (dim 1).
        ax: the axes to draw on; None: a new figure's.

    Returns:
        The `Axes` drawn on; the y range is the sampled range of the parameter.

    Raises:
        ValueError: the function is not 1-D, `runs` is empty, or a run has no path.
    """
    _records.check_dim(function, (1,), "plot_paths_1d")
    x, loss = _records.surface_arrays(surface, ("x", "loss"), "plot_paths_1d")
    if not runs:
        raise ValueError("plot_paths_1d: `runs` is empty: nothing to plot.")
    points = [_records.path_array(run, 1)[:, 0] for run in runs]
    order = np.argsort(x)
    x, loss = x[order], loss[order]
    last = max(len(p) - 1 for p in points) or 1
    ax = axes_or_new(ax)
    seen: set = set()
    with style():
        grid = _records.log_gap(loss, function.get("minimum"))[:, None]
        mesh = ax.pcolormesh([0, last], _edges(x), grid, cmap=BACKGROUND, shading="flat")
        ax.figure.colorbar(mesh, ax=ax, label="log(loss - minimum)")
        ax.set_xlim(0, last)
        ax.set_ylim(x[0], x[-1])
        for i, (run, p) in enumerate(zip(runs, points)):
            k, end = _kept_1d(p, x[0], x[-1])
            ax.plot(np.arange(k), p[:k], color=color(i), label=_records.label(run))
            if k:
                _mark_end(ax, run, end, i, seen)
        ax.set_xlabel("iteration")
        ax.set_ylabel("x")
        ax.set_title(function.get("name", ""))
        ax.grid(False)
        ax.legend(loc="upper right")
    return ax


def plot_paths_2d(runs, surface: dict, function: dict, ax: Axes | None = None,
                  colorbar: bool = True, first_color: int = 0) -> Axes:
    """Trajectories of 2-D runs over the contours of log(loss - minimum).

    Each run is one line labelled "<optimizer> lr=<rate>" with a square at its start and
    a dot at its end; minimizers get stars. The legend sits outside the axes, on the right,
    so it hides neither a minimizer nor a path. A diverged run is drawn up to its last point
    inside the domain and marked there with an "x" and "diverged at step N".

    Args:
        runs: run records (objects or dicts) on a 2-D function, with paths.
        surface: `{"x": [nx], "y": [ny], "loss": [ny, nx]}` sampled over the domain.
        function: the `TestFunction.to_dict()` description (dim 2).
        ax: the axes to draw on; None: a new figure's.
        colorbar: draw the contours' colour bar.
        first_color: run i gets colour `first_color + i` (keeps colours across panels).

    Returns:
        The `Axes` drawn on, limited to the sampled range.

    Raises:
        ValueError: the function is not 2-D, `runs` is empty, or a run has no path.
    """
    _records.check_dim(function, (2,), "plot_paths_2d")
    if not runs:
        raise ValueError("plot_paths_2d: `runs` is empty: nothing to plot.")
    points = [_records.path_array(run, 2) for run in runs]
    ax = plot_contours_2d(surface, function, ax=ax, cmap=BACKGROUND, colorbar=colorbar)
    draw_runs_2d(ax, runs, points, sampled_box(surface), first_color)
    return ax


def sampled_box(surface: dict) -> list[list[float]]:
    """The sampled range `[[x min, x max], [y min, y max]]` of a 2-D surface."""
    x, y = np.asarray(surface["x"], np.float64), np.asarray(surface["y"], np.float64)
    return [[x.min(), x.max()], [y.min(), y.max()]]


def kept_2d(run, points: np.ndarray, box) -> int:
    """How many leading points of a 2-D run are drawn.

    A diverged run stops where it leaves the domain `box` (or, started outside it, at
    its last finite point): never dropped. Other runs keep every finite point.
    """
    diverged = _records.field(run, "status") == "diverged"
    return (diverged and _records.finite_prefix(points, box)) or _records.finite_prefix(points)


def draw_runs_2d(ax: Axes, runs, points: list, box, first_color: int = 0) -> None:
    """`plot_paths_2d`'s runs (lines, start and end marks, legend) on contours drawn already.

    Args:
        ax: axes with the contours of `plot_contours_2d`.
        runs: the run records; points: their paths as float64 `[steps + 1, 2]` arrays.
        box: `sampled_box(surface)`: the axes' limits and the domain a diverged run leaves.
        first_color: run i gets colour `first_color + i`.
    """
    seen: set = set()
    with style():
        ax.set_xlim(*box[0])
        ax.set_ylim(*box[1])
        for i, (run, p) in enumerate(zip(runs, points), start=first_color):
            k = kept_2d(run, p, box)
            ax.plot(p[:k, 0], p[:k, 1], color=color(i), label=_records.label(run))
            if k:
                ax.scatter(p[:1, 0], p[:1, 1], color=color(i), label=_once("start", seen),
                           **START_MARKER)
                _mark_end(ax, run, p[k - 1], i, seen)
        legend_outside(ax)
