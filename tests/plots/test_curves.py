from __future__ import annotations

import numpy as np
import pytest

from coreopt.plots import curves, style
from tests.plots import data


def test_curves_draw_gap_and_gradient_norm_on_log_scales():
    runs = data.quartic_runs()
    ax_gap, ax_grad = curves.plot_curves(runs, data.QUARTIC)
    assert ax_gap.get_yscale() == "log" and ax_grad.get_yscale() == "log"
    assert ax_gap.get_ylabel() == "loss - minimum" and ax_grad.get_ylabel() == "gradient norm"
    for ax, key, shift in ((ax_gap, "loss", data.QUARTIC_MIN), (ax_grad, "grad_norm", 0.0)):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["gd lr=0.01", "gd lr=0.05", "gd lr=0.3"]
        shown = []
        for line, run in zip(lines, runs):
            values = np.asarray(run[key]) - shift
            values[~np.isfinite(values)] = np.nan  # overflowed values: a gap in the line
            shown.append(values)
            np.testing.assert_allclose(line.get_ydata(), values)
            np.testing.assert_array_equal(line.get_xdata(), np.arange(run["steps"] + 1))
        # One "x" per diverged run, at its last finite value.
        marks = sorted(c.get_offsets()[0].tolist() for c in ax.collections)
        last = [np.flatnonzero(np.isfinite(v))[-1] for v in shown[1:]]
        expected = sorted([i, v[i]] for i, v in zip(last, shown[1:]))
        np.testing.assert_allclose(marks, expected)
    legend = [t.get_text() for t in ax_gap.get_legend().get_texts()]
    assert legend == ["gd lr=0.01", "gd lr=0.05", "gd lr=0.3"]


def test_curves_leave_gaps_where_a_log_scale_cannot_draw():
    run = {"optimizer": "gd", "config": {}, "status": "diverged", "iteration": 3,
           "loss": [3.0, 1.0, 2.0, float("inf")], "grad_norm": [1.0, 0.0, 2.0, float("nan")]}
    ax_gap, ax_grad = curves.plot_curves([run], dict(data.QUARTIC, minimum=1.0))
    np.testing.assert_array_equal(ax_gap.get_lines()[0].get_ydata(), [2.0, np.nan, 1.0, np.nan])
    np.testing.assert_array_equal(ax_grad.get_lines()[0].get_ydata(), [1.0, np.nan, 2.0, np.nan])
    assert ax_gap.get_lines()[0].get_label() == "gd"
    np.testing.assert_allclose(ax_grad.collections[0].get_offsets(), [[2.0, 2.0]])


def test_curves_on_given_axes_and_without_a_minimum():
    fig, (a, b) = style.new_figure(1, 2)
    out = curves.plot_curves(data.quartic_runs()[:1], dict(data.QUARTIC, minimum=None), a, b)
    assert out == (a, b) and a.get_ylabel() == "loss"
    np.testing.assert_allclose(a.get_lines()[0].get_ydata(), data.quartic_runs()[0]["loss"])
    with pytest.raises(ValueError, match="both"):
        curves.plot_curves(data.quartic_runs(), data.QUARTIC, ax_gap=a)
    with pytest.raises(ValueError, match="empty"):
        curves.plot_curves([], data.QUARTIC)
