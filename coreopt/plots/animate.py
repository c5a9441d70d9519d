"""Animated GIFs of 2-D runs: their trajectories growing over the contours, step by step.

Each frame is the picture of `paths.plot_paths_2d` (same contours, colours, markers and
legend) with every run cut at the frame's step, and the step in the title. All runs
share one clock: a run that stops early (converged, or diverged) stays as it ended
while the others go on. A diverged run grows until it leaves the domain; its "x" and
"diverged at step N" appear once the clock reaches its last recorded step. The GIF is
written atomically, with one palette for all frames and no dithering, so the same
inputs give the same bytes. Nothing here imports TensorFlow.

Example:
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from PIL import Image
    >>> from coreopt.plots import animate
    >>> x, y = np.linspace(-2, 2, 21), np.linspace(-2, 2, 21)
    >>> surface = {"x": x, "y": y, "loss": x[None, :] ** 2 + y[:, None] ** 2}
    >>> f = {"name": "bowl", "dim": 2, "minimizers": [[0.0, 0.0]], "minimum": 0.0}
    >>> run = {"optimizer": "gd", "config": {"learning_rate": 0.25}, "status": "max_iters",
    ...        "iteration": 4, "path": [[1.6 * 0.5**k, -1.6 * 0.5**k] for k in range(5)]}
    >>> out = animate.animate_paths_2d([run], surface, f, pathlib.Path(tempfile.mkdtemp())
    ...                                / "bowl.gif", frames=3)
    >>> Image.open(out).n_frames
    3
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from PIL import Image

from coreopt import files
from coreopt.plots import _records
from coreopt.plots.functions import plot_contours_2d
from coreopt.plots.paths import BACKGROUND, draw_runs_2d, kept_2d, sampled_box
from coreopt.plots.style import style

COLORS = 255  # the GIF palette's size (one entry left for the format)


def frame_steps(last: int, frames: int) -> list[int]:
    """The step each frame shows: 0 to `last`, evenly spaced, rounded, all different.

    There are `frames` of them, or `last + 1` when the runs have fewer steps than that
    (a frame per step; frames that repeat a picture would be merged by the GIF format).

    Example:
        >>> frame_steps(10, 3), frame_steps(2, 60)
        ([0, 5, 10], [0, 1, 2])
    """
    n = min(frames, last + 1)
    if n == 1:
        return [0]
    return [int(np.floor(k * last / (n - 1) + 0.5)) for k in range(n)]


def _cut(run, points: np.ndarray, box, step: int) -> tuple[dict, np.ndarray]:
    """The run as it stood at `step`: its path up to there (for a diverged run, at most up
    to where it leaves the domain), its own status once `step` reaches its end."""
    last = len(points) - 1
    ended = step >= last
    status = _records.field(run, "status") if ended else "max_iters"
    shown = points[:min(step + 1, kept_2d(run, points, box))]
    record = {"optimizer": _records.field(run, "optimizer", "run"),
              "config": _records.field(run, "config") or {}, "status": status,
              "iteration": _records.field(run, "iteration", last) if ended else step}
    return record, shown


def _render(ax: Axes, runs, points: list, box, step: int, title: str,
            draws: int = 1) -> np.ndarray:
    """The RGB pixels of the figure with the runs cut at `step` (drawn `draws` times);
    the runs' artists are removed again afterwards, leaving the contours."""
    before = (len(ax.lines), len(ax.collections), len(ax.texts))
    cut = [_cut(run, p, box, step) for run, p in zip(runs, points)]
    draw_runs_2d(ax, [r for r, _ in cut], [p for _, p in cut], box)
    with style():
        ax.set_title(f"{title} (step {step})")
        for _ in range(draws):
            ax.figure.canvas.draw()
    pixels = np.asarray(ax.figure.canvas.buffer_rgba())[..., :3].copy()
    for artist in [*ax.lines[before[0]:], *ax.collections[before[1]:], *ax.texts[before[2]:]]:
        artist.remove()
    return pixels


def to_palette(images: list[np.ndarray]) -> list[Image.Image]:
    """RGB frames as palette images sharing the last frame's palette (median cut, no
    dithering): the same pixels always give the same palette indices."""
    palette = Image.fromarray(images[-1]).quantize(COLORS, method=Image.Quantize.MEDIANCUT,
                                                  dither=Image.Dither.NONE)
    return [Image.fromarray(im).quantize(palette=palette, dither=Image.Dither.NONE)
            for im in images]


def _write_gif(frames: list[Image.Image], path: Path, fps: float) -> Path:
    """Writes the frames as a looping GIF at `path`, atomically (temp file, then rename)."""
    with files.atomic(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                       duration=round(1000 / fps), loop=0, optimize=False)
    return path


def _check(frames, fps) -> None:
    """A ValueError naming `frames` or `fps` when out of range."""
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 2:
        raise ValueError(f"animate_paths_2d: `frames` must be an integer >= 2; got {frames!r}.")
    if not isinstance(fps, (int, float)) or not 0 < fps <= 100:
        raise ValueError(f"animate_paths_2d: `fps` must be a number in (0, 100] (GIF frame "
                         f"times are whole hundredths of a second); got {fps!r}.")


def animate_paths_2d(runs, surface: dict, function: dict, path, *, frames: int = 60,
                     fps: float = 15) -> Path:
    """An animated GIF of 2-D runs' trajectories over the contours of log(loss - minimum).

    Frame k shows every run up to step round(k * S / (frames - 1)), k = 0 ... frames - 1,
    S the most steps of any run (fewer frames, one per step, when S + 1 < frames); its
    title is the function's name and the step. All frames keep the layout of the last,
    which is `plot_paths_2d`'s picture of the runs (title aside).

    Args:
        runs: run records (objects or dicts) on a 2-D function, with paths.
        surface: `{"x": [nx], "y": [ny], "loss": [ny, nx]}` sampled over the domain.
        function: the `TestFunction.to_dict()` description (dim 2).
        path: the GIF file to write; its folder must exist.
        frames: the number of frames (at least 2).
        fps: frames per second.

    Returns:
        The `Path` written.

    Raises:
        ValueError: the function is not 2-D, `runs` is empty, a run has no path, or
            `frames` / `fps` is out of range; nothing is written then.
    """
    _check(frames, fps)
    _records.check_dim(function, (2,), "animate_paths_2d")
    if not runs:
        raise ValueError("animate_paths_2d: `runs` is empty: nothing to animate.")
    points = [_records.path_array(run, 2) for run in runs]
    ax = plot_contours_2d(surface, function, cmap=BACKGROUND)
    box, title = sampled_box(surface), function.get("name", "")
    steps = frame_steps(max(len(p) for p in points) - 1, int(frames))
    # The layout of the final picture, for every frame: constrained layout settles on
    # its second pass, then stays put, so no frame moves the axes.
    _render(ax, runs, points, box, steps[-1], title, draws=2)
    ax.figure.set_layout_engine("none")
    images = [_render(ax, runs, points, box, step, title) for step in steps]
    return _write_gif(to_palette(images), Path(path), fps)
