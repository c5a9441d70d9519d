"""`coreopt tour`, the main job: the guide's table and figures, then more, in one report."""

from __future__ import annotations

import contextlib
import io

import pandas as pd
import pytest

import coreopt
from coreopt.cli import tour
from coreopt.cli.main import main
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
    """The tour run once, parts 2 and 3 on the six it animates (the full tour: slow tier)."""
    return _run(tmp_path_factory.mktemp("tour"), "--optimizers", ",".join(tour.ANIMATED))


@pytest.mark.slow
def test_the_full_tour_compares_every_optimizer_that_steps_vectors(tmp_path):
    out, printed = _run(tmp_path)
    vectors = set(coreopt.names(rank=1))
    for part in ("fair-rosenbrock", "fair-himmelblau", "sensitivity"):
        assert set(pd.read_csv(out / part / "results.csv").optimizer) == vectors, part
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(FIGURES)
    assert "Every registered optimizer that steps vectors" in (out / "report.md").read_text()


@pytest.mark.parametrize("names, message", [("adam,adamm", "Did you mean 'adam'"),
                                            ("adam,ema", "'ema' is a wrapper"),
                                            ("adam,muon", "'muon' cannot step"),
                                            ("adam,", "comma-separated names")])
def test_bad_optimizers_are_refused_before_any_work(tmp_path, names, message):
    with pytest.raises(ValueError, match=message):
        tour.tour(tmp_path / "out", optimizers=names.split(","))
    assert list(tmp_path.iterdir()) == []


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


def test_a_folder_with_other_data_is_refused_before_any_work(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="holds other data"):
        tour.tour(out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no staging folder left


def test_an_unwritable_place_is_refused_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match="cannot be written"):
        tour.tour(blocker / "out")


def test_a_new_tour_replaces_an_old_one_whole(tmp_path):
    old, new = tmp_path / "coreopt-out", tmp_path / ".staging"
    for folder, name in ((old, "stale.png"), (new, "fresh.png")):
        (folder / "figures").mkdir(parents=True)
        (folder / "figures" / name).write_text(name)
        (folder / tour.MARKER).write_text("{}")
    tour._check_replaceable(old)
    tour._swap(new, old)
    assert [p.name for p in (old / "figures").iterdir()] == ["fresh.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coreopt-out"]


def _dead_pid() -> int:
    """The process id of a process that has ended."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_tours_staging_folder_is_removed_by_the_next(tmp_path, monkeypatch):
    out = tmp_path / "coreopt-out"
    killed = tmp_path / ".coreopt-out-killed"  # as a killed tour leaves it: mark, half a build
    (killed / "figures").mkdir(parents=True)
    (killed / tour.STAGING).write_text(f"{_dead_pid()}\n")
    running = tmp_path / ".coreopt-out-running"  # a tour building now (this process)
    running.mkdir()
    (running / tour.STAGING).write_text(f"{__import__('os').getpid()}\n")
    users = [tmp_path / ".coreopt-out-notes", tmp_path / ".other"]  # no mark: not a tour's
    for folder in users:
        folder.mkdir()
        (folder / "keep.txt").write_text("keep me")

    def build(folder, log, names):
        (folder / tour.MARKER).write_text("{}\n")

    monkeypatch.setattr(tour, "_build", build)
    tour.tour(out, optimizers=["adam"])
    assert not killed.exists()
    assert running.is_dir() and all((f / "keep.txt").read_text() == "keep me" for f in users)
    assert sorted(p.name for p in out.iterdir()) == [tour.MARKER]  # no staging mark left
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".coreopt-out-notes", ".coreopt-out-running", ".other", "coreopt-out"]
