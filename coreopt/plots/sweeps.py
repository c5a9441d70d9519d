"""Pictures of sweeps: learning-rate sensitivity, and heatmaps over two columns.

Both read the pandas DataFrame that `coreopt.lab.sweep` returns (one row per run: the
columns of `coreopt.lab.records.COLUMNS`, plus one per hyperparameter such as
`learning_rate`). Rows are pooled into cells (one learning rate of one optimizer, or one
pair of values); a cell is

    converged   at least one of its runs converged,
    diverged    every one of its runs diverged,
    max_iters   none converged and not all diverged (they ran out of budget).

A cell's value is the median over its runs: of `iteration` over the converged runs, or
of `gap` (`final_loss`) over the runs that did not diverge. Diverged cells are always
drawn (an "x"), never dropped. Nothing here imports TensorFlow.

Example:
    >>> import pandas as pd
    >>> from coreopt.plots import sweeps
    >>> frame = pd.DataFrame({"optimizer": "gd", "function": "bowl",
    ...                       "learning_rate": [0.01, 0.1, 1.5],
    ...                       "status": ["converged", "converged", "diverged"],
    ...                       "iteration": [400, 40, 3]})
    >>> ax = sweeps.plot_lr_sensitivity(frame)
    >>> ax.get_lines()[0].get_ydata().tolist(), ax.get_title()
    ([400.0, 40.0, nan], 'bowl')
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.lines import Line2D

from coreopt.plots.style import axes_or_new, color, style

METRICS = ("iteration", "gap")
VALUES = ("iteration", "gap", "final_loss")
STATUSES = ("converged", "diverged", "max_iters")
GAP_FLOOR = 1e-16  # gaps at or below 0 (the minimum reached to rounding) are drawn here
DIVERGED = "diverged"
MAX_ITERS = "max_iters (did not converge)"
STABLE = "stable-lr edge"
DIVERGED_ROW = 0.96  # axes height of the first optimizer's row of diverged "x" markers
ROW_STEP = 0.045  # the rows of further optimizers, one below the other
VALUE_LABELS = {"iteration": "iterations to converge (median)",
                "gap": "final gap to the minimum (median)",
                "final_loss": "final loss (median)"}


def _require(frame, columns, plot: str) -> None:
    """A ValueError naming the columns `frame` lacks (or that it is not a DataFrame)."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{plot}: `frame` must be a pandas DataFrame (as coreopt.lab.sweep "
                         f"returns); got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{plot}: the frame lacks the column(s) {missing}; it has "
                         f"{list(frame.columns)}.")
    if frame.empty:
        raise ValueError(f"{plot}: the frame has no rows: nothing to plot.")
    bad = sorted(set(frame["status"]) - set(STATUSES)) if "status" in columns else []
    if bad:
        raise ValueError(f"{plot}: unknown status {bad}; a run's status is one of {STATUSES}.")


def _one(frame, column: str, plot: str, hint: str) -> str | None:
    """The single value of `column` (None without it); a ValueError when there are several."""
    if column not in frame.columns:
        return None
    values = list(pd.unique(frame[column]))
    if len(values) > 1:
        raise ValueError(f"{plot}: the frame holds several {column}s {values}; {hint}, e.g. "
                         f"frame[frame[{column!r}] == {values[0]!r}].")
    return str(values[0])


def _numeric(series) -> np.ndarray:
    """`series` as float64, None and non-numbers as NaN."""
    return pd.to_numeric(pd.Series(series), errors="coerce").to_numpy(np.float64)


def _value_column(frame, value: str, allowed, plot: str) -> str:
    """The column holding `value`: "gap" falls back to "final_loss" when no gap is known."""
    if value not in allowed:
        raise ValueError(f"{plot}: unknown value {value!r}; choose one of {allowed}.")
    column = value
    if value == "gap" and ("gap" not in frame.columns or np.isnan(_numeric(frame["gap"])).all()):
        column = "final_loss"
    _require(frame, [column], plot)
    return column


def _cell(rows: pd.DataFrame, column: str) -> dict:
    """A cell's kind, its runs' counts, its value, and its budget (for a max_iters cell)."""
    status = rows["status"].to_numpy()
    n, converged = len(rows), int((status == "converged").sum())
    kind = ("diverged" if (status == "diverged").all() else
            "converged" if converged else "max_iters")
    kept = status == "converged" if column == "iteration" else status != "diverged"
    values = _numeric(rows[column])[kept]
    values = values[np.isfinite(values)]
    value = float(np.median(values)) if len(values) else math.nan
    budget = next((c for c in ("max_iters", "iteration") if c in rows.columns), None)
    out_of_budget = _numeric(rows[budget])[status == "max_iters"] if budget else []
    limit = float(np.median(out_of_budget)) if len(out_of_budget) else math.nan
    return {"kind": kind, "n": n, "converged": converged, "value": value, "limit": limit}


