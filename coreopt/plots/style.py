"""The one style of coreopt's plots: sizes, fonts, colours, and deterministic PNG files.

Every plot module draws on a figure from `new_figure` inside `style()` and writes it
with `save`, so all pictures share one look and the same inputs give the same bytes.
Nothing here imports TensorFlow or touches pyplot's global state.

Example:
    >>> import tempfile, pathlib
    >>> from coreopt.plots import style
    >>> fig, ax = style.new_figure()
    >>> _ = ax.plot([0, 1], [1, 0], color=style.color(0))
    >>> path = style.save(fig, pathlib.Path(tempfile.mkdtemp()) / "line.png")
    >>> path.read_bytes()[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.figure import Figure

from coreopt import files

# The contours under parameter paths: the light end of Greys (white to #cecece), so that
# dark path colours stand out everywhere on them.
CONTOUR_CMAP = ListedColormap(mpl.colormaps["Greys"](np.linspace(0.0, 0.3, 256)),
                              name="coreopt_contours")
# WCAG 2.1's contrast for graphical objects (success criterion 1.4.11, non-text contrast).
MIN_CONTRAST = 3.0
# Run i gets COLORS[i % len(COLORS)], in this fixed order: dark, well-separated hues (Okabe-Ito's
# blue, then darker variants and Paul Tol's dark colours), each with at least `MIN_CONTRAST`
# against every colour of `CONTOUR_CMAP` (and more against white).
COLORS = ("#0072B2", "#B84A00", "#117733", "#AA3377", "#666600", "#332288", "#882255",
          "#00666E")
DPI = 110
FIGSIZE = (6.4, 4.2)
RC = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "legend.fontsize": 8.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": mpl.cycler(color=list(COLORS)),
    "image.cmap": "viridis",
    "lines.linewidth": 1.5,
    "svg.hashsalt": "coreopt",
}
# What makes a PNG depend on more than its pixels: the matplotlib version stamp.
PNG_METADATA = {"Software": None}


def color(i: int) -> str:
    """The colour of the `i`-th run (optimizer or learning rate), cycling through `COLORS`."""
    return COLORS[i % len(COLORS)]


def relative_luminance(c) -> float:
    """WCAG 2.1's relative luminance of a colour: 0 for black, 1 for white.

    Each sRGB channel is linearised (c / 12.92 up to 0.04045, else ((c + 0.055) / 1.055)^2.4)
    and weighted 0.2126 R + 0.7152 G + 0.0722 B
    (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance).

    Example:
        >>> relative_luminance("white"), relative_luminance("#000000")
        (1.0, 0.0)
    """
    rgb = np.asarray(to_rgb(c), np.float64)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a, b) -> float:
    """WCAG 2.1's contrast ratio of two colours, (L1 + 0.05) / (L2 + 0.05) with L1 >= L2:
    from 1 (the same luminance) to 21 (black on white).

    Example:
        >>> round(contrast("black", "white"), 6)
        21.0
    """
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def legend_outside(ax: Axes):
    """The axes' legend outside it, to the right, top-aligned: it covers nothing drawn in
    the axes (minima, paths); constrained layout makes room for it. None without labels."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context manager: matplotlib rcParams set to coreopt's style, restored on exit.

    Example:
        >>> with style():
        ...     fig, ax = new_figure()
    """
    with mpl.rc_context(RC):
        yield


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, **kwargs):
    """A constrained-layout figure on the Agg canvas with its axes, in coreopt's style.

    Args:
        nrows, ncols: the grid of axes.
        figsize: (width, height) in inches; default `FIGSIZE` scaled by the grid.
        **kwargs: passed to `Figure.subplots` (e.g. `sharex=True`).

    Returns:
        `(fig, ax)` with one `Axes`, or `(fig, axes)` with an array of them.
    """
    if figsize is None:
        figsize = (FIGSIZE[0] * max(1, ncols * 0.8), FIGSIZE[1] * max(1, nrows * 0.8))
    with style():
        fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes


def axes_or_new(ax: Axes | None) -> Axes:
    """`ax`, or the single axes of a new figure when `ax` is None."""
    if ax is not None:
        return ax
    return new_figure()[1]


def save(fig: Figure, path) -> Path:
    """Writes `fig` as a PNG at `path`, atomically and byte-for-byte reproducibly.

    The file carries no software version or date, so the same figure gives the same
    bytes on every run and machine with the same matplotlib and fonts.

    Args:
        fig: the figure.
        path: the file to write; its folder must exist.

    Returns:
        The `Path` written.
    """
    path = Path(path)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    with style(), files.atomic(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata=PNG_METADATA)
    return path
