from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import LogNorm

from coreopt.plots import style, sweeps

NAN = math.nan
LRS = (0.01, 0.1, 1.0, 10.0)


def _status(optimizer, lr, seed):
    """gd: out of budget at 0.01, 1 of 3 diverges at 1, all diverge at 10;
    adam: converges up to 1, at 10 one run runs out of budget and two diverge."""
    if optimizer == "gd":
        return {0.01: "max_iters", 10.0: "diverged"}.get(lr, "diverged" if (lr, seed) == (1.0, 0)
                                                         else "converged")
    return "converged" if lr < 10 else ("max_iters" if seed == 0 else "diverged")


def _sweep_frame():
    """Two optimizers (adam first) x four learning rates x three seeds on one function."""
    rows = []
    for optimizer in ("adam", "gd"):
        scale = 3 if optimizer == "adam" else 1
        for lr in LRS:
            for seed in range(3):
                status = _status(optimizer, lr, seed)
                iteration = {"converged": round(scale / lr) + seed, "max_iters": 500,
                             "diverged": 4}[status]
                gap = {"converged": lr / scale * 1e-3 * (seed + 1), "max_iters": 0.5,
                       "diverged": None}[status]
                rows.append({"optimizer": optimizer, "function": "bowl", "init": [1.0, -1.0],
                             "seed": seed, "status": status, "iteration": iteration,
                             "final_loss": 7.0, "gap": gap, "max_iters": 500,
                             "learning_rate": lr})
    return pd.DataFrame(rows)


# By hand: medians over converged runs (iteration), over runs that did not diverge (gap).
ITERATION = {"adam": [301.0, 31.0, 4.0, NAN], "gd": [NAN, 11.0, 2.5, NAN]}
GAP = {"adam": [2e-5 / 3, 2e-4 / 3, 2e-3 / 3, 0.5], "gd": [0.5, 2e-4, 2.5e-3, NAN]}


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def _in_axes_height(ax, line):
    """The y of a line's points as a fraction of the axes' height."""
    display = line.get_transform().transform(line.get_xydata())
    return ax.transAxes.inverted().transform(display)[:, 1]


def test_lr_sensitivity_draws_median_iterations_per_optimizer():
    ax = sweeps.plot_lr_sensitivity(_sweep_frame())
    lines = _lines(ax)
    for i, name in enumerate(("adam", "gd")):  # colours in order of first appearance
        np.testing.assert_array_equal(lines[name].get_xdata(), LRS)
        np.testing.assert_allclose(lines[name].get_ydata(), ITERATION[name])
        assert lines[name].get_color() == style.color(i)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_title() == "bowl" and ax.get_xlabel() == "learning rate"
    assert ax.get_ylabel() == "iterations to converge (median)"
    # A cell where some runs diverged: its converged runs' median, labelled "k/n".
    assert [(t.get_text(), t.xy) for t in ax.texts] == [("2/3", (1.0, 2.5))]


def test_lr_sensitivity_marks_diverged_and_out_of_budget_cells():
    ax = sweeps.plot_lr_sensitivity(_sweep_frame())
    lines = _lines(ax)
    diverged = lines["_diverged gd"]  # only gd has a cell where every run diverged
    assert "_diverged adam" not in lines
    np.testing.assert_array_equal(diverged.get_xdata(), [10.0])
    row = sweeps.DIVERGED_ROW - sweeps.ROW_STEP  # gd is the second optimizer
    np.testing.assert_allclose(_in_axes_height(ax, diverged), [row])
    assert diverged.get_marker() == "x" and diverged.get_color() == style.color(1)
    # Open circles at the budget where none converged (and not all diverged).
    for name, lr in (("adam", 10.0), ("gd", 0.01)):
        ring = lines[f"_max_iters {name}"]
        np.testing.assert_array_equal(ring.get_xydata(), [[lr, 500.0]])
        assert ring.get_markerfacecolor() == "none"
    # Rings nest where optimizers share a budget: the later optimizer's is larger.
    assert lines["_max_iters gd"].get_markersize() > lines["_max_iters adam"].get_markersize()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["adam", "gd", "diverged", "max_iters (did not converge)"]


