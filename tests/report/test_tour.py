"""`coreopt.report.tour`: checks before any work, and the tour's folder built beside the old."""

from __future__ import annotations

import pytest

from coreopt.report import tour


@pytest.mark.parametrize("names, message", [("adam,adamm", "Did you mean 'adam'"),
                                            ("adam,ema", "'ema' is a wrapper"),
                                            ("adam,muon", "'muon' cannot step"),
                                            ("adam,", "comma-separated names")])
def test_bad_optimizers_are_refused_before_any_work(tmp_path, names, message):
    with pytest.raises(ValueError, match=message):
        tour.tour(tmp_path / "out", optimizers=names.split(","))
    assert list(tmp_path.iterdir()) == []


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
