"""The HTML report in a real headless Chromium: every figure loads, the table is there."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from coreopt.plots import style
from coreopt.report import Report, Section
from tests.report.browser import open_report, require_chromium, save_screenshot

TABLE = pd.DataFrame({"optimizer": ["gd", "momentum", "adam"],
                      "learning_rate": [1e-2, 1e-2, 1e-1],
                      "status": ["converged", "converged", "diverged"],
                      "iteration": [412, 97, 6]})
CAPTIONS = ["loss curves", "the Rosenbrock valley"]


def figures(folder):
    """Two real PNG figures in coreopt's style: a line plot and a contour plot."""
    fig, ax = style.new_figure()
    steps = np.arange(200)
    for i, rate in enumerate([0.01, 0.03, 0.1]):
        ax.semilogy(steps, np.exp(-rate * steps) + 1e-3, color=style.color(i), label=f"lr {rate}")
    ax.legend()
    curves = style.save(fig, folder / "curves.png")
    fig, ax = style.new_figure()
    x, y = np.meshgrid(np.linspace(-2, 2, 80), np.linspace(-1, 3, 80))
    ax.contourf(x, y, np.log1p((1 - x) ** 2 + 100 * (y - x**2) ** 2), levels=20)
    valley = style.save(fig, folder / "valley.png")
    return [(curves, CAPTIONS[0]), (valley, CAPTIONS[1])]


@pytest.fixture
def report_page(tmp_path):
    require_chromium()
    report = Report("Convergence runs", config={"max_iters": 2000},
                    sections=[Section("Outcomes", "Three runs on seed_quartic.", TABLE,
                                      figures(tmp_path))])
    page, _ = report.write(tmp_path / "report")
    return page


def test_report_opens_in_chromium_with_every_image_and_the_table(report_page, tmp_path):
    seen = open_report(report_page, tmp_path / "report.png")
    assert seen["title"] == "Convergence runs"
    assert seen["images"]["count"] == len(CAPTIONS)
    assert seen["images"]["loaded"] == len(CAPTIONS) and seen["images"]["broken"] == []
    width, height = style.FIGSIZE[0] * style.DPI, style.FIGSIZE[1] * style.DPI
    assert all(abs(w - width) <= 2 and abs(h - height) <= 2 for w, h in seen["images"]["sizes"])
    [table] = seen["tables"]
    assert table["headers"] == list(TABLE.columns) and table["rows"] == len(TABLE)
    assert table["cells"][2] == ["adam", "0.1", "diverged", "6"]
    assert seen["external_requests"] == [] and seen["errors"] == []

    shot = seen["screenshot"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(shot) as image:
        assert image.format == "PNG" and list(image.size) == seen["page_size"]
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 50  # not blank: text, table and plots
    blue = [int(style.color(0)[i:i + 2], 16) for i in (1, 3, 5)]
    assert (pixels == blue).all(axis=1).any()  # the first curve's colour is on screen
    save_screenshot(shot, "report.png")


def test_a_corrupted_image_is_reported_as_not_loaded(report_page, tmp_path):
    html = report_page.read_text()
    # The second figure's data URI: same length of base64, but not a PNG any more.
    payloads = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(payloads) == 2
    broken = tmp_path / "broken.html"
    broken.write_text(html.replace(payloads[1], "A" * len(payloads[1])))
    seen = open_report(broken, tmp_path / "broken.png")
    assert seen["images"]["count"] == 2 and seen["images"]["loaded"] == 1
    assert seen["images"]["broken"] == [CAPTIONS[1]]
    assert seen["tables"][0]["rows"] == len(TABLE)
    assert seen["screenshot"].is_file()
