from __future__ import annotations

import numpy as np
import pytest

from coreopt.plots import functions
from tests.plots import data


def test_function_1d_draws_loss_gradient_and_points():
    surface = data.surface_1d()
    ax = functions.plot_function_1d(surface, data.QUARTIC)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"loss", "gradient"}
    np.testing.assert_allclose(lines["loss"].get_xdata(), surface["x"])
    np.testing.assert_allclose(lines["loss"].get_ydata(), surface["loss"])
    np.testing.assert_allclose(lines["gradient"].get_ydata(), surface["grad"])
    marks = {c.get_label(): c.get_offsets() for c in ax.collections}
    assert set(marks) == {"global minimum", "saddle"}
    np.testing.assert_allclose(marks["global minimum"], [[-1.125, data.QUARTIC_MIN]])
    np.testing.assert_allclose(marks["saddle"], [[0.0, 2.0]])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["loss", "gradient", "global minimum", "saddle"]


def test_contours_2d_draw_log_gap_and_minimizer():
    surface = data.surface_2d()
    ax = functions.plot_contours_2d(surface, data.ROSENBROCK, levels=12)
    filled = [c for c in ax.collections if c.get_label() != "global minimum"]
    assert len(filled) == 1
    levels = filled[0].levels
    gap = np.log(np.asarray(surface["loss"]) + 1e-12)
    assert levels[0] <= gap.min() and levels[-1] >= gap.max()
    star = [c for c in ax.collections if c.get_label() == "global minimum"]
    np.testing.assert_allclose(star[0].get_offsets(), [[1.0, 1.0]])
    assert len(ax.figure.axes) == 2  # the colour bar


def test_wrong_kind_says_which_plot_fits():
    with pytest.raises(ValueError, match="dim=1.*plot_function_1d"):
        functions.plot_contours_2d(data.surface_1d(), data.QUARTIC)
    five = dict(data.ROSENBROCK, name="sphere", dim=5)
    with pytest.raises(ValueError, match="dim=5.*plot_curves"):
        functions.plot_contours_2d(data.surface_2d(), five)
    with pytest.raises(ValueError, match="dim=2.*plot_contours_2d"):
        functions.plot_function_1d(data.surface_2d(), data.ROSENBROCK)


def test_bad_surface():
    with pytest.raises(ValueError, match="lacks.*grad"):
        functions.plot_function_1d({"x": [0, 1], "loss": [0, 1]}, data.QUARTIC)
    bad = dict(data.surface_2d(), loss=[[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"len\(y\), len\(x\)"):
        functions.plot_contours_2d(bad, data.ROSENBROCK)


def test_contours_2d_mark_stationary_points():
    f = dict(data.ROSENBROCK, stationary={"saddle": [[0.0, 0.0], [0.5, 0.5]], "maximum": []})
    ax = functions.plot_contours_2d(data.surface_2d(), f)
    marks = {c.get_label(): c.get_offsets() for c in ax.collections[1:]}
    assert set(marks) == {"global minimum", "saddle"}
    np.testing.assert_allclose(marks["saddle"], [[0.0, 0.0], [0.5, 0.5]])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["global minimum", "saddle"]
