"""`coreopt check MODULE:NAME`: the card printed and written, exit status 0, 1 or 2.

In this process TensorFlow has started, so the MirroredStrategy check is n/a
here; one run in a fresh process (as a user types it) shows it running on two
logical CPUs. `--help` importing no TensorFlow is tests/cli/test_startup.py's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from coreopt.cli import check as check_command
from coreopt.cli.main import main
from coreopt.testing import FAIL, TITLES, Card
from tests.testing import seed, toys

TOYS = toys.__file__


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """The seed's module-level code draws a figure into the current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_command_knows_every_check_without_importing_them():
    assert check_command.CHECK_NAMES == tuple(TITLES)


def test_momentum_fails_with_status_1_and_the_card_is_written(in_tmp, capsys):
    out = in_tmp / "card"
    code = main(["check", f"{seed.require_seed()}:Momentum", "--out", str(out),
                 "--checks", "per_variable_state,retrace"])
    printed = capsys.readouterr().out
    assert code == 1
    assert printed.startswith("coreopt check: seed_reference")
    assert "per-variable state  FAIL" in printed and "1 fail, 1 pass, 0 n/a" in printed
    card = Card.load(out / "card.json")
    assert card.verdicts() == {"per_variable_state": FAIL, "retrace": "pass"}
    assert card.settings["steps"] == 8
    assert (out / "card.md").read_text().startswith("# coreopt check: seed_reference")
    assert f"wrote {out / 'card.json'} and {out / 'card.md'}" in printed


def test_gradient_descent_exits_0_with_the_library_card(in_tmp, capsys, guide_cards):
    code = main(["check", f"{seed.require_seed()}:GradientDescent", "--out", str(in_tmp)])
    assert code == 0, capsys.readouterr().out
    assert Card.load(in_tmp / "card.json").verdicts() == \
        guide_cards["GradientDescent"].verdicts()


def test_kwargs_go_to_the_factory(capsys):
    code = main(["check", f"{TOYS}:PlainGD", "--kwargs", '{"learning_rate": 0.5}',
                 "--checks", "order_independence", "--steps", "3"])
    assert code == 0
    assert "coreopt check: toys.PlainGD(learning_rate=0.5)" in capsys.readouterr().out


def _broken_module(directory):
    path = directory / "boom.py"
    path.write_text("raise RuntimeError('boom at import')\n")
    return path


@pytest.mark.parametrize("argv, words", [
    (["no_such_module_xyz:Opt"], "cannot import 'no_such_module_xyz': ModuleNotFoundError: "
                                 "No module named 'no_such_module_xyz'"),
    (["{tmp}/boom.py:Opt"], "/boom.py': RuntimeError: boom at import"),
    (["{tmp}/missing.py:Opt"], "missing.py': no such file"),
    (["{toys}:Nope"], "has no attribute 'Nope'; it defines Accumulating, FloatRate,"),
    (["{toys}:NotAnOptimizer"], "NotAnOptimizer() returned a NotAnOptimizer, which has no "
                                "apply_gradients(grads, vars) method"),
    (["{toys}:make_broken"], "make_broken() raised RuntimeError: no GPU here"),
    (["toys_without_a_name"], "expected MODULE:NAME"),
    (["{toys}:PlainGD", "--kwargs", "[1]"], "--kwargs must be a JSON object"),
    (["{toys}:PlainGD", "--kwargs", "{{bad"], "--kwargs must be a JSON object; Expecting"),
    (["{toys}:PlainGD", "--checks", "speed"], "--checks: unknown ['speed']"),
    (["{toys}:PlainGD", "--out", "{tmp}/boom.py/card"], "cannot be written"),
])
def test_bad_input_exits_2_and_says_why(argv, words, tmp_path, capsys):
    _broken_module(tmp_path)
    argv = [a.format(tmp=tmp_path, toys=TOYS) for a in argv]
    with pytest.raises(SystemExit) as done:
        main(["check", *argv])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert err.startswith("coreopt: error: ") and words in err, err


def test_a_fresh_process_runs_the_mirrored_check(tmp_path):
    """As a user types it: the CPU is split before the seed's module starts TensorFlow, and
    the guide's GradientDescent, stepped in each replica, lets the replicas drift apart."""
    path = seed.require_seed()
    env = {k: v for k, v in os.environ.items() if k != "COREOPT_VERBOSE"}
    done = subprocess.run([sys.executable, "-m", "coreopt", "check", f"{path}:GradientDescent",
                           "--checks", "mirrored,per_variable_state", "--out", "card"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    card = json.loads((tmp_path / "card" / "card.json").read_text())
    verdicts = {r["name"]: (r["verdict"], r["evidence"]) for r in card["results"]}
    assert verdicts["per_variable_state"][0] == "pass"
    assert verdicts["mirrored"][0] == FAIL and verdicts["mirrored"][1]["replica_drift"] > 1e-4
    assert re.search(r"MirroredStrategy +FAIL +The two replicas' copies drift", done.stdout)
    assert (tmp_path / "seed_loss.png").is_file()  # the seed's own figure, in its directory
