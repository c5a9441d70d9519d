from __future__ import annotations

import doctest

import numpy as np
import pytest
from PIL import Image

from coreopt.plots import animate, paths, style
from tests.plots import data


def _runs():
    """One run walking straight to the minimum in 10 steps; one that diverges: it moves
    0.5 to the right per step from (0, 0), leaves the domain (x <= 2) at step 5, and
    its gradient overflows at step 6."""
    walk = np.linspace([-1.5, 2.0], [1.0, 1.0], 11)
    away = [[0.5 * k, 0.0] for k in range(7)]
    return [{"optimizer": "gd", "config": {"learning_rate": 0.01}, "status": "converged",
             "iteration": 10, "path": walk.tolist()},
            {"optimizer": "adam", "config": {"learning_rate": 1.0}, "status": "diverged",
             "iteration": 6, "path": away}]


def _frames(path):
    """The GIF's frames as RGB arrays, and its frame duration."""
    with Image.open(path) as im:
        frames = []
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")))
        return frames, im.info["duration"]


def test_gif_has_the_requested_frames_and_they_change(tmp_path):
    out = animate.animate_paths_2d(_runs(), data.surface_2d(), data.ROSENBROCK,
                                   tmp_path / "runs.gif", frames=5, fps=10)
    assert out == tmp_path / "runs.gif"
    frames, duration = _frames(out)
    assert len(frames) == 5 and duration == 100
    assert frames[0].shape == (462, 704, 3)
    for a, b in zip(frames, frames[1:]):  # the paths grow: pixels below the title change
        assert (a[40:] != b[40:]).any(axis=-1).sum() > 20
        # One layout for all frames (the last one's): the x axis' labels never move.
        np.testing.assert_array_equal(a[-40:], b[-40:])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.gif"]  # no temp file left


def test_last_frame_is_the_picture_of_the_runs(tmp_path):
    runs = _runs()
    out = animate.animate_paths_2d(runs, data.surface_2d(), data.ROSENBROCK,
                                   tmp_path / "runs.gif", frames=4)
    last = _frames(out)[0][-1]
    ax = paths.plot_paths_2d(runs, data.surface_2d(), data.ROSENBROCK)
    with style.style():
        ax.set_title("rosenbrock (step 10)")
    ax.figure.canvas.draw()  # constrained layout settles on its second pass (in save)
    png = np.asarray(Image.open(style.save(ax.figure, tmp_path / "runs.png")).convert("RGB"))
    expected = np.asarray(animate.to_palette([png])[0].convert("RGB"))
    np.testing.assert_array_equal(last, expected)


def test_same_runs_give_the_same_gif(tmp_path):
    files = [animate.animate_paths_2d(_runs(), data.surface_2d(), data.ROSENBROCK,
                                      tmp_path / name, frames=3).read_bytes()
             for name in ("a.gif", "b.gif")]
    assert files[0][:6] == b"GIF89a" and files[0] == files[1]


def test_frame_steps_are_evenly_spaced_and_distinct():
    assert animate.frame_steps(10, 5) == [0, 3, 5, 8, 10]
    assert animate.frame_steps(100, 2) == [0, 100]
    assert animate.frame_steps(3, 60) == [0, 1, 2, 3]  # a frame per step, no repeats
    assert animate.frame_steps(0, 60) == [0]
    steps = animate.frame_steps(1000, 60)
    assert len(steps) == 60 and len(set(steps)) == 60 and steps[-1] == 1000


def test_runs_are_cut_at_the_frame_step():
    walk, away = _runs()
    box = paths.sampled_box(data.surface_2d())
    record, shown = animate._cut(walk, np.asarray(walk["path"]), box, 4)
    np.testing.assert_array_equal(shown, walk["path"][:5])
    assert (record["status"], record["iteration"]) == ("max_iters", 4)
    assert animate._cut(walk, np.asarray(walk["path"]), box, 30)[0]["status"] == "converged"
    # The diverged run: inside the domain up to step 4; marked only once step 6 is reached.
    for step, status, points in ((2, "max_iters", 3), (5, "max_iters", 5), (6, "diverged", 5)):
        record, shown = animate._cut(away, np.asarray(away["path"]), box, step)
        assert record["status"] == status
        np.testing.assert_array_equal(shown, away["path"][:points])
    assert record["iteration"] == 6


def test_bad_input_writes_nothing(tmp_path):
    target = tmp_path / "x.gif"
    for kwargs, match in (({"frames": 1}, "`frames` must be an integer >= 2"),
                          ({"frames": 2.5}, "`frames`"), ({"fps": 0}, "`fps`")):
        with pytest.raises(ValueError, match=match):
            animate.animate_paths_2d(_runs(), data.surface_2d(), data.ROSENBROCK, target,
                                     **kwargs)
    with pytest.raises(ValueError, match="empty"):
        animate.animate_paths_2d([], data.surface_2d(), data.ROSENBROCK, target)
    with pytest.raises(ValueError, match="dim=1"):
        animate.animate_paths_2d(data.quartic_runs(), data.surface_1d(), data.QUARTIC, target)
    assert not list(tmp_path.iterdir())


def test_docstring_examples_run():
    assert doctest.testmod(animate).failed == 0
