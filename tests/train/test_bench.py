"""The fair benchmark: the draw, the protocol's records, resume, and the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coreopt.train import bench, problems
from coreopt.train.population import train_alone

SETTINGS = dict(budget=4, seeds=2, epochs=2)


def test_rates_are_a_stratified_log_uniform_draw():
    rates = bench.draw_rates(16, 1e-4, 1.0)
    assert rates == bench.draw_rates(16, 1e-4, 1.0)
    u = (np.log(rates) - np.log(1e-4)) / (np.log(1.0) - np.log(1e-4))
    # A scrambled Sobol set of 16 points puts exactly one in each sixteenth of [0, 1).
    assert sorted(np.floor(u * 16).astype(int).tolist()) == list(range(16))


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    return out, bench.run(["wine-logreg"], ["adam", "gd"], out=out, **SETTINGS)


def test_the_best_rate_is_retrained_from_new_seeds(records):
    _, recs = records
    problem = problems.get("wine-logreg")
    tune = next(r for r in recs if r["phase"] == "tune" and r["optimizer"] == "adam")
    assert tune["lrs"] == bench.draw_rates(4)
    assert tune["best_lr"] == tune["lrs"][int(np.argmax(tune["final"]))]
    seeds = next(r for r in recs if r["phase"] == "seeds" and r["optimizer"] == "adam")
    assert seeds["seeds"] == [1, 2] and seeds["lrs"] == [tune["best_lr"]] * 2
    data = problem.data
    for i, seed in enumerate(seeds["seeds"]):  # the oracle: the same run, alone
        weights = train_alone(problem, "adam", {"learning_rate": tune["best_lr"], "seed": seed},
                              epochs=2)
        alone = float(problem.metric(weights, data.x_valid, data.y_valid))
        assert abs(alone - seeds["final"][i]) < 1e-6
        first = next((s for s, m in zip(seeds["steps"], seeds["curves"][i])
                      if m >= problem.target), None)
        assert seeds["steps_to_target"][i] == first


def test_a_killed_run_resumes_and_other_settings_are_refused(records, tmp_path):
    out, recs = records
    path = out / "results.jsonl"
    lines = path.read_text().splitlines()
    (tmp_path / "results.jsonl").write_text("\n".join(lines[:2]) + '\n{"problem": "wi')
    with pytest.raises(ValueError, match="--resume"):  # nothing of it lost without asking
        bench.run(["wine-logreg"], ["adam", "gd"], out=tmp_path, **SETTINGS)
    again = bench.run(["wine-logreg"], ["adam", "gd"], out=tmp_path, resume=True, **SETTINGS)
    assert again[0] == json.loads(lines[1])  # kept, not trained again
    assert [r["final"] for r in again] == [r["final"] for r in recs]
    with pytest.raises(ValueError, match="other settings"):
        bench.run(["wine-logreg"], ["adam"], out=tmp_path, resume=True, **SETTINGS)


def test_a_folder_with_a_report_but_no_results_is_refused(tmp_path):
    (tmp_path / "report.md").write_text("someone's notes")
    with pytest.raises(ValueError, match="report.md but no results.jsonl"):
        bench.run(["wine-logreg"], ["adam"], out=tmp_path, resume=True, **SETTINGS)
    assert (tmp_path / "report.md").read_text() == "someone's notes"
    assert not (tmp_path / "results.jsonl").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"budget": 0}, "budget"), ({"seeds": 0}, "seeds"), ({"low": 1.0, "high": 0.1}, "low"),
])
def test_bad_settings_are_refused_before_training(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        bench.run(["wine-logreg"], ["adam"], out=tmp_path, **{**SETTINGS, **kwargs})
    assert not (tmp_path / "results.jsonl").exists()


def test_unknown_problem_or_optimizer_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no-such-problem"):
        bench.run(["no-such-problem"], ["adam"], out=tmp_path)
    with pytest.raises((ValueError, KeyError), match="no_such_opt"):
        bench.run(["wine-logreg"], ["no_such_opt"], out=tmp_path)


def test_the_report_has_its_tables_curves_and_profile(records, tmp_path):
    from coreopt.report import bench as report

    _, recs = records
    settings = {"problems": ["wine-logreg"], "optimizers": ["adam", "gd"], "budget": 4,
                "seeds": 2, "epochs": 2, "low": 1e-4, "high": 1.0}
    html_path, md_path = report.write(recs, settings, tmp_path)
    html = html_path.read_text()
    assert html.count("<img") == 2  # the profile and one problem's curves
    assert "scrambled Sobol" in html and "wine-logreg" in md_path.read_text()
