"""`coreopt verify MODULE:NAME --against SPEC`: the diff printed and written, exit 0, 1 or 2."""

from __future__ import annotations

import sys

import pytest

from coreopt.cli.main import main
from coreopt.testing import Diff
from tests.testing import toys

TOYS = toys.__file__


def test_keras_form_adam_is_explained_and_the_files_are_written(tmp_path, capsys):
    out = tmp_path / "diff"
    code = main(["verify", f"{TOYS}:KerasFormAdam", "--against", "adam", "--out", str(out),
                 "--steps", "6"])
    printed = " ".join(capsys.readouterr().out.split())
    assert code == 1
    assert printed.startswith("coreopt verify: toys.KerasFormAdam against adam: DIFFERS")
    assert "In float64 it matches adam(epsilon_hat=True): epsilon_hat: add epsilon" in printed
    diff = Diff.load(out / "diff.json")
    assert diff.explanation["matches"] == [{"epsilon_hat": True}] and diff.steps == 6
    assert (out / "verify.png").read_bytes()[:4] == b"\x89PNG"
    assert "matches adam(epsilon_hat=True)" in (out / "report.html").read_text()
    assert f"wrote {out / 'diff.json'}, {out / 'verify.png'}, {out / 'report.html'}" in printed


def test_torch_form_rmsprop_names_the_option(capsys):
    code = main(["verify", f"{TOYS}:TorchFormRMSprop", "--against", "rmsprop(momentum=0.9)",
                 "--steps", "6"])
    printed = " ".join(capsys.readouterr().out.split())
    assert code == 1
    assert "matches rmsprop(momentum=0.9, epsilon_inside_sqrt=False)" in printed


def test_double_bias_correction_says_the_step_and_the_moment(capsys):
    code = main(["verify", f"{TOYS}:TwiceCorrectedAdam", "--against", "adam", "--steps", "4",
                 "--dtypes", "float64"])
    printed = " ".join(capsys.readouterr().out.split())
    assert code == 1
    assert "No option of adam explains it" in printed
    assert "The first moment (m) parts first, at step 1" in printed
    assert "the second moment (v) agrees there" in printed


def test_a_match_exits_0_and_kwargs_reach_the_factory(capsys):
    code = main(["verify", f"{TOYS}:PlainGD", "--kwargs", '{"learning_rate": 0.5}',
                 "--against", "gd(learning_rate=0.5)", "--steps", "3"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "toys.PlainGD(learning_rate=0.5) matches gd(learning_rate=0.5) over 3 steps" in printed


def test_rtol_and_no_explain(capsys):
    assert main(["verify", f"{TOYS}:KerasFormAdam", "--against", "adam", "--steps", "3",
                 "--rtol", "1e-5"]) == 0
    assert main(["verify", f"{TOYS}:KerasFormAdam", "--against", "adam", "--steps", "3",
                 "--no-explain", "--rtol", "float64=1e-12,float32=1e-5"]) == 1
    assert "matches adam(epsilon_hat" not in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["{toys}:PlainGD", "--against", "adam(beta_1=0.9 0.8)"],
     "expected ',' or ')', found '0.8' at character 16:\n    adam(beta_1=0.9 0.8)\n"
     "                    ^"),
    (["{toys}:PlainGD", "--against", "adma"], "Unknown optimizer 'adma'. Did you mean"),
    (["{toys}:PlainGD", "--against", "torch:Adam(lr=0.1)"],
     "needs torch, which is not installed: pip install torch==2.13.0"),
    (["{toys}:PlainGD", "--against", "adam", "--rtol", "tight"], "--rtol must be a number"),
    (["{toys}:PlainGD", "--against", "adam", "--dtypes", "int8"], "--dtypes: unknown ['int8']"),
    (["no_such_module_xyz:Opt", "--against", "adam"], "cannot import 'no_such_module_xyz'"),
    (["{toys}:NotAnOptimizer", "--against", "adam"], "has no apply_gradients"),
    (["{toys}:PlainGD", "--against", "adam", "--steps", "0"], "`steps` must be an integer"),
])
def test_bad_input_exits_2_and_says_why(argv, words, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(SystemExit) as done:
        main(["verify", *[a.format(toys=TOYS) for a in argv]])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert err.startswith("coreopt: error: ") and words in err, err
