"""Pictures of a test function itself: its loss and gradient (1-D), its contours (2-D).

The values come from the caller as plain arrays in a `surface` dict: 1-D
`{"x": [...], "loss": [...], "grad": [...]}`, 2-D `{"x": [...], "y": [...],
"loss": [[...]]}` (len(y) rows by len(x) columns); `function` is the
`TestFunction.to_dict()` description. Nothing here imports TensorFlow.

Example:
    >>> import numpy as np
    >>> from coreopt.plots import functions
    >>> x = np.linspace(-2, 2, 101)
    >>> surface = {"x": x, "loss": 2 * x**4 + 3 * x**3 + 2, "grad": 8 * x**3 + 9 * x**2}
    >>> f = {"name": "seed_quartic", "dim": 1, "domain": [[-2, 2]],
    ...      "minimizers": [[-1.125]], "minimum": 2 * 1.125**4 - 3 * 1.125**3 + 2,
    ...      "stationary": {"saddle": [[0.0]]}}
    >>> ax = functions.plot_function_1d(surface, f)
    >>> ax.get_legend() is not None
    True
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from coreopt.plots import _records
from coreopt.plots.style import axes_or_new, legend_outside, style

MIN_MARKER = {"marker": "*", "s": 160, "color": "#D55E00", "edgecolor": "black", "zorder": 5}
STATIONARY_MARKERS = ("o", "D", "^", "v", "s", "P")


def _interp(x: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """`values` (sampled at `x`) linearly interpolated at the points `at`."""
    order = np.argsort(x)
    return np.interp(at, x[order], values[order])


def _stationary(function: dict, dim: int):
    """(label, float64 points `[k, dim]`, marker) for each kind of other stationary point."""
    items = (function.get("stationary") or {}).items()
    return [(key, np.asarray(points, np.float64).reshape(-1, dim),
             STATIONARY_MARKERS[i % len(STATIONARY_MARKERS)])
            for i, (key, points) in enumerate(items) if len(points)]


def plot_function_1d(surface: dict, function: dict, ax: Axes | None = None) -> Axes:
    """Loss and gradient of a 1-D function over its domain, minimizers and stationary points.

    The loss is a solid line, the gradient a dashed one; each global minimizer gets a
    star labelled "global minimum", each other stationary point a marker labelled by its
    key in `function["stationary"]` (e.g. "saddle"), placed on the loss curve.

    Args:
        surface: `{"x": [n], "loss": [n], "grad": [n]}` sampled over the domain.
        function: the `TestFunction.to_dict()` description (dim 1).
        ax: the axes to draw on; None: a new figure's.

    Returns:
        The `Axes` drawn on.

    Raises:
        ValueError: the function is not 1-D, or `surface` lacks a key.
    """
    _records.check_dim(function, (1,), "plot_function_1d")
    x, loss, grad = _records.surface_arrays(surface, ("x", "loss", "grad"), "plot_function_1d")
    ax = axes_or_new(ax)
    with style():
        ax.plot(x, loss, label="loss")
        ax.plot(x, grad, linestyle="--", label="gradient")
        mins = np.asarray(function.get("minimizers") or [], np.float64).reshape(-1)
        if len(mins):
            at = function.get("minimum")
            y = _interp(x, loss, mins) if at is None else np.full(len(mins), float(at))
            ax.scatter(mins, y, label="global minimum", **MIN_MARKER)
        for key, pts, marker in _stationary(function, 1):
            ax.scatter(pts[:, 0], _interp(x, loss, pts[:, 0]), s=60, color="black",
                       zorder=5, label=key, marker=marker)
        ax.set_xlabel("x")
        ax.set_ylabel("value")
        ax.set_title(function.get("name", ""))
        ax.legend()
    return ax


def plot_contours_2d(surface: dict, function: dict, ax: Axes | None = None,
                     levels: int = 30, eps: float = 1e-12, cmap: str = "viridis",
                     colorbar: bool = True) -> Axes:
    """Filled contours of log(loss - minimum + eps) of a 2-D function, minimizers marked.

    Global minimizers get stars labelled "global minimum", other stationary points white
    markers labelled by their key in `function["stationary"]` (e.g. "saddle"); their legend
    sits beside the axes, where it hides none of them.

    Args:
        surface: `{"x": [nx], "y": [ny], "loss": [ny, nx]}` sampled over the domain.
        function: the `TestFunction.to_dict()` description (dim 2). Without a known
            minimum the smallest sampled loss stands in for it.
        ax: the axes to draw on; None: a new figure's.
        levels: the number of contour levels.
        eps: keeps the logarithm finite at the minimum.
        cmap: the colour map of the filled contours.
        colorbar: draw the colour bar (small multiples leave it out).

    Returns:
        The `Axes` drawn on (with a colour bar on its figure).

    Raises:
        ValueError: the function is not 2-D, `surface` lacks a key, or `loss` is not
            len(y) by len(x).
    """
    _records.check_dim(function, (2,), "plot_contours_2d")
    x, y, loss = _records.surface_arrays(surface, ("x", "y", "loss"), "plot_contours_2d")
    if loss.shape != (len(y), len(x)):
        raise ValueError(f"plot_contours_2d: surface['loss'] must have shape (len(y), len(x)) "
                         f"= {(len(y), len(x))}; got {loss.shape}.")
    ax = axes_or_new(ax)
    with style():
        filled = ax.contourf(x, y, _records.log_gap(loss, function.get("minimum"), eps),
                             levels=levels, cmap=cmap)
        if colorbar:
            ax.figure.colorbar(filled, ax=ax, label="log(loss - minimum)")
        mins = np.asarray(function.get("minimizers") or [], np.float64).reshape(-1, 2)
        if len(mins):
            ax.scatter(mins[:, 0], mins[:, 1], label="global minimum", **MIN_MARKER)
        for key, pts, marker in _stationary(function, 2):
            ax.scatter(pts[:, 0], pts[:, 1], s=50, color="white", edgecolor="black", zorder=5,
                       label=key, marker=marker)
        if ax.collections[1:]:
            legend_outside(ax)  # beside the axes: it hides no marked point
        ax.set_xlabel("x[0]")
        ax.set_ylabel("x[1]")
        ax.set_title(function.get("name", ""))
        ax.grid(False)
    return ax
