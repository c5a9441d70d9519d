from __future__ import annotations

import csv
import json

import pytest

from coreopt.cli.main import main


def _train(tmp_path, *extra, out="out"):
    return main(["train", "digits", "--out", str(tmp_path / out), "--quiet", "--hidden", "16",
                 "--batch-size", "128", *extra])


def _history(folder):
    return json.loads((folder / "history.json").read_text())


def test_writes_history_curves_and_report(tmp_path):
    assert _train(tmp_path, "--optimizers", "adam,lion", "--epochs", "2",
                  "--logdir", str(tmp_path / "logs")) == 0
    out = tmp_path / "out"
    for name in ("history.csv", "history.json", "loss.png", "accuracy.png", "report.md"):
        assert (out / name).stat().st_size > 0
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert [(r["optimizer"], r["epoch"]) for r in rows] == [
        ("adam", "1"), ("adam", "2"), ("lion", "1"), ("lion", "2")]
    report = (out / "report.md").read_text()
    assert "![loss](loss.png)" in report and "| adam | 2 |" in report
    assert any((tmp_path / "logs" / "lion").iterdir())


def test_optimizers_share_initial_weights_and_data_order(tmp_path):
    """With a zero learning rate nothing moves: equal losses mean equal weights and batches."""
    assert _train(tmp_path, "--optimizers", "adam,momentum,gd", "--epochs", "1",
                  "--lr", "0") == 0
    histories = _history(tmp_path / "out")
    losses = {(h[0]["loss"], h[0]["test_loss"]) for h in histories.values()}
    assert len(losses) == 1
    assert _train(tmp_path, "--optimizers", "adam", "--epochs", "1", "--lr", "0",
                  "--seed", "1", out="other") == 0
    assert _history(tmp_path / "other")["adam"][0]["loss"] != histories["adam"][0]["loss"]


def test_resume_continues_to_the_same_history(tmp_path):
    assert _train(tmp_path, "--epochs", "3", "--checkpoint-every", "4", out="whole") == 0
    assert _train(tmp_path, "--epochs", "2", "--checkpoint-every", "4", out="cut") == 0
    assert _train(tmp_path, "--epochs", "3", "--checkpoint-every", "4", "--resume",
                  out="cut") == 0

    def strip(history):
        return [{k: v for k, v in r.items() if k != "time_s"} for r in history["adam"]]

    assert strip(_history(tmp_path / "cut")) == strip(_history(tmp_path / "whole"))


def test_resuming_some_optimizers_keeps_the_others_history(tmp_path, capsys):
    assert _train(tmp_path, "--optimizers", "adam,gd", "--epochs", "2") == 0
    out = tmp_path / "out"
    gd = _history(out)["gd"]
    assert _train(tmp_path, "--optimizers", "lion", "--epochs", "1", "--resume",
                  "--hidden", "8") == 2  # gd and adam were trained on another model
    assert "sizes: checkpoint has [64, 16, 10], this run [64, 8, 10]" in capsys.readouterr().err
    assert _train(tmp_path, "--optimizers", "adam", "--epochs", "3", "--resume") == 0
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert [(r["optimizer"], r["epoch"]) for r in rows] == [
        ("adam", "1"), ("adam", "2"), ("adam", "3"), ("gd", "1"), ("gd", "2")]
    assert _history(out)["gd"] == gd
    report = (out / "report.md").read_text()
    assert "| adam | 3 |" in report and "| gd | 2 |" in report  # the summary, side by side
    assert "| gd | 2 | 24 |" in report  # the epoch table: 12 steps of 128 per epoch of 1438
    assert "epochs adam 3, gd 2" in report and "learning rates: adam 0.001, gd 0.1" in report


def test_schedule_free_is_reported_as_tested_on_its_x(tmp_path):
    assert _train(tmp_path, "--optimizers", "gd,schedule_free_sgd", "--epochs", "1") == 0
    out = tmp_path / "out"
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert [r["test_weights"] for r in rows] == ["", "schedule-free x"]
    report = (out / "report.md").read_text()
    assert "of schedule_free_sgd on Schedule-Free's x" in report and "EMA" not in report
    assert "of gd on the trained weights" in report


