from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
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


def test_run_records_read_back_from_json_plot_like_dicts():
    from coreopt.lab.records import Run  # a plain dataclass; plots only read its fields

    dicts = data.quartic_runs()
    runs = [Run.from_json(Run(max_iters=150, rule="exact", **d).to_json()) for d in dicts]
    surface = data.surface_1d()
    a = paths.plot_paths_1d(dicts, surface, data.QUARTIC)
    b = paths.plot_paths_1d(runs, surface, data.QUARTIC)
    for line_a, line_b in zip(a.get_lines(), b.get_lines(), strict=True):
        assert line_a.get_label() == line_b.get_label()
        np.testing.assert_array_equal(line_a.get_xydata(), line_b.get_xydata())
    assert [t.get_text() for t in a.texts] == [t.get_text() for t in b.texts]


def test_png_bytes_do_not_depend_on_the_process(tmp_path):
    code = ("import sys; from tests.plots import data; from coreopt.plots import paths, style; "
            "ax = paths.plot_paths_1d(data.quartic_runs(), data.surface_1d(), data.QUARTIC); "
            "style.save(ax.figure, sys.argv[1])")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get(
        "PYTHONPATH", "")]), "PYTHONHASHSEED": "123"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "other.png")], env=env,
                   cwd=root, check=True, capture_output=True)
    ax = paths.plot_paths_1d(data.quartic_runs(), data.surface_1d(), data.QUARTIC)
    here = style.save(ax.figure, tmp_path / "here.png").read_bytes()
    assert (tmp_path / "other.png").read_bytes() == here


def test_paths_2d_keep_a_diverged_run_that_starts_outside_the_domain():
    run = {"optimizer": "gd", "config": {"learning_rate": 0.1}, "status": "diverged",
           "iteration": 2, "path": [[2.5, 0.0], [3.0, 4.0], [math.nan, 1.0]]}
    ax = paths.plot_paths_2d([run], data.surface_2d(), data.ROSENBROCK)
    np.testing.assert_array_equal(_lines(ax)["gd lr=0.1"].get_xydata(), [[2.5, 0.0], [3.0, 4.0]])
    assert _diverged(ax) == [[3.0, 4.0]]
    assert [t.get_text() for t in ax.texts] == ["diverged at step 2"]
