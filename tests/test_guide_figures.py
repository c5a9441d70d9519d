"""The guide's two figures, made by coreopt, show the guide's own paths (and more).

The oracle is the guide's code: its convergence test and optimizers, transcribed
below from the guide ("Optimizers with Core APIs"), and, where the guide's file
is beside the project (../shared/seed/seed_reference.py), that file itself, whose
`viz_paths` draws the guide's figure with pyplot; the lines of both figures are
compared point by point.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import pathlib
import sys

import numpy as np
import pytest
import tensorflow as tf
from matplotlib.text import Annotation

from coreopt import lab
from coreopt.report import tour_sections

SEED = pathlib.Path(__file__).resolve().parents[2] / "shared/seed/seed_reference.py"
RATES = (1e-3, 1e-2, 1e-1)
ORDER = ("gd", "momentum", "adam")


# ---------------------------------------------------------------- the guide, transcribed
class GuideGD:
    def __init__(self, learning_rate):
        self.lr = learning_rate

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            v.assign_sub(self.lr * g)


class GuideMomentum:
    def __init__(self, learning_rate, momentum=0.7):
        self.lr, self.momentum, self.change = learning_rate, momentum, 0.0

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            change = self.lr * g + self.momentum * self.change
            v.assign_sub(change)
            self.change = change


class GuideAdam:
    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, ep=1e-7):
        self.lr, self.b1, self.b2, self.ep, self.t = learning_rate, beta_1, beta_2, ep, 1.0
        self.m = self.s = None

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            if self.m is None:
                self.m, self.s = tf.zeros(v.shape), tf.zeros(v.shape)
            self.m = self.b1 * self.m + (1 - self.b1) * g
            self.s = self.b2 * self.s + (1 - self.b2) * tf.square(g)
            m_hat, s_hat = self.m / (1 - self.b1**self.t), self.s / (1 - self.b2**self.t)
            v.assign_sub(self.lr * (m_hat / (tf.sqrt(s_hat) + self.ep)))
        self.t += 1.0


def guide_path(optimizer, max_iters=2000) -> list:
    """The guide's convergence test: the parameter after each step; [] when it exploded."""
    x = tf.Variable(2.0)
    path = []
    for _ in range(max_iters):
        with tf.GradientTape() as tape:
            loss = 2 * x**4 + 3 * x**3 + 2
        g = tape.gradient(loss, x)
        if tf.math.is_nan(g):
            return []
        old = x.numpy()
        optimizer.apply_gradients([g], [x])
        path.append(x.numpy())
        if x.numpy() == old:
            break
    return path


# ---------------------------------------------------------------- coreopt's figures
@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """coreopt's guide figures for the guide's nine runs: {name: (runs, axes lines)}."""
    runs = lab.sweep_runs(list(ORDER), "seed_quartic", {"learning_rate": list(RATES)},
                          starts=[[2.0]], max_iters=2000, rule="exact", keep_paths=True)
    made = tour_sections.guide_figures(runs, tmp_path_factory.mktemp("guide"))
    return runs, made


def assert_written(made, name):
    from PIL import Image

    path = next(p for p, _ in made if p.name == name)
    assert Image.open(path).format == "PNG"


def our_lines(runs, name):
    """The lines coreopt's path figure draws for `name`, redrawn from the same runs."""
    from coreopt.lab.surface import surface
    from coreopt.plots import paths

    f = lab.grid.function("seed_quartic")
    ax = paths.plot_paths_1d([r for r in runs if r.optimizer == name], surface(f, 201),
                             f.to_dict())
    return {line.get_label(): line for line in ax.get_lines()}, ax


# coreopt's step is XLA-compiled, which fuses x - lr * u into one rounding where the guide's
# eager ops round twice; Adam's paths part in the last bits from step 14 on (the largest
# gap, 1.8e-4, is under a tenth of a pixel: the y axis spans 4 over ~350 pixels), with the
# same length (and, when they converge, the same end).
PIXEL_TENTH = 1e-3


def assert_same_path(line, guide, label):
    """The figure's line from step 1 on is the guide's path, at the guide's iterations."""
    x, y = line.get_xdata(), line.get_ydata()
    assert len(y) == len(guide) + 1, label  # coreopt also draws the start, x_0 = 2
    np.testing.assert_array_equal(x[1:], np.arange(1, len(guide) + 1))
    np.testing.assert_allclose(y[1:], np.asarray(guide, np.float64), rtol=0,
                               atol=PIXEL_TENTH, err_msg=label)
    if len(guide) < 2000:  # converged: at the very same point
        assert y[-1] == np.float32(guide[-1]), label