@pytest.mark.parametrize("args, message", [
    (["--optimizers", "adma"], "Unknown optimizer 'adma'. Did you mean"),
    (["--batch-size", "5000"], "`batch_size` must be an integer in [1, 1438]"),
    (["--lr", "fast"], "--lr: 'fast' is not a number"),
    (["--lr", "lion=0.1"], "'lion' is not among --optimizers"),
    (["--strategy", "ring"], "--strategy must be one of"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--optimizers", "ema(momentum=0.9:adam"], "--optimizers: unbalanced parentheses"),
    (["--optimizers", "adam:ema"], "'adam' cannot be the outer part"),
    (["--optimizers", "adam,ema:adam,Adam"], "a name is repeated"),
    (["--optimizers", "ema(mom=0.9):adam"], "'ema(mom=0.9):adam': EMA got an unknown argument"),
    (["--optimizers", "ema:adam", "--lr", "adam=0.1"], "'adam' is not among --optimizers"),
])
def test_bad_input_is_refused_before_writing(tmp_path, capsys, args, message):
    assert _train(tmp_path, *args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unknown_data_set_and_missing_mnist(tmp_path, capsys):
    assert main(["train", "cifar", "--out", str(tmp_path / "out")]) == 2
    assert "Unknown data set 'cifar'" in capsys.readouterr().err
    assert main(["train", "mnist", "--mnist-path", str(tmp_path / "none.npz"),
                 "--out", str(tmp_path / "out")]) == 2
    assert "not found; coreopt never downloads" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unwritable_folders(tmp_path, capsys):
    (tmp_path / "file").write_text("keep")
    assert _train(tmp_path, out="file") == 2
    assert "cannot write to the folder" in capsys.readouterr().err
    assert _train(tmp_path, "--logdir", str(tmp_path / "file" / "logs")) == 2
    assert "cannot write to the folder" in capsys.readouterr().err
    assert (tmp_path / "file").read_text() == "keep"


def test_results_and_mismatched_checkpoints_are_kept(tmp_path, capsys):
    assert _train(tmp_path, "--epochs", "1") == 0
    report = (tmp_path / "out" / "report.md").read_text()
    assert _train(tmp_path, "--epochs", "1") == 2
    assert "already holds results" in capsys.readouterr().err
    assert _train(tmp_path, "--epochs", "2", "--resume", "--hidden", "8") == 2
    err = capsys.readouterr().err
    assert "sizes: checkpoint has [64, 16, 10], this run [64, 8, 10]" in err
    assert _train(tmp_path, "--epochs", "2", "--resume", "--lr", "0.5") == 2
    assert "config: checkpoint has" in capsys.readouterr().err
    assert (tmp_path / "out" / "report.md").read_text() == report


CHAINS = "adam,sam:momentum,EMA(momentum=0.9):adam,lookahead:adam"
CANONICAL = ["adam", "sam:momentum", "ema(momentum=0.9):adam", "lookahead:adam"]
FOLDERS = {"adam", "sam+momentum", "ema.momentum=0.9+adam", "lookahead+adam"}


def test_chains_train_side_by_side_and_resume(tmp_path):
    assert _train(tmp_path, "--optimizers", CHAINS, "--epochs", "1",
                  "--logdir", str(tmp_path / "logs")) == 0
    out = tmp_path / "out"
    assert list(_history(out)) == CANONICAL
    assert {p.name for p in (out / "checkpoints").iterdir()} == FOLDERS
    assert {p.name for p in (tmp_path / "logs").iterdir()} == FOLDERS
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert {r["optimizer"]: r["test_weights"] for r in rows} == {
        "adam": "", "sam:momentum": "", "ema(momentum=0.9):adam": "ema average",
        "lookahead:adam": ""}
    report = (out / "report.md").read_text()
    for name in CANONICAL:
        assert f"| {name} | 1 |" in report
    assert "sam:momentum 0.05, ema(momentum=0.9):adam 0.001, lookahead:adam 0.002" in report
    assert ("ema(momentum=0.9):adam on the EMA's averaged weights" in report
            and "of adam, sam:momentum, lookahead:adam on the trained weights" in report)
    assert _train(tmp_path, "--optimizers", CHAINS, "--epochs", "2", "--resume") == 0
    assert [len(h) for h in _history(out).values()] == [2, 2, 2, 2]


def test_a_sam_chain_trains_under_a_strategy(tmp_path):
    assert _train(tmp_path, "--optimizers", "sam:momentum", "--epochs", "1",
                  "--strategy", "mirrored") == 0
    assert _history(tmp_path / "out")["sam:momentum"][0]["step"] == 12


@pytest.mark.slow
def test_chains_reach_97_percent_test_accuracy(tmp_path):
    """A shorter run than the documented 30 epochs at the default rates: higher rates."""
    assert main(["train", "digits", "--out", str(tmp_path / "out"), "--quiet",
                 "--optimizers", "adam,sam:momentum,ema:adam,lookahead:adam", "--epochs", "15",
                 "--lr", "adam=3e-3,sam:momentum=0.1,ema:adam=3e-3,lookahead:adam=6e-3"]) == 0
    final = {n: h[-1]["test_accuracy"] for n, h in _history(tmp_path / "out").items()}
    assert list(final) == ["adam", "sam:momentum", "ema:adam", "lookahead:adam"]
    assert min(final.values()) >= 0.97, final