def _cells(frame: pd.DataFrame, keys: list, column: str) -> pd.DataFrame:
    """One row per cell (sorted by `keys`): the keys and `_cell`'s fields."""
    rows = [{**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **_cell(g, column)}
            for key, g in frame.groupby(keys, sort=True)]
    return pd.DataFrame(rows)


def _shown(values: np.ndarray, column: str) -> np.ndarray:
    """Values as drawn: gaps and losses floored at `GAP_FLOOR` (for their log scale)."""
    return values if column == "iteration" else np.maximum(values, GAP_FLOOR)


def _learning_rates(frame: pd.DataFrame, plot: str) -> np.ndarray:
    """The learning rates as float64; a ValueError when one is missing or not positive."""
    lr = _numeric(frame["learning_rate"])
    bad = ~(np.isfinite(lr) & (lr > 0))
    if bad.any():
        names = sorted(map(str, pd.unique(frame["optimizer"][bad])))
        seen = list(pd.unique(frame["learning_rate"][bad]))
        raise ValueError(f"{plot}: `learning_rate` must be a positive number in every row (a "
                         f"log axis); rows of {names} have {seen}.")
    return lr


def _stable_edges(stable, names: list, plot: str) -> dict:
    """optimizer -> largest stable learning rate, from a dict or a DataFrame; None: no edges."""
    if stable is None:
        return {}
    if isinstance(stable, pd.DataFrame):
        column = next((c for c in ("learning_rate", "stable lr") if c in stable.columns), None)
        if "optimizer" not in stable.columns or column is None:
            raise ValueError(f"{plot}: a `stable` DataFrame needs the columns 'optimizer' and "
                             f"'learning_rate' (or 'stable lr'); it has {list(stable.columns)}.")
        stable = dict(zip(stable["optimizer"], stable[column]))
    if not isinstance(stable, dict):
        raise ValueError(f"{plot}: `stable` must be a dict optimizer -> learning rate or a "
                         f"DataFrame; got {type(stable).__name__}.")
    unknown = sorted(str(k) for k in stable if k not in names)
    if unknown:
        raise ValueError(f"{plot}: `stable` names optimizers {unknown} that are not in the "
                         f"frame {names}.")
    return {k: float(v) for k, v in stable.items() if v is not None and np.isfinite(float(v))}


def _draw_optimizer(ax: Axes, cells: pd.DataFrame, i: int, name: str, column: str) -> set:
    """One optimizer's line and its diverged / max_iters markers; returns the kinds drawn."""
    c, lr, kind = color(i), cells["learning_rate"].to_numpy(), cells["kind"].to_numpy()
    value = _shown(cells["value"].to_numpy(), column)
    ax.plot(lr, np.where(kind == "diverged", np.nan, value), color=c, marker="o", label=name)
    drawn = set()
    div = kind == "diverged"
    if div.any():
        ax.plot(lr[div], np.full(div.sum(), DIVERGED_ROW - ROW_STEP * i), color=c, marker="x",
                markersize=8, markeredgewidth=2, linestyle="none", clip_on=False,
                transform=ax.get_xaxis_transform(), label=f"_diverged {name}")
        drawn.add(DIVERGED)
    out = kind == "max_iters"
    if out.any():
        y = cells["limit"].to_numpy() if column == "iteration" else value
        # Rings grow with the optimizer's index: at a shared budget they nest, none hidden.
        ax.plot(lr[out], y[out], color=c, marker="o", markersize=9 + 3 * i,
                markerfacecolor="none",
                linestyle="none", label=f"_max_iters {name}")
        drawn.add(MAX_ITERS)
    for x, y, k, n in zip(lr, value, cells["converged"], cells["n"]):
        if 0 < k < n:  # a mixed cell: how many of its runs converged
            ax.annotate(f"{k}/{n}", (x, y), xytext=(0, 7), textcoords="offset points",
                        ha="center", color=c, fontsize="small")
    return drawn


def _legend(ax: Axes, kinds: set) -> None:
    """The optimizers' lines, then one grey entry per kind of mark drawn."""
    proxies = {DIVERGED: Line2D([], [], color="0.3", marker="x", markeredgewidth=2,
                                linestyle="none", label=DIVERGED),
               MAX_ITERS: Line2D([], [], color="0.3", marker="o", markerfacecolor="none",
                                 linestyle="none", label=MAX_ITERS),
               STABLE: Line2D([], [], color="0.3", linestyle="--", label=STABLE)}
    handles = ax.get_legend_handles_labels()[0] + [p for k, p in proxies.items() if k in kinds]
    ax.legend(handles=handles, loc="best")


