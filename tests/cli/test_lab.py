"""`coreopt run`, `coreopt sweep`, `coreopt stable-lr` and `coreopt list`."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coreopt import functions
from coreopt.cli.main import main
from tests.test_guide import GUIDE

GUIDE_COMMAND = ["run", "seed_quartic", "--optimizers", "gd,momentum,adam", "--lr",
                 "1e-3,1e-2,1e-1", "--init", "2", "--max-iters", "2000", "--rule", "exact"]


@pytest.mark.parametrize("engine", ["batched", "single"])
def test_run_reproduces_the_guide(tmp_path, capsys, engine):
    out = tmp_path / "out"
    assert main([*GUIDE_COMMAND, "--out", str(out), "--engine", engine]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "results.csv")
    found = {(r.optimizer, r.learning_rate): (r.status, r.iteration) for r in table.itertuples()}
    assert found == GUIDE
    assert len(json.loads((out / "results.json").read_text())) == 9
    for (name, _), (status, iteration) in GUIDE.items():
        assert any(name in line and status in line and f" {iteration} " in line
                   for line in printed.splitlines())


def test_sweep_resumes_with_a_progress_bar(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", "rosenbrock,himmelblau", "--optimizers", "adam,lion", "--lr", "1e-3:1e-1:3",
            "--starts", "4", "--seeds", "0,1", "--max-iters", "50", "--out", str(out)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "96/96 runs" in captured.err
    assert "himmelblau" in captured.out
    assert len(pd.read_csv(out / "results.csv")) == 2 * 2 * 3 * 8
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2 and "--resume" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0
    assert "96/96" in capsys.readouterr().err


def test_stable_lr_prints_each_edge(capsys):
    assert main(["stable-lr", "seed_quartic", "--optimizers", "gd,momentum", "--init", "2",
                 "--rtol", "1e-2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["optimizer", "stable"]
    assert [line.split()[0] for line in lines[1:]] == ["gd", "momentum"]


def test_list_shows_the_functions(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in functions.names():
        assert any(line.split()[:1] == [name] for line in out.splitlines())


@pytest.mark.parametrize("args, match", [
    (["run", "rosenbrok"], "Did you mean 'rosenbrock'"),
    (["run", "seed_quartic", "--optimizers", "adamm"], "Did you mean 'adam'"),
    (["run", "rosenbrock", "--init", "1,2,3"], "dim"),
    (["run", "seed_quartic", "--max-iters", "0"], "max_iters"),
    (["run", "seed_quartic", "--lr", "-0.1"], "learning_rate"),
    (["run", "seed_quartic", "--set", "beta_1=1.5", "--optimizers", "adam"], "beta_1"),
    (["sweep", "seed_quartic", "--starts", "3"], "--out"),
])
def test_bad_input_exits_with_a_message(capsys, args, match):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert match in capsys.readouterr().err


def test_an_output_directory_with_other_data_is_left_alone(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("x")
    with pytest.raises(SystemExit):
        main([*GUIDE_COMMAND, "--out", str(tmp_path)])
    assert "other data" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_tol_help_names_the_rules_default_tolerances():
    from coreopt.cli import lab as cli_lab
    from coreopt.lab.rules import DEFAULT_TOL

    assert cli_lab.TOL_HELP == ", ".join(f"{k} {v:g}" for k, v in DEFAULT_TOL.items())
