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
    assert main([*SMALL, "--out", str(out)]) == 0  # everything there: nothing trained again
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
