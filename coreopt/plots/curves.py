"""Convergence curves of runs: gap to the minimum and gradient norm against iteration.

Runs are `coreopt.lab.records.Run` objects or their `to_dict()` form, kept with their
`loss` and `grad_norm` curves; `function` is the `TestFunction.to_dict()` description.
Both panels use a log scale. Nothing here imports TensorFlow.

Example:
    >>> from coreopt.plots import curves
    >>> run = {"optimizer": "gd", "config": {"learning_rate": 0.1}, "status": "max_iters",
    ...        "iteration": 2, "loss": [4.0, 1.0, 0.25], "grad_norm": [4.0, 2.0, 1.0]}
    >>> ax_gap, ax_grad = curves.plot_curves([run], {"name": "bowl", "dim": 1, "minimum": 0.0})
    >>> ax_gap.get_yscale(), ax_grad.get_yscale()
    ('log', 'log')
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from coreopt.plots import _records
from coreopt.plots.style import color, new_figure, style


def _positive(values: np.ndarray) -> np.ndarray:
    """`values` with non-finite and non-positive entries as NaN (gaps in a log plot)."""
    out = values.astype(np.float64, copy=True)
    with np.errstate(invalid="ignore"):
        out[~(np.isfinite(out) & (out > 0))] = np.nan
    return out


def plot_curves(runs, function: dict, ax_gap: Axes | None = None,
                ax_grad: Axes | None = None) -> tuple[Axes, Axes]:
    """Gap to the minimum (loss - minimum) and gradient norm per iteration, log scale.

    One colour per run, labelled "<optimizer> lr=<rate>"; a diverged run's curves stop at
    their last finite value and end with an "x". Points where the gap is zero or the
    value is not finite leave gaps in the line (a log scale cannot show them).

    Args:
        runs: run records (objects or dicts) with `loss` and `grad_norm` curves.
        function: the `TestFunction.to_dict()` description; without a known minimum
            the left panel shows the loss itself.
        ax_gap, ax_grad: the axes for the two panels; None: a new figure with both
            (both must be given, or neither).

    Returns:
        `(ax_gap, ax_grad)`.

    Raises:
        ValueError: `runs` is empty, a run lacks a curve, or only one axes is given.
    """
    if not runs:
        raise ValueError("plot_curves: `runs` is empty: nothing to plot.")
    if (ax_gap is None) != (ax_grad is None):
        raise ValueError("plot_curves: give both `ax_gap` and `ax_grad`, or neither.")
    if ax_gap is None:
        _, (ax_gap, ax_grad) = new_figure(1, 2)
    minimum = function.get("minimum")
    with style():
        for i, run in enumerate(runs):
            gap = _records.curve(run, "loss") - (0.0 if minimum is None else float(minimum))
            for ax, values in ((ax_gap, gap), (ax_grad, _records.curve(run, "grad_norm"))):
                shown = _positive(values)
                ax.plot(np.arange(len(shown)), shown, color=color(i), label=_records.label(run))
                if _records.field(run, "status") == "diverged":
                    ok = np.flatnonzero(np.isfinite(shown))
                    if len(ok):
                        ax.scatter([ok[-1]], [shown[ok[-1]]], color=color(i), marker="x",
                                   s=60, zorder=5)
        ax_gap.set_ylabel("loss - minimum" if minimum is not None else "loss")
        ax_grad.set_ylabel("gradient norm")
        for ax in (ax_gap, ax_grad):
            ax.set_yscale("log")
            ax.set_xlabel("iteration")
        ax_gap.set_title(function.get("name", ""))
        ax_gap.legend()
    return ax_gap, ax_grad
