"""`coreopt.lab.store`: the size estimate, the refusal, the lock of a results directory."""

from __future__ import annotations

import fcntl

import pytest

from coreopt import lab
from coreopt.lab import store

QUICK = {"max_iters": 20, "workers": 1}


def test_the_estimate_grows_with_the_runs_the_dimension_and_the_kept_paths():
    plain = store.estimate(1000, 2, 100, False)
    assert plain["memory"] == 1000 * plain["per_run"]["memory"]
    assert plain["disk"] == 1000 * plain["per_run"]["disk"]
    kept = store.estimate(1000, 2, 100, True)
    points = 101 * (2 + 2)  # max_iters + 1 points of (x, y, loss, gradient norm)
    assert kept["per_run"]["memory"] - plain["per_run"]["memory"] == (
        points * store.VALUE_BYTES["memory"])
    assert kept["per_run"]["disk"] - plain["per_run"]["disk"] == (
        2 * points * store.VALUE_BYTES["text"])  # runs.jsonl, counted twice at its peak


@pytest.mark.parametrize("keep", [False, True])
def test_the_disk_estimate_covers_what_a_sweep_writes(tmp_path, keep):
    out = tmp_path / "sweep"
    lab.sweep("adam", "rosenbrock", {"learning_rate": [1e-3, 1e-2]}, starts=50,
              keep_paths=keep, out=out, **QUICK)
    written = sum((out / n).stat().st_size for n in (store.RUNS, store.CSV))
    guess = store.estimate(100, 2, QUICK["max_iters"], keep)["disk"]
    assert written <= guess <= 3 * written


def test_a_directory_another_sweep_writes_is_locked(tmp_path):
    out = tmp_path / "sweep"
    kw = {"starts": 4, "out": out, **QUICK}
    lab.sweep("gd", "rosenbrock", **kw)
    before = (out / store.RUNS).read_text()
    with open(out / store.LOCK, "a") as other:  # as the other sweep's process holds it
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BlockingIOError, match=f"{out}.*being written by another sweep"):
            lab.sweep("gd", "rosenbrock", resume=True, **kw)
    assert (out / store.RUNS).read_text() == before
    assert len(lab.sweep("gd", "rosenbrock", resume=True, **kw)) == 4  # released: it resumes
    with open(out / store.LOCK, "a") as other:  # and the resumed sweep released it too
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
