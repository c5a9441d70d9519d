"""The learning-rate range test's figure: loss against learning rate, the suggestions marked.

The record is a `coreopt.train.LRFindResult` or its `to_dict()` form (as in
lr_find.json): `lrs`, `losses` (raw, drawn faint), `smoothed` (drawn solid)
and `suggestions`, name -> {"lr", "loss"} or None. Each suggestion is a
marker on the smoothed curve at its learning rate, named with its value in
the legend and beside the marker. The learning-rate axis is logarithmic
(points with lr <= 0, from a linear ramp starting at 0, are left out), the
loss axis spans the smoothed curve, so spikes of the raw loss may leave it.
Nothing here imports TensorFlow.

Example:
    >>> import tempfile, pathlib
    >>> from coreopt.plots import lr_find
    >>> record = {"optimizer": "adam", "data": "digits", "lrs": [1e-3, 1e-2, 1e-1],
    ...           "losses": [2.3, 1.0, 3.0], "smoothed": [2.3, 1.6, 2.1],
    ...           "suggestions": {"minimum": {"lr": 1e-3, "loss": 2.3}, "valley": None}}
    >>> ax = lr_find.plot_lr_find(record)
    >>> [line.get_label() for line in ax.get_lines()]
    ['loss', 'smoothed loss', 'minimum / 10: 1.00e-03']
    >>> path = lr_find.save_lr_find(record, pathlib.Path(tempfile.mkdtemp()) / "lr_find.png")
    >>> path.read_bytes()[:4]
    b'\\x89PNG'

The population scan (`coreopt.train.lr_scan`, an `LRScan` or its `to_dict()`
form: `lrs`, `losses` with None or inf for a diverged rate, `diverged`,
`suggestions`) is drawn as its loss L(r) after the budget at each constant
rate r, a diverged rate as a cross at the top; `save_lr_scan` puts it beside
the ramp's figure, the ramp's suggestions as dashed lines on the scan's panel:

    >>> scan = {"optimizer": "adam", "problem": "digits-mlp", "epochs": 1,
    ...         "lrs": [1e-3, 1e-2, 1e-1], "losses": [1.5, 0.5, None],
    ...         "diverged": [False, False, True],
    ...         "suggestions": {"minimum": {"lr": 1e-3, "loss": 0.5}, "valley": None}}
    >>> ax = lr_find.plot_lr_scan(scan, ramp=record)
    >>> [line.get_label() for line in ax.get_lines()][:3]
    ['loss after 1 epoch(s)', 'diverged', 'minimum / 10: 1.00e-03']
    >>> path = lr_find.save_lr_scan(scan, record, path.parent / "lr_scan.png")
    >>> path.read_bytes()[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from coreopt.plots import _records
from coreopt.plots.style import axes_or_new, color, new_figure, save, style

ORDER = ("steepest", "minimum", "valley")  # as `coreopt.train.lr_suggest.NAMES`
TITLES = {"steepest": "steepest", "minimum": "minimum / 10", "valley": "valley"}
MARKERS = {"steepest": "v", "minimum": "o", "valley": "s"}


def _curve(record, name: str) -> np.ndarray:
    values = _records.field(record, name)
    if values is None:
        raise ValueError(f"the range-test record has no {name!r}; pass an LRFindResult or its "
                         "to_dict() form.")
    return np.asarray(values, dtype=np.float64)


def _mark(ax: Axes, name: str, found: dict, i: int) -> None:
    """The suggestion `name`: a marker at (lr, loss) and its name and value beside it."""
    text = f"{TITLES.get(name, name)}: {found['lr']:.2e}"
    ax.plot([found["lr"]], [found["loss"]], linestyle="none", marker=MARKERS.get(name, "D"),
            markersize=8, markeredgecolor="black", color=color(i + 1), zorder=5, label=text)
    ax.annotate(text, (found["lr"], found["loss"]), xytext=(6, 8 + 10 * i),
                textcoords="offset points", fontsize="small", color=color(i + 1))


def plot_lr_find(record, ax: Axes | None = None) -> Axes:
    """Raw and smoothed loss against the learning rate (log axis), suggestions marked.

    Args:
        record: an `LRFindResult` or its `to_dict()` form.
        ax: axes to draw on; a new figure when None.

    Returns:
        The axes.

    Raises:
        ValueError: for a record without its curve.
    """
    lrs, losses, smoothed = (_curve(record, k) for k in ("lrs", "losses", "smoothed"))
    with style():
        ax = axes_or_new(ax)
        keep = lrs > 0
        ax.plot(lrs[keep], losses[keep], color=color(0), alpha=0.3, linewidth=1.0,
                label="loss")
        ax.plot(lrs[keep], smoothed[keep], color=color(0), label="smoothed loss")
        suggestions = _records.field(record, "suggestions") or {}
        names = [n for n in ORDER if n in suggestions] + sorted(set(suggestions) - set(ORDER))
        for i, name in enumerate(n for n in names if suggestions[n] is not None):
            _mark(ax, name, suggestions[name], i)
        ax.set_xscale("log")
        if keep.any() and np.isfinite(smoothed[keep]).all():  # raw spikes do not set the scale
            low, high = smoothed[keep].min(), smoothed[keep].max()
            ax.set_ylim(low - 0.05 * (high - low + 1e-12), high + 0.15 * (high - low + 1e-12))
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss (cross-entropy)")
        optimizer, data = _records.field(record, "optimizer"), _records.field(record, "data")
        ax.set_title(f"learning-rate range test: {optimizer or 'optimizer'} on "
                     f"{data or 'data'}")
        ax.legend(loc="upper left")
    return ax


def save_lr_find(record, path) -> Path:
    """Draws `plot_lr_find(record)` on a new figure and writes it as a PNG at `path`."""
    ax = plot_lr_find(record)
    return save(ax.figure, path)


def plot_lr_scan(scan, ax: Axes | None = None, ramp=None) -> Axes:
    """The scan's loss per constant rate (log axis), its suggestions marked.

    Args:
        scan: an `LRScan` or its `to_dict()` form.
        ax: axes to draw on; a new figure when None.
        ramp: an `LRFindResult` or its dict; its suggestions are drawn as
            dashed vertical lines, for comparison. None: left out.

    Returns:
        The axes.
    """
    lrs = _curve(scan, "lrs")
    losses = np.array([np.inf if v is None else v for v in _records.field(scan, "losses")],
                      dtype=np.float64)
    finite = np.isfinite(losses)
    with style():
        ax = axes_or_new(ax)
        epochs = _records.field(scan, "epochs")
        ax.plot(lrs[finite], losses[finite], color=color(0), marker=".",
                label=f"loss after {epochs} epoch(s)")
        top = losses[finite].max() if finite.any() else 1.0
        if not finite.all():
            ax.plot(lrs[~finite], np.full((~finite).sum(), top), linestyle="none",
                    marker="x", color="black", label="diverged")
        suggestions = _records.field(scan, "suggestions") or {}
        shown = [n for n in ORDER if suggestions.get(n) is not None]
        for i, name in enumerate(shown):
            _mark(ax, name, {**suggestions[name],
                             "loss": min(suggestions[name]["loss"], top)}, i)
        if ramp is not None:
            _ramp_lines(ax, _records.field(ramp, "suggestions") or {})
        ax.set_xscale("log")
        ax.set_xlabel("constant learning rate")
        ax.set_ylabel("mean training loss, last epoch")
        ax.set_title(f"population scan: {_records.field(scan, 'optimizer') or 'optimizer'} "
                     f"on {_records.field(scan, 'problem') or 'problem'}, "
                     f"{len(lrs)} rates")
        ax.legend(loc="upper left", fontsize="small")
    return ax


def _ramp_lines(ax: Axes, found: dict) -> None:
    """The ramp's suggestions as dashed vertical lines, colored as its markers."""
    for i, name in enumerate(n for n in ORDER if found.get(n) is not None):
        ax.axvline(found[name]["lr"], color=color(i + 1), linestyle="--", linewidth=1.0,
                   label=f"ramp's {TITLES[name]}: {found[name]['lr']:.2e}")


def save_lr_scan(scan, ramp, path) -> Path:
    """The ramp's figure and the scan's (`plot_lr_scan`) side by side, as a PNG at `path`."""
    fig, (left, right) = new_figure(1, 2)
    plot_lr_find(ramp, ax=left)
    plot_lr_scan(scan, ax=right, ramp=ramp)
    return save(fig, path)