def plot_lr_sensitivity(frame, *, metric: str = "iteration", stable=None,
                        ax: Axes | None = None) -> Axes:
    """How steps to converge (or the final gap) depend on the learning rate, per optimizer.

    x is the learning rate (log scale); each optimizer is one line with markers, in
    `style.color(i)` by order of first appearance, through its cells' medians (over
    starts and seeds). A cell where every run diverged gets an "x" in the optimizer's
    colour near the top of the axes (one row per optimizer) instead of a point; a cell
    where none converged but not all diverged gets an open circle ("max_iters (did not
    converge)"): at the budget for metric "iteration", at its gap for "gap". A mixed
    cell is drawn at the median over its converged runs ("iteration") or its runs that
    did not diverge ("gap"), and labelled "k/n": k of its n runs converged.

    Args:
        frame: a sweep's DataFrame on one function, with `optimizer`, `learning_rate`,
            `status` and the metric's column.
        metric: "iteration" (median `iteration` of converged runs; log y when all are
            positive) or "gap" (median `gap`, or `final_loss` when no gap is known; log
            y, values at or below 0 drawn at `GAP_FLOOR`).
        stable: optional largest stable learning rates, a dict optimizer -> rate or a
            DataFrame with columns `optimizer` and `learning_rate` (or "stable lr"): a
            dashed vertical line in that optimizer's colour ("stable-lr edge").
        ax: the axes to draw on; None: a new figure's.

    Returns:
        The `Axes` drawn on, titled with the function's name.

    Raises:
        ValueError: a column is missing, the frame holds several functions, a learning
            rate is not positive, `metric` is unknown, or `stable` names another optimizer.
    """
    plot = "plot_lr_sensitivity"
    _require(frame, ["optimizer", "learning_rate", "status"], plot)
    column = _value_column(frame, metric, METRICS, plot)
    function = _one(frame, "function", plot, "plot one function at a time: filter the frame")
    work = frame.assign(learning_rate=_learning_rates(frame, plot))
    names = list(pd.unique(work["optimizer"]))
    edges = _stable_edges(stable, names, plot)
    ax = axes_or_new(ax)
    kinds, drawn = set(), []
    with style():
        for i, name in enumerate(names):
            cells = _cells(work[work["optimizer"] == name], ["learning_rate"], column)
            kinds |= _draw_optimizer(ax, cells, i, name, column)
            drawn.append(_shown(cells["value"].to_numpy(), column))
            if name in edges:
                ax.axvline(edges[name], color=color(i), linestyle="--", label=f"_stable {name}")
                kinds.add(STABLE)
        ax.set_xscale("log")
        ys = np.concatenate(drawn)
        if column != "iteration" or (ys[np.isfinite(ys)] > 0).all():
            ax.set_yscale("log")
        ax.margins(y=0.15)
        ax.set_xlabel("learning rate")
        ax.set_ylabel(VALUE_LABELS[column])
        ax.set_title(function or "")
        _legend(ax, kinds)
    return ax


def _axis_values(frame: pd.DataFrame, name: str, plot: str) -> np.ndarray:
    """A heatmap axis: the column `name`, or coordinate k of `init` for "init[k]"."""
    if name.startswith("init[") and name.endswith("]") and name[5:-1].isdigit():
        _require(frame, ["init"], plot)
        k = int(name[5:-1])
        points = [np.asarray(v, np.float64).reshape(-1) for v in frame["init"]]
        if any(len(p) <= k for p in points):
            raise ValueError(f"{plot}: {name!r}: some starts have fewer than {k + 1} "
                             f"coordinates.")
        return np.array([p[k] for p in points])
    if name not in frame.columns:
        raise ValueError(f"{plot}: {name!r} is not a column of the frame (nor 'init[k]'); "
                         f"the columns are {list(frame.columns)}.")
    values = _numeric(frame[name])
    if not np.isfinite(values).all():
        raise ValueError(f"{plot}: column {name!r} must hold a finite number in every row.")
    return values


def _ticks(ax: Axes, axis: str, values: np.ndarray) -> None:
    """Category ticks at 0, 1, ... labelled with the values to 4 digits (about 10 at most)."""
    step = max(1, math.ceil(len(values) / 10))
    at = np.arange(0, len(values), step)
    getattr(ax, f"set_{axis}ticks")(at, [f"{v:.4g}" for v in values[at]])


def _grid(cells: pd.DataFrame, xs: np.ndarray, ys: np.ndarray, field: str,
          empty=np.nan) -> np.ndarray:
    """`cells[field]` laid out as [len(ys), len(xs)]; `empty` where no run fell."""
    grid = np.full((len(ys), len(xs)), empty, dtype=object if isinstance(empty, str) else float)
    grid[np.searchsorted(ys, cells["_y"]), np.searchsorted(xs, cells["_x"])] = cells[field]
    return grid


