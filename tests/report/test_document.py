"""Reports: self-contained HTML (every figure embedded), Markdown, safe writing."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest

from coreopt.report import Report, Section

PNG = base64.b64decode(  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def report(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(PNG)
    b.write_bytes(PNG + b"\0")
    table = pd.DataFrame({"optimizer": ["adam", "gd"], "status": ["converged", "diverged"],
                          "iteration": [1156, 6]})
    return Report("Runs <&>", config={"max_iters": 2000}, versions={"coreopt": "0.1.0"},
                  sections=[Section("Outcomes", "Two runs.\n\nSecond paragraph.", table,
                                    [(a, "paths"), (b, "curves")])])


def test_html_embeds_every_figure_and_the_table(tmp_path):
    page = report(tmp_path).to_html()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert [base64.b64decode(i) for i in images] == [PNG, PNG + b"\0"]
    assert "<td>adam</td>" in page and "<td>1156</td>" in page
    assert "Runs &lt;&amp;&gt;" in page and "<p>Second paragraph.</p>" in page
    assert "http" not in page.replace("<!DOCTYPE html>", "") and "<script" not in page


def test_markdown_has_the_table_and_links_the_figures(tmp_path):
    text = report(tmp_path).to_markdown(tmp_path)
    assert "| optimizer | status | iteration |" in text and "| adam | converged | 1156 |" in text
    assert "![paths](a.png)" in text and "- max_iters: 2000" in text


def test_write_makes_both_files_and_checks_figures_first(tmp_path):
    page, text = report(tmp_path).write(tmp_path / "out")
    assert page.read_text().startswith("<!DOCTYPE html>") and text.read_text().startswith("# ")
    broken = Report("x", sections=[Section("s", figures=[(tmp_path / "missing.png", "m")])])
    with pytest.raises(FileNotFoundError, match="missing.png"):
        broken.write(tmp_path / "never")
    assert not (tmp_path / "never").exists()
