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


@pytest.mark.parametrize("args, message", [
    (["--optimizers", "adma"], "Unknown optimizer 'adma'. Did you mean"),
    (["--batch-size", "5000"], "`batch_size` must be an integer in [1, 1438]"),
    (["--lr", "fast"], "--lr: 'fast' is not a number"),
    (["--lr", "lion=0.1"], "'lion' is not among --optimizers"),
    (["--strategy", "ring"], "--strategy must be one of"),
    (["--epochs", "0"], "--epochs must be >= 1"),
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
