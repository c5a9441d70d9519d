from __future__ import annotations

import numpy as np
import pytest

from coreopt.plots import training

HISTORIES = {
    "adam": [{"epoch": e, "step": 10 * e, "loss": 1.0 / e, "accuracy": 0.5 + 0.1 * e,
              "test_loss": 1.2 / e, "test_accuracy": 0.4 + 0.1 * e, "time_s": 0.5}
             for e in (1, 2, 3)],
    "lion": [{"epoch": e, "step": 10 * e, "loss": 2.0 / e, "accuracy": 0.3 + 0.1 * e,
              "test_loss": 2.2 / e, "test_accuracy": 0.2 + 0.1 * e, "time_s": 0.25}
             for e in (1, 2, 3)],
}


def test_curves_plot_the_records():
    fig = training.curve_figure(HISTORIES, "accuracy")
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert set(lines) == {"adam train", "adam test", "lion train", "lion test"}
    np.testing.assert_allclose(lines["lion test"].get_ydata(), [0.3, 0.4, 0.5])
    np.testing.assert_allclose(lines["adam train"].get_xdata(), [1, 2, 3])


def test_save_curves_writes_png(tmp_path):
    paths = training.save_curves(HISTORIES, tmp_path)
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accuracy.png", "loss.png"]


def test_tables():
    summary = training.summary_table(HISTORIES)
    assert "| adam | 3 | 0.3333 | 0.4000 | 0.7000 | 0.7000 (3) | 1.50 |" in summary
    rows = training.history_rows(HISTORIES)
    assert len(rows) == 6 and rows[3]["optimizer"] == "lion"
    assert training.epoch_table(HISTORIES).count("\n") == 2 + 6


def test_bad_input():
    with pytest.raises(ValueError, match="metric"):
        training.curve_figure(HISTORIES, "f1")
    with pytest.raises(ValueError, match="empty"):
        training.curve_figure({}, "loss")
