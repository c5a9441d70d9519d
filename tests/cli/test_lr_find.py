from __future__ import annotations

import json

import pytest

from coreopt.cli.main import main

FAST = ["--steps", "8", "--hidden", "8", "--batch-size", "64"]


def test_prints_the_suggestions_and_writes_record_and_figure(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["lr-find", "digits", "--optimizer", "adam", "--start-lr", "1e-4",
                 "--end-lr", "1", *FAST, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["lr_find.json", "lr_find.png"]
    assert (out / "lr_find.png").read_bytes()[:4] == b"\x89PNG"
    record = json.loads((out / "lr_find.json").read_text())
    assert record["optimizer"] == "adam" and len(record["lrs"]) == 8
    assert record["lrs"][0] == 1e-4 and abs(record["lrs"][-1] - 1.0) < 1e-12
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["suggestion", "learning", "rate"]
    shown = {line.rsplit(None, 1)[0].strip(): float(line.rsplit(None, 1)[1])
             for line in lines[1:]}
    assert list(shown) == ["steepest", "minimum / 10", "valley"]
    for key, name in (("steepest", "steepest"), ("minimum / 10", "minimum"),
                      ("valley", "valley")):
        assert shown[key] == pytest.approx(record["suggestions"][name]["lr"], rel=1e-3)


def test_a_second_run_replaces_its_own_files(tmp_path):
    args = ["lr-find", "digits", "--mode", "linear", "--start-lr", "0", "--end-lr", "0.1",
            *FAST, "--out", str(tmp_path)]
    assert main(args) == 0
    assert main(args) == 0
    assert json.loads((tmp_path / "lr_find.json").read_text())["mode"] == "linear"


BAD = [
    (["--optimizer", "adma"], "--optimizer: Unknown optimizer 'adma'. Did you mean"),
    (["--start-lr", "1", "--end-lr", "0.1"], "--start-lr must be below --end-lr"),
    (["--start-lr", "0"], "--start-lr must be > 0 for the exponential ramp"),
    (["--steps", "1"], "--steps must be an integer >= 2"),
    (["--mode", "cubic"], "--mode must be one of exp, linear"),
    (["--hidden", "a"], "--hidden: 'a' is not a list of widths"),
    (["--optimizer", "adam(learning_rate=cosine(initial=0.1, decay_steps=10))"],
     "--optimizer: `optimizer`: the learning rate of 'adam' is a schedule"),
    (["--optimizer", "adam(betta=0.9)"], "--optimizer: "),
]


@pytest.mark.parametrize("extra, message", BAD, ids=[m.split(" ")[0] for _, m in BAD])
def test_bad_input_exits_2_before_any_work(tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    assert main(["lr-find", "digits", *extra, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_unknown_data_set_and_a_folder_of_other_data_are_refused(tmp_path, capsys):
    assert main(["lr-find", "digitz", "--out", str(tmp_path / "new")]) == 2
    assert "unknown data set 'digitz'; choose one of digits" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["lr-find", "digits", "--out", str(tmp_path)]) == 2
    assert "already holds other data (notes.txt)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_is_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "lr-find" in capsys.readouterr().out
