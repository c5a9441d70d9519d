"""The schedule plot: one line per schedule at the values given, its scale, its errors."""

from __future__ import annotations

import numpy as np
import pytest

from coreopt.plots import schedules

STEPS = np.arange(50)


def test_each_schedule_is_one_line_through_its_values():
    values = {"linear": 0.1 * (1 - STEPS / 50), "constant": np.full(50, 0.05)}
    ax = schedules.plot_schedules(STEPS, values, ylabel="learning rate")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["linear", "constant"]
    for line, want in zip(lines, values.values()):
        np.testing.assert_array_equal(line.get_xdata(), STEPS)
        np.testing.assert_array_equal(line.get_ydata(), want)
    assert ax.get_yscale() == "linear" and ax.get_ylabel() == "learning rate"


def test_log_scale_only_for_positive_values_spanning_decades():
    decaying = 0.1 * 0.5 ** STEPS  # 15 decades, all positive
    assert schedules.plot_schedules(STEPS, {"exp": decaying}).get_yscale() == "log"
    reaching_zero = np.where(STEPS < 49, decaying, 0.0)
    assert schedules.plot_schedules(STEPS, {"exp": reaching_zero}).get_yscale() == "linear"


def test_values_that_do_not_line_up_are_refused_by_label():
    with pytest.raises(ValueError, match="'short' has 3 values for 50 steps"):
        schedules.plot_schedules(STEPS, {"short": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="no schedule"):
        schedules.plot_schedules(STEPS, {})
