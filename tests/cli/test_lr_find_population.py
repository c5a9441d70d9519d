"""`coreopt lr-find --population`: the ramp and the population scan, both answers compared."""

from __future__ import annotations

import json
import math

import pytest

from coreopt.cli.main import main, parser
from coreopt.train.lr_find import LRFindResult
from coreopt.train.lr_scan import LRScan, compare

FAST = ["--steps", "8", "--hidden", "8", "--batch-size", "64", "--start-lr", "1e-4",
        "--end-lr", "1"]


def shown_rates(block: str) -> dict:
    """A printed table's rows: name -> rate (None for n/a)."""
    rows = {}
    for line in block.strip().splitlines()[2:]:
        name, value = line.rsplit(None, 1)
        rows[name.strip()] = None if value == "n/a" else float(value)
    return rows


def test_prints_both_answers_and_the_comparison_and_writes_both_figures(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["lr-find", "digits", "--optimizer", "adam", *FAST, "--population", "3",
                 "--epochs", "1", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "lr_find.json", "lr_find.png", "lr_scan.json", "lr_scan.png"]
    assert (out / "lr_scan.png").read_bytes()[:4] == b"\x89PNG"
    ramp = LRFindResult.from_dict(json.loads((out / "lr_find.json").read_text()))
    record = json.loads((out / "lr_scan.json").read_text())
    assert record["problem"] == "digits-mlp" and record["epochs"] == 1
    assert record["lrs"][0] == pytest.approx(1e-4) and record["lrs"][-1] == pytest.approx(1.0)
    assert len(record["lrs"]) == 3
    record["losses"] = [math.inf if v is None else v for v in record["losses"]]
    scan = LRScan(**record)

    ramp_block, scan_block, sentence = capsys.readouterr().out.strip().split("\n\n")
    assert ramp_block.startswith("ramp: one run")
    assert scan_block.startswith("population scan: 3 constant rates from 0.0001 to 1, "
                                 "1 epoch(s) each, on digits-mlp")
    names = {"steepest": "steepest", "minimum / 10": "minimum", "valley": "valley"}
    for block, result in ((ramp_block, ramp), (scan_block, scan)):
        rows = shown_rates(block)
        for title, name in names.items():
            expected = result.suggested(name)
            assert rows[title] == (None if expected is None else
                                   pytest.approx(expected, rel=1e-3))
    assert shown_rates(scan_block)["lowest loss at"] == pytest.approx(scan.best(), rel=1e-3)
    assert sentence == compare(scan, ramp)
    assert sentence.startswith("Constant rates against the ramp: steepest: ")


def test_population_without_a_count_tries_16_rates():
    args = parser().parse_args(["lr-find", "digits", "--population"])
    assert args.population == 16 and args.epochs is None
    assert parser().parse_args(["lr-find", "digits"]).population is None


BAD = [
    (["--population", "0"], "--population must be an integer >= 2"),
    (["--population", "1"], "--population must be an integer >= 2"),
    (["--population", "3", "--epochs", "0"], "--epochs must be an integer >= 1"),
    (["--epochs", "2"], "--epochs is the --population scan's budget"),
    (["--population", "3", "--mode", "linear", "--start-lr", "0"],
     "--start-lr must be > 0 for the exponential ramp"),
]


@pytest.mark.parametrize("extra, message", BAD, ids=[" ".join(e) for e, _ in BAD])
def test_bad_values_exit_2_naming_the_flag_before_any_work(tmp_path, capsys, extra,
                                                            message):
    out = tmp_path / "out"
    assert main(["lr-find", "digits", *extra, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("dataset", ["synthetic", "mnist"])
def test_a_data_set_without_a_problem_is_refused_naming_the_accepted_one(tmp_path, capsys,
                                                                       dataset):
    out = tmp_path / "out"
    assert main(["lr-find", dataset, "--population", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--population" in err and "only digits has one (digits is digits-mlp)" in err
    assert f"received {dataset!r}" in err
    assert not out.exists()
