"""The figure of a `coreopt.testing.verify` diff: the relative error per step, log scale.

One line per dtype, its tolerance as a dashed line of the same colour, an "x"
at the first step past it (labelled with the variable and index), and, when
the explainer found the option that matches, that run's error as a dotted
line. Drawn from the diff record only (a `Diff` or its `to_dict()` form):
nothing here imports TensorFlow. A zero error is drawn at `ZERO` (the bottom).

Example:
    >>> import pathlib, tempfile
    >>> from coreopt.plots import verify
    >>> diff = {"candidate": "MyAdam", "reference": "adam", "rtol": {"float64": 1e-12},
    ...         "curves": {"float64": [0.0, 3e-8]}, "first": {"float64": {
    ...             "step": 2, "variable": "matrix", "index": [1, 0]}}, "explanation": {}}
    >>> ax = verify.plot_diff(diff)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['float64', 'float64 tolerance 1e-12']
    >>> verify.save_diff(diff, pathlib.Path(tempfile.mkdtemp()) / "v.png").suffix
    '.png'
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from coreopt.plots import _records
from coreopt.plots.style import axes_or_new, color, save, style

ZERO = 1e-18


def _errors(curve) -> np.ndarray:
    values = np.array([np.nan if v is None else float(v) for v in curve], dtype=np.float64)
    return np.where(values > 0, values, ZERO)


def plot_diff(diff, ax: Axes | None = None) -> Axes:
    """The error curves of `diff` on `ax` (a new figure's when None); returns the axes."""
    ax = axes_or_new(ax)
    curves, rtol = _records.field(diff, "curves") or {}, _records.field(diff, "rtol") or {}
    first = _records.field(diff, "first") or {}
    with style():
        for i, dtype in enumerate(rtol):
            errors = _errors(curves.get(dtype, []))
            steps = np.arange(1, len(errors) + 1)
            ax.semilogy(steps, errors, marker="o", markersize=3, color=color(i), label=dtype)
            ax.axhline(float(rtol[dtype]), color=color(i), linestyle="--", linewidth=1,
                       label=f"{dtype} tolerance {float(rtol[dtype]):g}")
            if dtype in first:
                f = first[dtype]
                k = int(f["step"])
                y = errors[k - 1] if k <= len(errors) else float(rtol[dtype])
                y = y if np.isfinite(y) else float(rtol[dtype])
                ax.scatter([k], [y], marker="x", s=70, color=color(i), zorder=5)
                ax.annotate(f"step {k}: '{f['variable']}' {tuple(f['index'])}", (k, y),
                            xytext=(6, 6), textcoords="offset points", color=color(i),
                            fontsize="small")
        explanation = _records.field(diff, "explanation") or {}
        if explanation.get("curve"):
            errors = _errors(explanation["curve"])
            ax.semilogy(np.arange(1, len(errors) + 1), errors, linestyle=":", color="black",
                        label=f"{explanation.get('dtype', '')} against "
                              f"{explanation.get('match', 'the matching options')}")
        ax.set_xlabel("step")
        ax.set_ylabel(f"relative error (0 drawn at {ZERO:g})")
        ax.set_title(f"{_records.field(diff, 'candidate')} against "
                     f"{_records.field(diff, 'reference')}")
        ax.legend(loc="best")
    return ax


def save_diff(diff, path):
    """`plot_diff` on a new figure, written as a PNG at `path`; returns the path."""
    ax = plot_diff(diff)
    return save(ax.figure, path)