def test_lr_sensitivity_of_the_gap():
    ax = sweeps.plot_lr_sensitivity(_sweep_frame(), metric="gap")
    lines = _lines(ax)
    for name in ("adam", "gd"):
        np.testing.assert_allclose(lines[name].get_ydata(), GAP[name], rtol=1e-12)
    np.testing.assert_allclose(lines["_max_iters adam"].get_xydata(), [[10.0, 0.5]])
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "final gap to the minimum (median)"


def test_lr_sensitivity_falls_back_to_the_final_loss_and_floors_zero_gaps():
    frame = _sweep_frame().assign(gap=None)
    frame.loc[frame["status"] == "converged", "final_loss"] = 0.0
    ax = sweeps.plot_lr_sensitivity(frame, metric="gap")
    assert ax.get_ylabel() == "final loss (median)"
    gd = _lines(ax)["gd"].get_ydata()
    np.testing.assert_allclose(gd, [7.0, sweeps.GAP_FLOOR, sweeps.GAP_FLOOR, NAN])


def test_lr_sensitivity_draws_the_stable_edges():
    for stable in ({"gd": 0.5, "adam": 5.0},
                   pd.DataFrame({"optimizer": ["gd", "adam"], "stable lr": [0.5, 5.0]}),
                   pd.DataFrame({"optimizer": ["gd", "adam"], "learning_rate": [0.5, 5.0]})):
        ax = sweeps.plot_lr_sensitivity(_sweep_frame(), stable=stable)
        lines = _lines(ax)
        for i, (name, lr) in enumerate((("adam", 5.0), ("gd", 0.5))):
            edge = lines[f"_stable {name}"]
            np.testing.assert_array_equal(edge.get_xdata(), [lr, lr])
            assert edge.get_linestyle() == "--" and edge.get_color() == style.color(i)
        assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "stable-lr edge"
    # An optimizer whose edge was not found (None) gets no line.
    ax = sweeps.plot_lr_sensitivity(_sweep_frame(), stable={"gd": None, "adam": 5.0})
    assert "_stable gd" not in _lines(ax) and "_stable adam" in _lines(ax)


def test_lr_sensitivity_with_linear_y_when_a_run_converged_at_step_zero():
    frame = pd.DataFrame({"optimizer": "gd", "learning_rate": [0.1, 1.0],
                          "status": "converged", "iteration": [0, 3]})
    fig, ax = style.new_figure()
    assert sweeps.plot_lr_sensitivity(frame, ax=ax) is ax
    assert ax.get_yscale() == "linear" and ax.get_title() == ""
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [0, 3])


def test_lr_sensitivity_bad_input():
    frame = _sweep_frame()
    two = pd.concat([frame, frame.assign(function="rosenbrock")])
    with pytest.raises(ValueError, match="several functions.*filter"):
        sweeps.plot_lr_sensitivity(two)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['learning_rate'\]"):
        sweeps.plot_lr_sensitivity(frame.drop(columns="learning_rate"))
    with pytest.raises(ValueError, match="unknown value 'loss'"):
        sweeps.plot_lr_sensitivity(frame, metric="loss")
    with pytest.raises(ValueError, match=r"optimizers \['sgd'\] that are not in the frame"):
        sweeps.plot_lr_sensitivity(frame, stable={"sgd": 1.0})
    with pytest.raises(ValueError, match="needs the columns 'optimizer'"):
        sweeps.plot_lr_sensitivity(frame, stable=pd.DataFrame({"optimizer": ["gd"]}))
    with pytest.raises(ValueError, match=r"positive number.*\['gd'\]"):
        sweeps.plot_lr_sensitivity(frame.assign(learning_rate=np.where(
            frame["optimizer"] == "gd", 0.0, frame["learning_rate"])))
    with pytest.raises(ValueError, match="unknown status"):
        sweeps.plot_lr_sensitivity(frame.assign(status="exploded"))
    with pytest.raises(ValueError, match="DataFrame"):
        sweeps.plot_lr_sensitivity(frame.to_dict("records"))
    with pytest.raises(ValueError, match="no rows"):
        sweeps.plot_lr_sensitivity(frame.iloc[:0])


