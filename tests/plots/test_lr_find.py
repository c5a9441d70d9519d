from __future__ import annotations

import numpy as np

from coreopt.plots import lr_find

LRS = np.exp(np.linspace(np.log(1e-5), 0.0, 11))
RECORD = {"optimizer": "adam", "data": "digits", "lrs": LRS.tolist(),
          "losses": [2.3, 2.4, 2.2, 2.0, 1.5, 1.0, 0.9, 1.2, 3.0, 8.0, 20.0],
          "smoothed": [2.3, 2.35, 2.3, 2.2, 1.9, 1.5, 1.2, 1.2, 1.8, 3.5, 7.0],
          "suggestions": {"steepest": {"lr": LRS[4], "loss": 1.9},
                          "minimum": {"lr": LRS[6] / 10, "loss": 2.3},
                          "valley": None}}


def test_draws_both_curves_on_a_log_axis_and_marks_each_suggestion():
    ax = lr_find.plot_lr_find(RECORD)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ["loss", "smoothed loss", f"steepest: {LRS[4]:.2e}",
                           f"minimum / 10: {LRS[6] / 10:.2e}"]
    np.testing.assert_allclose(lines["smoothed loss"].get_ydata(), RECORD["smoothed"])
    assert lines[f"steepest: {LRS[4]:.2e}"].get_xdata()[0] == LRS[4]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.texts] == [f"steepest: {LRS[4]:.2e}",
                                                f"minimum / 10: {LRS[6] / 10:.2e}"]
    assert ax.get_ylim()[1] < 20.0  # the raw spike does not set the scale


def test_saves_a_png(tmp_path):
    path = lr_find.save_lr_find(RECORD, tmp_path / "lr_find.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
