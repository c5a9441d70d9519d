from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from coreopt.plots import paths, style
from tests.plots import data


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def _markers(ax, label):
    return np.concatenate([c.get_offsets() for c in ax.collections
                           if c.get_label() == label] or [np.zeros((0, 2))])


def _diverged(ax):
    """Offsets of the "x" markers (the legend names only the first one)."""
    return [c.get_offsets()[0].tolist() for c in ax.collections
            if c.get_paths() and len(c.get_offsets()) == 1 and c.get_label() in ("diverged",
                                                                                "_nolegend_")
            and c.get_linewidths()[0] == paths.DIVERGED_MARKER["linewidths"]]


def test_paths_1d_draw_every_run_with_its_path():
    runs = data.quartic_runs()
    ax = paths.plot_paths_1d(runs, data.surface_1d(), data.QUARTIC)
    lines = _lines(ax)
    assert list(lines) == ["gd lr=0.01", "gd lr=0.05", "gd lr=0.3"]
    for run in runs:
        line = lines[f"gd lr={run['config']['learning_rate']:g}"]
        y = np.asarray(run["path"])[:, 0]
        np.testing.assert_array_equal(line.get_ydata(), y)  # every finite point, none dropped
        np.testing.assert_array_equal(line.get_xdata(), np.arange(len(y)))
    np.testing.assert_allclose(_markers(ax, "end"), [[150, runs[0]["final"][0]]])
    assert ax.get_xlim() == (0, 150) and ax.get_ylim() == (-2.0, 2.0)
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "x"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["gd lr=0.01", "end", "gd lr=0.05", "diverged", "gd lr=0.3"]


def test_paths_1d_mark_diverged_runs_with_their_step():
    runs = data.quartic_runs()
    ax = paths.plot_paths_1d(runs, data.surface_1d(), data.QUARTIC)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["diverged at step 5", "diverged at step 8"]
    # At the last finite step, the value clipped to the plotted range.
    expected = [[r["steps"], float(np.clip(r["final"][0], -2, 2))] for r in runs[1:]]
    assert sorted(_diverged(ax)) == sorted(expected)


def test_paths_1d_stop_at_the_first_non_finite_point():
    run = SimpleNamespace(optimizer="adam", config={"learning_rate": 1.0}, status="diverged",
                          iteration=3, path=[[1.0], [-0.5], [1.5], [math.inf], [math.nan]])
    ax = paths.plot_paths_1d([run], data.surface_1d(), data.QUARTIC)
    line = _lines(ax)["adam lr=1"]
    np.testing.assert_array_equal(line.get_ydata(), [1.0, -0.5, 1.5])
    assert _diverged(ax) == [[2.0, 1.5]]
    assert [t.get_text() for t in ax.texts] == ["diverged at step 3"]


def test_paths_2d_draw_trajectories_and_markers():
    runs = data.rosenbrock_runs()
    ax = paths.plot_paths_2d(runs, data.surface_2d(), data.ROSENBROCK)
    lines = _lines(ax)
    assert list(lines) == ["gd lr=0.001", "gd lr=0.005"]
    good, bad = (np.asarray(r["path"]) for r in runs)
    np.testing.assert_array_equal(lines["gd lr=0.001"].get_xydata(), good)
    # The diverged run: drawn up to its last point inside the domain.
    inside = np.all((bad >= [-2, -1]) & (bad <= [2, 3]), axis=1)
    k = int(np.argmin(inside))
    assert 0 < k < len(bad)
    np.testing.assert_array_equal(lines["gd lr=0.005"].get_xydata(), bad[:k])
    np.testing.assert_allclose(_markers(ax, "start"), [[-1.5, 2.0]])
    np.testing.assert_allclose(_markers(ax, "end"), [good[-1]])
    np.testing.assert_allclose(_markers(ax, "global minimum"), [[1.0, 1.0]])
    assert _diverged(ax) == [bad[k - 1].tolist()]
    assert [t.get_text() for t in ax.texts] == [f"diverged at step {runs[1]['iteration']}"]
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 3.0)


def test_same_runs_give_the_same_png(tmp_path):
    files = []
    for name in ("a.png", "b.png"):
        ax = paths.plot_paths_2d(data.rosenbrock_runs(), data.surface_2d(), data.ROSENBROCK)
        files.append(style.save(ax.figure, tmp_path / name).read_bytes())
    assert files[0] == files[1]


def test_bad_input():
    with pytest.raises(ValueError, match="empty"):
        paths.plot_paths_1d([], data.surface_1d(), data.QUARTIC)
    with pytest.raises(ValueError, match="dim=1.*plot_paths_1d"):
        paths.plot_paths_2d(data.quartic_runs(), data.surface_1d(), data.QUARTIC)
    run = dict(data.quartic_runs()[0], path=None)
    with pytest.raises(ValueError, match="no path"):
        paths.plot_paths_1d([run], data.surface_1d(), data.QUARTIC)
    with pytest.raises(ValueError, match="dimension 2"):
        paths.plot_paths_1d(data.rosenbrock_runs(), data.surface_1d(), data.QUARTIC)