def _heat_frame():
    """adam over learning_rate x beta_1 x 2 seeds, rows in a scrambled order."""
    rows = []
    for lr in (1.0, 0.01, 0.1):
        for beta_1 in (0.9, 0.5):
            for seed in (1, 0):
                status = ("max_iters" if (lr, beta_1) == (0.01, 0.5) else
                          "diverged" if lr == 1.0 and (beta_1 == 0.9 or seed == 1) else
                          "converged")
                iteration = {"converged": round(2 / lr) + round(10 * beta_1) + seed,
                             "max_iters": 1000, "diverged": 3}[status]
                rows.append({"optimizer": "adam", "function": "bowl", "status": status,
                             "iteration": iteration, "max_iters": 1000,
                             "gap": None if status == "diverged" else lr * beta_1,
                             "init": [float(seed), 2.0 * seed], "learning_rate": lr,
                             "beta_1": beta_1})
    return pd.DataFrame(rows)


def test_heatmap_colours_cells_by_median_iterations():
    ax = sweeps.plot_heatmap(_heat_frame(), "learning_rate", "beta_1")
    mesh = ax.collections[0]
    # Rows: beta_1 0.5, 0.9; columns: learning rate 0.01, 0.1, 1 (by hand).
    expected = [[NAN, 25.5, 7.0], [209.5, 29.5, NAN]]
    np.testing.assert_array_equal(mesh.get_array().filled(NAN).reshape(2, 3), expected)
    marks = {c.get_label(): c.get_offsets().tolist() for c in ax.collections[1:]}
    assert marks == {"diverged": [[2, 1]], "max_iters (did not converge)": [[0, 0]]}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.01", "0.1", "1"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.5", "0.9"]
    assert ax.get_xlabel() == "learning_rate" and ax.get_ylabel() == "beta_1"
    assert ax.get_title() == "adam on bowl"
    colorbar = ax.figure.axes[1]
    assert colorbar.get_ylabel() == "iterations to converge (median)"
    assert not isinstance(mesh.norm, LogNorm)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "diverged", "max_iters (did not converge)"]


def test_heatmap_of_the_gap_over_starting_points():
    ax = sweeps.plot_heatmap(_heat_frame(), "init[0]", "init[1]", value="gap")
    mesh = ax.collections[0]
    assert isinstance(mesh.norm, LogNorm)
    # Seed s started at (s, 2s): the diagonal cells hold all the runs of that seed.
    gaps = {s: [lr * b for lr in (1.0, 0.01, 0.1) for b in (0.9, 0.5)
                if not (lr == 1.0 and (b == 0.9 or s == 1))] for s in (0, 1)}
    expected = [[np.median(gaps[0]), NAN], [NAN, np.median(gaps[1])]]
    np.testing.assert_allclose(mesh.get_array().filled(NAN).reshape(2, 2), expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "2"]
    assert ax.figure.axes[1].get_ylabel() == "final gap to the minimum (median)"
    assert len(ax.collections) == 1 and ax.get_legend() is None  # no cell without a value


def test_heatmap_bad_input():
    frame = _heat_frame()
    with pytest.raises(ValueError, match="several optimizers.*'optimizer'"):
        sweeps.plot_heatmap(pd.concat([frame, frame.assign(optimizer="gd")]),
                            "learning_rate", "beta_1")
    with pytest.raises(ValueError, match="several functions"):
        sweeps.plot_heatmap(pd.concat([frame, frame.assign(function="f")]),
                            "learning_rate", "beta_1")
    with pytest.raises(ValueError, match="'beta_2' is not a column"):
        sweeps.plot_heatmap(frame, "learning_rate", "beta_2")
    with pytest.raises(ValueError, match="fewer than 3 coordinates"):
        sweeps.plot_heatmap(frame, "learning_rate", "init[2]")
    with pytest.raises(ValueError, match="finite number"):
        sweeps.plot_heatmap(frame.assign(beta_1="high"), "learning_rate", "beta_1")
    with pytest.raises(ValueError, match="unknown value"):
        sweeps.plot_heatmap(frame, "learning_rate", "beta_1", value="distance")


def test_same_frames_give_the_same_png(tmp_path):
    for name, draw in (("sens", lambda: sweeps.plot_lr_sensitivity(
                           _sweep_frame(), stable={"gd": 0.5})),
                       ("heat", lambda: sweeps.plot_heatmap(_heat_frame(), "learning_rate",
                                                            "beta_1", value="gap"))):
        a = style.save(draw().figure, tmp_path / f"{name}_a.png").read_bytes()
        b = style.save(draw().figure, tmp_path / f"{name}_b.png").read_bytes()
        assert a == b


def test_docstring_examples_run():
    assert doctest.testmod(sweeps).failed == 0
