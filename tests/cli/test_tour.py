"""`coreopt tour`, the main job: the guide's table and figures, then more, in one report."""

from __future__ import annotations

import contextlib
import io

import pandas as pd
import pytest

import coreopt
from coreopt.cli.main import main
from coreopt.lab import tour as lab_tour
from coreopt.report import tour
from tests.report.browser import open_report, require_chromium, save_screenshot
from tests.test_guide import GUIDE

FIGURES = ["guide-loss.png", "guide-gd-paths.png", "guide-momentum-paths.png",
           "guide-adam-paths.png", "fair-rosenbrock.png", "fair-rosenbrock.gif",
           "fair-himmelblau.png", "sensitivity.png"]


def _run(folder, *args):
    """The tour through the command line: (its folder, what it printed)."""
    out = folder / "coreopt-out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["tour", "--out", str(out), *args]) == 0
    return out, printed.getvalue()


@pytest.fixture(scope="module")
def toured(tmp_path_factory):
    """The tour run once, parts 2 and 3 on the guide's three optimizers, the first three it
    animates (the full tour: slow tier)."""
    return _run(tmp_path_factory.mktemp("tour"), "--optimizers",
                ",".join(lab_tour.ANIMATED[:3]))


@pytest.mark.slow
def test_the_full_tour_compares_every_optimizer_that_steps_vectors(tmp_path):
    out, printed = _run(tmp_path)
    vectors = set(coreopt.names(rank=1))
    for part in ("fair-rosenbrock", "fair-himmelblau", "sensitivity"):
        assert set(pd.read_csv(out / part / "results.csv").optimizer) == vectors, part
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(FIGURES)
    assert "Every registered optimizer that steps vectors" in (out / "report.md").read_text()


def test_tour_reproduces_the_guides_table(toured):
    out, printed = toured
    table = pd.read_csv(out / "guide" / "results.csv")
    found = {(r.optimizer, r.learning_rate): (r.status, r.iteration) for r in table.itertuples()}
    assert found == GUIDE
    for (name, _), (status, iteration) in GUIDE.items():
        assert any(line.split()[:1] == [name] and status in line and f" {iteration} " in line
                   for line in printed.splitlines())
    assert f"report: {out / 'report.html'}" in printed


def test_tour_writes_every_figure_and_the_report(toured):
    out, _ = toured
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(FIGURES)
    text = (out / "report.md").read_text()
    for name in FIGURES:
        assert f"](figures/{name})" in text
    assert "smallest final gap to the minimum after 500 steps among 64 log-spaced" in text
    assert ("Its outcomes: gradient descent runs out at 1e-3 and 1e-2 and diverges at step 6 "
            "at 1e-1; momentum runs out at 1e-3, converges in 80 steps at 1e-2 and diverges "
            "at step 6 at 1e-1; Adam runs out at 1e-3 and 1e-2 and converges in 1156 steps "
            "at 1e-1.") in text  # written from the guide's records
    assert (out / tour.MARKER).is_file()
    for part in ("guide", "fair-rosenbrock", "fair-himmelblau", "sensitivity"):
        assert (out / part / "results.csv").is_file()


def test_tour_report_opens_in_chromium(toured, tmp_path):
    require_chromium()
    out, _ = toured
    shot = tmp_path / "tour.png"
    seen = open_report(out / "report.html", shot)
    assert seen["images"]["count"] == len(FIGURES)
    assert seen["images"]["loaded"] == len(FIGURES), seen["images"]["broken"]
    assert seen["external_requests"] == [] and seen["errors"] == []
    guide = seen["tables"][0]
    assert guide["rows"] == 9 and "status" in guide["headers"]
    assert len(seen["tables"]) == 4  # the guide, two fair comparisons, the stable edges
    assert shot.is_file()
    save_screenshot(shot, "tour-report.png")
