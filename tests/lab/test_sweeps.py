"""Batched sweeps: agreement with one-at-a-time runs, grids, starts, resume, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

import coreopt
from coreopt import functions, lab
from coreopt.lab import execute, store
from coreopt.lab import grid as grids
from tests.lab.test_single import GuideStyleMomentum
from tests.optimizers.cases import CASES as OPTIMIZER_CASES
from tests.test_guide import GUIDE

FIVE = ["seed_quartic", "rosenbrock", "beale", "himmelblau", "quadratic"]


def test_the_guide_grid_batched_gives_the_guide_outcomes():
    df = lab.sweep("gd,momentum,adam", "seed_quartic", {"learning_rate": [1e-3, 1e-2, 1e-1]},
                   starts=[2.0])
    found = {(r.optimizer, r.learning_rate): (r.status, r.iteration) for r in df.itertuples()}
    assert found == GUIDE
    assert set(df.engine) == {"batched"}


@pytest.mark.parametrize("function, every", [
    ("rosenbrock", False), *(pytest.param(f, True, marks=pytest.mark.slow) for f in FIVE)])
def test_batched_agrees_with_one_at_a_time_for_every_optimizer(function, every):
    """Every deterministic optimizer (the default tier: one of each kind of state, the
    optimizer suite's `contracts_first`): a stochastic one (noise keyed by the variable's path)
    draws another stream in each engine; the functions' parameters are vectors (rank 1,
    which Muon does not step)."""
    names = [n for n in coreopt.names(rank=1)
             if not getattr(coreopt.entry(n).cls, "stochastic", False)
             and (every or OPTIMIZER_CASES[n].contracts_first)]
    kw = {"grid": {"learning_rate": [1e-2, 0.3]}, "starts": 2, "seeds": [3], "max_iters": 60,
          "rule": "step", "tol": 1e-5}
    batched = lab.sweep(names, function, **kw)
    single = lab.sweep(names, function, engine="single", **kw)
    assert len(batched) == len(single) == 2 * 2 * len(names)
    assert list(batched.key) == list(single.key)
    assert list(batched.status) == list(single.status)
    assert list(batched.iteration) == list(single.iteration)
    a, b = np.array(batched.final.tolist()), np.array(single.final.tolist())
    finite = np.isfinite(b)
    assert np.array_equal(np.isfinite(a), finite)
    # Values at the smaller rate only: at 0.3 some runs bounce chaotically without diverging
    # (ASGD on seed_quartic: the engines' last-bit difference in its closed-form eta, 2e-7,
    # grows to 5e-2 in 30 steps), where the statuses and step counts above still agree.
    calm = finite & (np.asarray(batched.learning_rate) == 1e-2)[:, None]
    np.testing.assert_allclose(a[calm], b[calm], rtol=1e-4, atol=1e-6)


def test_every_hyperparameter_can_be_swept_and_each_optimizer_has_its_own_grid():
    grid = {"adam": {"beta_1": [0.5, 0.9], "amsgrad": [False, True]},
            "momentum": {"momentum": [0.0, 0.9], "nesterov": [False, True]}}
    df = lab.sweep("adam,momentum", "rosenbrock", grid, max_iters=30)
    assert len(df) == 8
    single = lab.sweep("adam,momentum", "rosenbrock", grid, max_iters=30, engine="single")
    np.testing.assert_allclose(np.array(df.final.tolist()), np.array(single.final.tolist()),
                               rtol=1e-5)
    assert df.key.nunique() == 8
    assert list(df.beta_1[:4]) == [0.5, 0.5, 0.9, 0.9]
    assert list(df.nesterov[4:]) == [False, True, False, True]
    assert df.final[0] != df.final[2] and df.final[4] != df.final[6]


def test_random_starts_come_from_the_seed_and_lie_in_the_domain():
    f = functions.get("himmelblau")
    a = lab.sweep("gd", f, starts=5, seeds=[0, 1], max_iters=5)
    b = lab.sweep("gd", f, starts=5, seeds=[0, 1], max_iters=5)
    assert list(a.key) == list(b.key) and len(a) == 10
    starts = np.array(a.init.tolist())
    assert len({tuple(s) for s in starts}) == 10
    assert np.all((starts >= f.domain[:, 0]) & (starts <= f.domain[:, 1]))
    np.testing.assert_array_equal(starts[:5], f.random_starts(5, 0))


def test_a_user_class_runs_one_at_a_time_over_the_grid():
    df = lab.sweep([GuideStyleMomentum], "seed_quartic",
                   {"learning_rate": [1e-3, 1e-2, 1e-1]})
    assert list(zip(df.status, df.iteration)) == [GUIDE[("momentum", lr)]
                                                  for lr in (1e-3, 1e-2, 1e-1)]
    assert set(df.engine) == {"single"}


def test_a_plain_callable_takes_its_dimension_from_the_starts():
    df = lab.sweep("gd,momentum", lambda x: 2 * x**4 + 3 * x**3 + 2,
                   {"learning_rate": [1e-2]}, starts=[2.0])
    assert list(zip(df.status, df.iteration)) == [GUIDE[("gd", 1e-2)], GUIDE[("momentum", 1e-2)]]


def test_chunks_pad_and_keep_paths():
    runs = lab.sweep_runs("adam", "beale", {"learning_rate": [1e-2, 1e-1]}, starts=5,
                          max_iters=40, keep_paths=True, chunk_size=3)
    single = lab.sweep_runs("adam", "beale", {"learning_rate": [1e-2, 1e-1]}, starts=5,
                            max_iters=40, keep_paths=True, engine="single")
    assert [r.key for r in runs] == [r.key for r in single]
    for b, s in zip(runs, single):
        assert len(b.path) == len(s.path) == b.steps + 1
        np.testing.assert_allclose(b.path, s.path, rtol=1e-5)
        np.testing.assert_allclose(b.loss, s.loss, rtol=1e-5)


def test_results_are_written_and_an_interrupted_sweep_resumes(tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    kw = {"grid": {"learning_rate": [1e-3, 1e-2, 1e-1]}, "starts": 4, "max_iters": 50,
          "chunk_size": 4, "workers": 1}
    full = lab.sweep("gd,adam", "rosenbrock", **kw)
    calls = {"n": 0}
    real = execute.run_chunk

    def dies_on_the_third_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(execute, "run_chunk", dies_on_the_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        lab.sweep("gd,adam", "rosenbrock", out=out, **kw)
    lines = (out / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 8  # two chunks of four finished and were kept
    with open(out / "runs.jsonl", "a") as f:
        f.write(lines[0][:40])  # and a line cut short by the interruption
    monkeypatch.setattr(execute, "run_chunk", real)
    counted = []
    monkeypatch.setattr(execute, "run_chunk", lambda c, n, *a: counted.append(n) or
                        real(c, n, *a))
    resumed = lab.sweep("gd,adam", "rosenbrock", out=out, resume=True, **kw)
    assert sum(counted) == len(full) - 8
    cols = ["key", "status", "iteration", "final"]
    assert resumed[cols].equals(full[cols])
    saved = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [r["key"] for r in saved] == list(full.key)  # each run once, in the sweep's order
    assert not (out / "results.json").exists()  # the records are not written twice
    assert (out / "results.csv").read_text().count("\n") == len(full) + 1


def test_output_directories_are_never_overwritten(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="other data"):
        lab.sweep("gd", "seed_quartic", out=other)
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    done = tmp_path / "done"
    lab.sweep("gd", "seed_quartic", out=done, max_iters=10)
    before = (done / "results.csv").read_text()
    with pytest.raises(FileExistsError, match="resume"):
        lab.sweep("gd", "seed_quartic", out=done, max_iters=10)
    with pytest.raises(ValueError, match="different sweep"):
        lab.sweep("gd", "seed_quartic", out=done, max_iters=11, resume=True)
    assert (done / "results.csv").read_text() == before


@pytest.mark.parametrize("args, kwargs, error, match", [
    (("adamm", "seed_quartic"), {}, ValueError, "Did you mean 'adam'"),
    (("adam", "rosenbrok"), {}, ValueError, "rosenbrock"),
    (("adam", "seed_quartic", {"learning_rate": [0.1, -1.0]}), {}, ValueError, "learning_rate"),
    (("adam", "seed_quartic", {"beta_1": [1.5]}), {}, ValueError, "beta_1"),
    (("gd", "seed_quartic", {"learning_rate": [0.1, 0.0]}), {}, ValueError,
     "zero learning rate cannot move"),
    (("adam", "seed_quartic", {"momentum": [0.9]}), {}, ValueError, "no hyperparameter"),
    (("adam", "rosenbrock"), {"starts": [[1.0, 2.0, 3.0]]}, ValueError, "dim"),
    (("adam", "seed_quartic"), {"max_iters": -5}, ValueError, "max_iters"),
    (("adam", "seed_quartic"), {"starts": 0}, ValueError, "random starts"),
    (("adam", "seed_quartic"), {"seeds": [1, 2]}, ValueError, "seeds"),
    (("adam", "seed_quartic"), {"chunk_size": 0}, ValueError, "chunk_size"),
    (("adam", "seed_quartic"), {"engine": "fast"}, ValueError, "engine"),
    ((GuideStyleMomentum(), "seed_quartic"), {}, TypeError, "anew for every run"),
    (("adam", "seed_quartic", {"gd": {"learning_rate": [0.1]}}), {}, ValueError, "'gd' holds"),
])
def test_bad_input_fails_before_anything_is_written(tmp_path, args, kwargs, error, match):
    out = tmp_path / "out"
    with pytest.raises(error, match=match):
        lab.sweep(*args, out=out, **kwargs)
    assert not out.exists()


def test_a_sweep_too_large_is_refused_before_anything_is_built(tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    kw = {"grid": {"learning_rate": [1e-3, 1e-2]}, "starts": 8, "seeds": [0, 1, 2]}
    need = store.estimate(2 * 2 * 8 * 3, 2, 50, False)  # rates x functions x starts x seeds
    monkeypatch.setattr(grids, "starts_for", lambda *a: pytest.fail("starts were drawn"))
    message = (r"this sweep of 96 runs would take about .* of memory \(.* per run: dimension "
               r"2, no kept paths\), more than the 1.0 kB the max_memory given")
    with pytest.raises(store.TooLarge, match=message):
        lab.sweep("gd", "rosenbrock,himmelblau", out=out, max_iters=50, max_memory=1000, **kw)
    with pytest.raises(store.TooLarge, match=r"96 runs .* of disk .* max_disk"):
        lab.sweep("gd", "rosenbrock,himmelblau", out=out, max_iters=50,
                  max_disk=need["disk"] - 1, **kw)
    with pytest.raises(store.TooLarge, match="available"):  # what the machine has
        lab.sweep("gd", "rosenbrock", starts=10**12, max_iters=50)
    assert not out.exists()


def test_a_resumed_sweep_writes_the_table_of_a_fresh_one(tmp_path):
    out = tmp_path / "sweep"
    kw = {"grid": {"learning_rate": [1e-3, 1e-2], "beta_1": [0.8, 0.9]}, "starts": 2,
          "max_iters": 20, "out": out}
    fresh = lab.sweep("adam", "rosenbrock", **kw)
    table = (out / "results.csv").read_text()
    resumed = lab.sweep("adam", "rosenbrock", resume=True, **kw)  # every run read back
    assert list(resumed.columns) == list(fresh.columns)
    assert (out / "results.csv").read_text().splitlines()[0] == table.splitlines()[0]
    assert (out / "results.csv").read_text() == table


@pytest.mark.parametrize("engine", ["batched", "single"])
def test_a_call_that_stands_still_by_design_is_no_convergence(engine):
    """Under the guide's exact rule an unchanged x reads as converged, except after a call
    that leaves x as it is by design: accumulation's held calls (accumulate(steps=2) of
    momentum takes momentum's path at every second call, so it converges at twice
    momentum's count) and SOAP's first call (then Adam's steps, its vectors unrotated)."""
    kw = {"grid": {"learning_rate": [1e-2]}, "starts": [2.0], "max_iters": 400,
          "engine": engine, "keep_paths": True}
    runs = {r.optimizer: r for r in lab.sweep_runs(
        ["momentum", "accumulate(steps=2):momentum"], "seed_quartic", **kw)}
    plain, held = runs["momentum"], runs["accumulate(steps=2):momentum"]
    assert (plain.status, held.status) == ("converged", "converged")
    assert held.iteration == 2 * plain.iteration
    np.testing.assert_array_equal(np.array(held.path)[::2], np.array(plain.path))
    soap, adam = lab.sweep_runs(
        [coreopt.SOAP(1e-2, weight_decay=0.0),
         coreopt.Adam(1e-2, beta_1=0.95, beta_2=0.95, epsilon=1e-8, epsilon_hat=True)],
        "seed_quartic", **{**kw, "grid": None, "max_iters": 30})
    assert soap.status == adam.status == "max_iters"
    np.testing.assert_allclose(np.array(soap.path)[1:], np.array(adam.path)[:-1], rtol=1e-6)
