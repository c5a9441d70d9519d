"""Small multiples: one panel of 2-D trajectories per run, on a shared colour scale.

Side-by-side comparisons of many optimizers read better one panel each than as
a dozen lines on one plot. Each panel is `paths.plot_paths_2d` for one run
(same start, minimizer and diverged markers), titled with the run's label, and
the figure carries one colour bar. Nothing here imports TensorFlow.

Example:
    >>> import numpy as np
    >>> from coreopt.plots import panels
    >>> x = y = np.linspace(-2, 2, 41)
    >>> surface = {"x": x, "y": y, "loss": np.add.outer(y**2, x**2)}
    >>> f = {"name": "bowl", "dim": 2, "minimizers": [[0.0, 0.0]], "minimum": 0.0}
    >>> runs = [{"optimizer": name, "config": {"learning_rate": 0.1}, "status": "max_iters",
    ...          "iteration": 2, "path": [[1.5, 1.5], [1.2, 1.2], [1.0, 1.0]]}
    ...         for name in ("gd", "adam", "lion")]
    >>> fig = panels.plot_paths_panels(runs, surface, f, ncols=2)
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['gd lr=0.1', 'adam lr=0.1', 'lion lr=0.1']
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from coreopt.plots import _records
from coreopt.plots.paths import plot_paths_2d
from coreopt.plots.style import new_figure, style

PANEL_SIZE = (2.7, 2.5)  # inches per panel


def plot_paths_panels(runs, surface: dict, function: dict, *, ncols: int = 5,
                      titles=None) -> Figure:
    """One panel per 2-D run over the contours of log(loss - minimum).

    Args:
        runs: run records (objects or dicts) on a 2-D function, with paths.
        surface: `{"x": [nx], "y": [ny], "loss": [ny, nx]}` sampled over the domain.
        function: the `TestFunction.to_dict()` description (dim 2).
        ncols: panels per row, >= 1.
        titles: one title per run (default: "<optimizer> lr=<rate>").

    Returns:
        The `Figure`: panels in run order (unused grid cells hidden), then its colour bar.

    Raises:
        ValueError: no runs, a bad `ncols`, titles of the wrong length, or a run
            `plot_paths_2d` refuses.
    """
    if not runs:
        raise ValueError("plot_paths_panels: `runs` is empty: nothing to plot.")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"plot_paths_panels: `ncols` must be an int >= 1; received {ncols!r}.")
    titles = [_records.label(r) for r in runs] if titles is None else list(titles)
    if len(titles) != len(runs):
        raise ValueError(f"plot_paths_panels: {len(titles)} titles for {len(runs)} runs.")
    _records.check_dim(function, (2,), "plot_paths_panels")
    ncols = min(ncols, len(runs))
    nrows = math.ceil(len(runs) / ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows),
                           sharex=True, sharey=True)
    axes = np.atleast_1d(axes).ravel()
    with style():
        for i, (run, ax, title) in enumerate(zip(runs, axes, titles)):
            plot_paths_2d([run], surface, function, ax=ax, colorbar=False, first_color=i)
            ax.get_legend().remove()
            ax.set_title(title)
            ax.label_outer()
        for ax in axes[len(runs):]:
            ax.set_visible(False)
        fig.colorbar(axes[0].collections[0], ax=list(axes), label="log(loss - minimum)",
                     shrink=0.8)
    return fig


def plot_lr_sensitivity_panels(frame, *, metric: str = "iteration", stable=None,
                               ncols: int = 5) -> Figure:
    """`sweeps.plot_lr_sensitivity`, one panel per optimizer, on shared axes.

    Each panel is titled with its optimizer; its dashed line (when `stable` names one)
    is that optimizer's largest stable learning rate. Panels carry no legend: a
    diverged rate is an "x" at the top, a rate that ran out of budget an open ring.

    Args:
        frame: a sweep's DataFrame on one function (see `sweeps.plot_lr_sensitivity`).
        metric: "iteration" (steps to converge) or "gap".
        stable: optimizer -> largest stable learning rate (None: not drawn).
        ncols: panels per row, >= 1.

    Returns:
        The `Figure`, panels in order of the optimizers' first appearance.

    Raises:
        ValueError: as `sweeps.plot_lr_sensitivity`, or a bad `ncols`.
    """
    from coreopt.plots.sweeps import plot_lr_sensitivity

    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"plot_lr_sensitivity_panels: `ncols` must be an int >= 1; "
                         f"received {ncols!r}.")
    if "optimizer" not in getattr(frame, "columns", ()):
        raise ValueError("plot_lr_sensitivity_panels: `frame` needs an 'optimizer' column.")
    names = list(dict.fromkeys(frame["optimizer"]))
    ncols = min(ncols, max(len(names), 1))
    nrows = math.ceil(len(names) / ncols) or 1
    fig, axes = new_figure(nrows, ncols, figsize=(PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows),
                           sharex=True, sharey=True)
    axes = np.atleast_1d(axes).ravel()
    edges = dict(stable or {})
    with style():
        for name, ax in zip(names, axes):
            edge = {name: edges[name]} if edges.get(name) is not None else None
            plot_lr_sensitivity(frame[frame["optimizer"] == name], metric=metric, stable=edge,
                                ax=ax)
            ax.get_legend().remove()
            ax.set_title(name)
            ax.label_outer()
        for ax in axes[len(names):]:
            ax.set_visible(False)
    return fig
