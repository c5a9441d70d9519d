"""Path colours stay visible on the contours; legends hide no marked minimum."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.transforms import Bbox

from coreopt.plots import functions, panels, paths, style
from tests.plots import data

# Himmelblau (1968): (x^2 + y - 11)^2 + (x + y^2 - 7)^2, four minima of value 0.
HIMMELBLAU_MINIMA = [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186],
                     [3.584428, -1.848126]]
HIMMELBLAU = {"name": "himmelblau", "params": {"dim": 2}, "dim": 2,
              "domain": [[-5.0, 5.0], [-5.0, 5.0]], "minimizers": HIMMELBLAU_MINIMA,
              "minimum": 0.0, "stationary": {"local_max": [[-0.270845, -0.923039]]},
              "start": [0.0, 0.0], "tags": [], "description": "", "strict_domain": False}


def himmelblau(p):
    x, y = p[..., 0], p[..., 1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def himmelblau_grad(p):
    x, y = p[..., 0], p[..., 1]
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


def himmelblau_surface(n=81):
    x = y = np.linspace(-5.0, 5.0, n)
    return {"x": x.tolist(), "y": y.tolist(),
            "loss": himmelblau(np.stack(np.meshgrid(x, y), axis=-1)).tolist()}


def himmelblau_runs():
    """Gradient descent from (0, 0) at three rates: one reaches (3, 2), one diverges."""
    return [data.gd_run(himmelblau, himmelblau_grad, [0.0, 0.0], lr, max_iters=120,
                        function="himmelblau") for lr in (0.002, 0.01, 0.06)]


def test_contrast_is_wcag_contrast():
    assert style.relative_luminance("white") == 1.0
    assert style.relative_luminance("black") == 0.0
    assert style.contrast("black", "white") == pytest.approx(21.0)
    assert style.contrast("#0072B2", "#0072B2") == 1.0
    # WCAG's own example pair: #777777 on white is just under 4.5:1.
    assert style.contrast("#777777", "white") == pytest.approx(4.48, abs=0.005)
    assert style.contrast("white", "#777777") == style.contrast("#777777", "white")


def test_every_path_colour_contrasts_with_every_contour_colour():
    cmap = style.CONTOUR_CMAP
    shades = cmap(np.linspace(0.0, 1.0, cmap.N))
    worst = {c: min(style.contrast(c, shade) for shade in shades) for c in style.COLORS}
    low = {c: round(w, 2) for c, w in worst.items() if w < style.MIN_CONTRAST}
    assert not low, f"path colours below {style.MIN_CONTRAST}:1 on the contours: {low}"
    assert style.MIN_CONTRAST >= 3.0  # WCAG 2.1 SC 1.4.11 for graphical objects
    assert len(set(style.COLORS)) == len(style.COLORS) >= 8


def test_paths_are_drawn_on_that_colormap():
    ax = paths.plot_paths_2d(himmelblau_runs(), himmelblau_surface(), HIMMELBLAU)
    assert ax.collections[0].get_cmap() is style.CONTOUR_CMAP
    ax = paths.plot_paths_1d(data.quartic_runs(), data.surface_1d(), data.QUARTIC)
    assert ax.collections[0].get_cmap() is style.CONTOUR_CMAP
    fig = panels.plot_paths_panels(himmelblau_runs(), himmelblau_surface(), HIMMELBLAU)
    assert fig.axes[0].collections[0].get_cmap() is style.CONTOUR_CMAP


def _covered(ax, points) -> list:
    """The points (data coordinates) inside the legend's box once drawn, widened by the
    minimum star's radius."""
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    radius = np.sqrt(functions.MIN_MARKER["s"]) / 2 * ax.figure.dpi / 72  # points^2 -> px
    box = Bbox.from_extents(box.x0 - radius, box.y0 - radius, box.x1 + radius, box.y1 + radius)
    return [p for p in points if box.contains(*ax.transData.transform(p))]


def _apart(ax, other) -> bool:
    ax.figure.canvas.draw()
    return not ax.get_legend().get_window_extent().overlaps(other.get_window_extent())


def test_legend_of_himmelblau_paths_hides_no_minimum():
    ax = paths.plot_paths_2d(himmelblau_runs(), himmelblau_surface(), HIMMELBLAU)
    assert len(ax.get_legend().get_texts()) >= 6  # three runs, the minima, start, end, ...
    assert _covered(ax, HIMMELBLAU_MINIMA) == []
    assert _covered(ax, HIMMELBLAU["stationary"]["local_max"]) == []
    colorbar = ax.figure.axes[1]
    assert _apart(ax, colorbar)  # nor does it lie on the colour bar
    inside = ax.figure.bbox
    legend = ax.get_legend().get_window_extent()
    assert inside.x0 <= legend.x0 and legend.x1 <= inside.x1 and legend.y0 >= inside.y0


def test_legend_of_rosenbrock_paths_hides_its_minimum():
    ax = paths.plot_paths_2d(data.rosenbrock_runs(), data.surface_2d(), data.ROSENBROCK)
    assert _covered(ax, data.ROSENBROCK["minimizers"]) == []


def test_legend_of_the_contours_alone_hides_no_minimum():
    ax = functions.plot_contours_2d(himmelblau_surface(), HIMMELBLAU)
    assert _covered(ax, HIMMELBLAU_MINIMA) == []

