"""`coreopt run`, `coreopt sweep`, `coreopt stable-lr` and `coreopt list`."""

from __future__ import annotations

import pandas as pd
import pytest

from coreopt import functions
from coreopt.cli.main import main
from tests.test_guide import GUIDE

GUIDE_COMMAND = ["run", "seed_quartic", "--optimizers", "gd,momentum,adam", "--lr",
                 "1e-3,1e-2,1e-1", "--init", "2", "--max-iters", "2000", "--rule", "exact"]


# The single engine's 2,000-iteration runs: slow tier (by default the engines are compared
# in tests/lab/test_sweeps.py, and the guide's table by the tour's test).
@pytest.mark.parametrize("engine", ["batched", pytest.param("single", marks=pytest.mark.slow)])
def test_run_reproduces_the_guide(tmp_path, capsys, engine):
    out = tmp_path / "out"
    assert main([*GUIDE_COMMAND, "--out", str(out), "--engine", engine]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "results.csv")
    found = {(r.optimizer, r.learning_rate): (r.status, r.iteration) for r in table.itertuples()}
    assert found == GUIDE
    assert len((out / "runs.jsonl").read_text().splitlines()) == 9
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
    table, notes = capsys.readouterr().out.split("\n\n")
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["optimizer", "stable"]
    assert [line.split()[0] for line in lines[1:]] == ["gd", "momentum"]
    assert [line.split(":")[0] for line in notes.splitlines()] == ["gd", "momentum"]


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
    (["run", "seed_quartic", "--optimizers", "gd", "--lr", "0", "--init", "2"],
     "a zero learning rate cannot move"),
    (["run", "seed_quartic", "--lr", "1e-4:1"], "--lr: '1e-4:1' has 2 part(s) separated by ':'"),
    (["run", "seed_quartic", "--lr", "1e-4:1:x"], "N an integer"),
    (["run", "seed_quartic", "--lr", "0:1:4"], "must be > 0"),
    (["run", "seed_quartic", "--set", "momentum=0.5:0.9"], "--set: momentum: '0.5:0.9'"),
    (["run", "seed_quartic", "--init", "1,a"], "--init: expected coordinates"),
    (["sweep", "seed_quartic", "--seeds", "a,b"], "--seeds: expected integers, comma-separated"),
])
def test_bad_input_exits_with_a_message(capsys, args, match):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert match in capsys.readouterr().err


@pytest.mark.parametrize("value", ["1e-4:1", "1e-4:1:x", "0:1:4", "abc"])
def test_a_bad_range_or_list_shows_the_accepted_forms(capsys, value):
    for flag in (["--lr", value], ["--set", f"momentum={value}"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["run", "seed_quartic", *flag])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and f"argument {flag[0]}" in err
        assert "A:B:N" in err and "(1e-4:1:16)" in err


def test_starts_and_init_together_are_refused(tmp_path, capsys):
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", "seed_quartic", "--starts", "3", "--init", "2", "--out", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--starts" in err and "--init" in err and "not both" in err
    assert not out.exists()


def test_stable_lr_on_the_saddle_diverges_at_every_rate(capsys):
    # x^2 - y^2 is unbounded below: gradient descent multiplies y by 1 + 2 lr each step
    assert main(["stable-lr", "saddle", "--optimizers", "gd", "--max-iters", "500"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["gd", "none"]
    assert lines[-1].startswith("gd: diverges at every rate tried")


def _stable_edge(capsys, init) -> float:
    args = ["stable-lr", "quadratic:1", "--optimizers", "gd", "--init", init, "--low", "1.5",
            "--high", "4", "--max-iters", "200"]
    assert main(args) == 0
    return float(capsys.readouterr().out.splitlines()[1].split()[1])


def test_stable_lr_honours_every_start(capsys):
    # on x^2 / 2 from x0, |1 - lr|^k x0 overflows within 199 steps above
    # 1 + (f32max / x0)^(1/199): the farther start has the lower edge
    import numpy as np

    far = 1 + (float(np.finfo(np.float32).max) / 1e30) ** (1 / 199)
    both = _stable_edge(capsys, "1;1e30")
    assert both == pytest.approx(far, rel=0.01) == _stable_edge(capsys, "1e30;1")
    assert _stable_edge(capsys, "1") > 1.1 * far


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