@pytest.mark.parametrize("name, cls", [  # by default gd's (one run diverges); all in the slow tier
    ("gd", GuideGD), pytest.param("momentum", GuideMomentum, marks=pytest.mark.slow),
    pytest.param("adam", GuideAdam, marks=pytest.mark.slow)])
def test_path_figure_shows_the_guides_paths(figures, name, cls):
    runs, made = figures
    assert_written(made, f"guide-{name}-paths.png")
    lines, ax = our_lines(runs, name)
    diverged = 0
    for lr in RATES:
        guide = guide_path(cls(lr))
        line = lines[f"{name} lr={lr:g}"]
        if guide:
            assert_same_path(line, guide, f"{name} lr={lr:g}")
        else:  # the guide drops an exploded run; coreopt draws it and marks its step
            diverged += 1
            assert len(line.get_ydata()) >= 2
            assert any(isinstance(t, Annotation) and t.get_text() == "diverged at step 6"
                       for t in ax.texts)
    assert diverged == (1 if name in ("gd", "momentum") else 0)


def test_loss_figure_shows_the_guides_curves(figures):
    from coreopt.lab.surface import surface
    from coreopt.plots import functions as fplots

    _, made = figures
    assert_written(made, "guide-loss.png")
    f = lab.grid.function("seed_quartic")
    ax = fplots.plot_function_1d(surface(f, 201), f.to_dict())
    loss, grad = ax.get_lines()[:2]
    x = np.linspace(-2, 2, 201)
    np.testing.assert_allclose(loss.get_xdata(), x)
    np.testing.assert_allclose(loss.get_ydata(), 2 * x**4 + 3 * x**3 + 2, rtol=1e-12)
    np.testing.assert_allclose(grad.get_ydata(), 8 * x**3 + 9 * x**2, rtol=1e-12, atol=1e-12)
    marked = {c.get_label(): c.get_offsets()[0].tolist() for c in ax.collections}
    np.testing.assert_allclose(marked["global minimum"], [-9 / 8, 2 * (9 / 8) ** 4
                                                          - 3 * (9 / 8) ** 3 + 2])
    np.testing.assert_allclose(marked["saddle"], [0.0, 2.0])


# ---------------------------------------------------------------- the guide's own file
def load_seed(scratch):
    spec = importlib.util.spec_from_file_location("seed_reference", SEED)
    module = importlib.util.module_from_spec(spec)
    argv = sys.argv
    with contextlib.redirect_stdout(io.StringIO()):
        sys.argv = [str(SEED), str(scratch)]  # its import draws one figure into argv[1]
        try:
            spec.loader.exec_module(module)
        finally:
            sys.argv = argv
    return module


@pytest.mark.slow  # 25-45 s: runs the guide's own code, which draws all of its figures
@pytest.mark.skipif(not SEED.is_file(), reason=f"the guide's own code is not at {SEED}")
def test_path_figures_match_the_guides_own_figures(figures, tmp_path):
    """The guide's `viz_paths` lines (pyplot) against coreopt's, for all three optimizers."""
    seed = load_seed(tmp_path)
    plt = seed.plt
    runs, _ = figures
    for name, cls in (("gd", seed.GradientDescent), ("momentum", seed.Momentum),
                      ("adam", seed.Adam)):
        with contextlib.redirect_stdout(io.StringIO()):
            pm = {lr: seed.convergence_test(cls(learning_rate=lr), loss_fn=seed.loss)
                  for lr in RATES}
        plt.figure()
        seed.viz_paths(pm, seed.x_vals, seed.loss, name)
        theirs = [ln for ln in plt.gca().get_lines() if len(ln.get_xdata()) > 1]
        plt.close("all")
        lines, _ = our_lines(runs, name)
        kept = [lr for lr in RATES if len(pm[lr])]
        assert len(theirs) == len(kept)
        for lr, line in zip(kept, theirs):
            assert_same_path(lines[f"{name} lr={lr:g}"], line.get_ydata(), f"{name} {lr}")
            np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(pm[lr]) + 1))