def _norm(values: np.ndarray, column: str):
    """Linear colours for iterations; log colours for gaps and losses (when any is drawn)."""
    finite = values[np.isfinite(values)]
    if column == "iteration" or not len(finite):
        return Normalize()
    return LogNorm(vmin=finite.min(), vmax=max(finite.max(), finite.min() * 10))


def _mark_cells(ax: Axes, kinds: np.ndarray) -> None:
    """An "x" on every diverged cell, an open circle on every cell out of budget."""
    for kind, label, marker in (("diverged", DIVERGED, {"marker": "x", "color": "black",
                                                         "linewidths": 2.0}),
                                ("max_iters", MAX_ITERS, {"marker": "o", "facecolors": "none",
                                                          "edgecolors": "#D55E00"})):
        iy, ix = np.nonzero(kinds == kind)
        if len(ix):
            ax.scatter(ix, iy, s=60, label=label, zorder=3, **marker)


def plot_heatmap(frame, x: str, y: str, *, value: str = "iteration",
                 ax: Axes | None = None) -> Axes:
    """A heatmap of one optimizer's sweep over two columns (hyperparameters or starts).

    The cells are categorical, equally spaced and labelled with their values (a grid of
    0.9 / 0.99 / 0.999 reads better that way than on any numeric scale); rows of a cell
    that differ in other columns (starts, seeds, other hyperparameters) are pooled. A
    cell's colour is its median `value`; a cell where every run diverged is blank with
    a black "x", one where none converged but not all diverged carries an open circle
    ("max_iters (did not converge)"); a pair of values without runs stays blank.

    Args:
        frame: a sweep's DataFrame of one optimizer on one function, with `status`.
        x, y: the columns along x and y: a hyperparameter (e.g. "learning_rate",
            "beta_1") or a coordinate of the start, "init[0]", "init[1]", ...
        value: "iteration" (converged runs, linear colours), "gap" (runs that did not
            diverge; `final_loss` when no gap is known) or "final_loss"; gaps and losses
            get log colours, values at or below 0 drawn at `GAP_FLOOR`.
        ax: the axes to draw on; None: a new figure's.

    Returns:
        The `Axes` drawn on, with a labelled colour bar on its figure.

    Raises:
        ValueError: `x` or `y` is not a column, a column is missing or not numeric,
            `value` is unknown, or the frame holds several optimizers or functions.

    Example:
        >>> import pandas as pd
        >>> from coreopt.plots import sweeps
        >>> frame = pd.DataFrame({"optimizer": "adam", "learning_rate": [0.1, 0.1, 1, 1],
        ...                       "beta_1": [0.9, 0.99, 0.9, 0.99],
        ...                       "status": ["converged", "converged", "converged",
        ...                                  "diverged"], "iteration": [50, 80, 9, 4]})
        >>> ax = sweeps.plot_heatmap(frame, "learning_rate", "beta_1")
        >>> ax.collections[0].get_array().filled(-1).tolist()
        [[50.0, 9.0], [80.0, -1.0]]
    """
    plot = "plot_heatmap"
    _require(frame, ["status"], plot)
    column = _value_column(frame, value, VALUES, plot)
    work = pd.DataFrame({"_x": _axis_values(frame, x, plot), "_y": _axis_values(frame, y, plot),
                         "status": frame["status"].to_numpy(),
                         column: frame[column].to_numpy()})
    optimizer = _one(frame, "optimizer", plot, "draw one heatmap per optimizer: filter the frame")
    function = _one(frame, "function", plot, "draw one heatmap per function: filter the frame")
    cells = _cells(work, ["_x", "_y"], column)
    xs, ys = np.unique(work["_x"]), np.unique(work["_y"])
    values = _shown(_grid(cells, xs, ys, "value"), column)
    ax = axes_or_new(ax)
    with style():
        mesh = ax.pcolormesh(np.arange(len(xs) + 1) - 0.5, np.arange(len(ys) + 1) - 0.5,
                             np.ma.masked_invalid(values), norm=_norm(values, column))
        ax.figure.colorbar(mesh, ax=ax, label=VALUE_LABELS[column])
        _mark_cells(ax, _grid(cells, xs, ys, "kind", empty=""))
        _ticks(ax, "x", xs)
        _ticks(ax, "y", ys)
        ax.set_xlim(-0.5, len(xs) - 0.5)
        ax.set_ylim(-0.5, len(ys) - 0.5)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(" on ".join(t for t in (optimizer, function) if t))
        ax.grid(False)
        if ax.collections[1:]:
            ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.12), ncols=2, frameon=False)
    return ax
