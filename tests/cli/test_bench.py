"""`coreopt bench`: the command, its report in a real browser, and a resumed run."""

from __future__ import annotations

import json

import pytest

from coreopt.cli.main import main
from tests.report.browser import open_report, require_chromium

SMALL = ["bench", "--problems", "wine-logreg,noisy-quadratic", "--optimizers", "adam,gd",
         "--budget", "4", "--seeds", "2", "--epochs", "2"]


def check_report(out, tmp_path, problems, optimizers):
    require_chromium()
    seen = open_report(out / "report.html", tmp_path / "shot.png")
    assert seen["images"]["count"] == 1 + problems  # the profile, one curve figure each
    assert seen["images"]["loaded"] == seen["images"]["count"]
    assert seen["images"]["broken"] == [] and seen["errors"] == []
    results = next(t for t in seen["tables"] if "best lr" in t["headers"])
    assert results["rows"] == problems * optimizers


def test_bench_writes_its_report_and_resumes(tmp_path, capsys):
    out = tmp_path / "bench"
    assert main([*SMALL, "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert "wine-logreg" in first and "noisy-quadratic" in first
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == 1 + 2 * 2 * 2  # settings, then tune and seeds per pair
    assert main([*SMALL, "--out", str(out)]) == 2  # results there: refused without --resume
    assert "--resume" in capsys.readouterr().err
    assert main([*SMALL, "--out", str(out), "--resume"]) == 0  # all there: nothing trained
    assert capsys.readouterr().out == first
    assert (out / "results.jsonl").read_text().splitlines() == lines
    check_report(out, tmp_path, problems=2, optimizers=2)


def test_bad_input_exits_2_naming_it(tmp_path, capsys):
    assert main(["bench", "--budget", "0", "--out", str(tmp_path / "b")]) == 2
    assert "budget" in capsys.readouterr().err
    assert main(["bench", "--problems", "imagenet", "--out", str(tmp_path / "c")]) == 2
    assert "imagenet" in capsys.readouterr().err


@pytest.mark.slow
def test_the_full_benchmark(tmp_path):
    out = tmp_path / "full"
    assert main(["bench", "--budget", "16", "--seeds", "3", "--out", str(out)]) == 0
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 1 + 5 * 5 * 2
    check_report(out, tmp_path, problems=5, optimizers=5)


@pytest.mark.parametrize("flags, message", [
    (["--budget", "0"], "--budget must be an integer >= 1; received 0."),
    (["--seeds", "0"], "--seeds must be an integer >= 1; received 0."),
    (["--epochs", "0"], "--epochs must be an integer >= 1; received 0."),
    (["--low", "1", "--high", "0.1"],
     "--low and --high need 0 < --low < --high; received --low 1 and --high 0.1."),
    (["--backend", "ray"], "--backend ray needs --address HOST:PORT"),
    (["--address", "127.0.0.1:6379"], "--address 127.0.0.1:6379 is for --backend ray"),
    (["--backend", "ray", "--address", "localhost"], "--address: The Ray address must be"),
    (["--backend", "ray", "--address", "h:1", "--timeout", "0"], "--timeout must be > 0"),
])
def test_bad_flags_are_named_as_flags(flags, message, tmp_path, capsys):
    assert main([*SMALL, *flags, "--out", str(tmp_path / "b")]) == 2
    assert f"coreopt bench: error: {message}" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_an_unreachable_ray_cluster_exits_2_fast_naming_it(monkeypatch, tmp_path, capsys):
    import socket
    import time

    from coreopt.train import ray_backend

    monkeypatch.setattr(ray_backend, "import_ray", lambda: None)  # as if Ray were installed
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once closed
    start = time.monotonic()
    assert main([*SMALL, "--backend", "ray", "--address", address,
                 "--out", str(tmp_path / "b")]) == 2
    assert time.monotonic() - start < 10
    err = capsys.readouterr().err
    assert f"No Ray cluster is reachable at '{address}'" in err and "ray start --head" in err
    assert not (tmp_path / "b").exists()
