"""`coreopt.testing.verify`: the diff, the explainer's findings, and bad input.

The hand-written candidates are in tests/testing/toys.py: Adam in Keras's
epsilon form, RMSprop in torch's form, and Adam with its bias correction
applied twice (once written back into the first moment, once in the update).
"""

from __future__ import annotations

import re
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import Diff, assert_matches, references, verify
from coreopt.testing import explain as explainer
from tests.testing import toys

_MEMO = {}


def diff_of(candidate, reference, **settings) -> Diff:
    """`verify(...)`, computed once per module for the cases several tests read."""
    key = (candidate, reference, tuple(sorted(settings.items())))
    if key not in _MEMO:
        _MEMO[key] = verify(candidate, reference, **settings)
    return _MEMO[key]


# ----------------------------------------------------------------- the explainer
def test_keras_form_adam_matches_adam_with_epsilon_hat():
    diff = diff_of(toys.KerasFormAdam, "adam")
    assert not diff.ok
    assert "float32" not in diff.first  # epsilon's place moves the step by ~1e-7 relative
    assert diff.first["float64"]["step"] == 1
    assert 1e-8 < diff.first["float64"]["error"] < 1e-6
    assert diff.explanation["matches"] == [{"epsilon_hat": True}]
    assert ("In float64 it matches adam(epsilon_hat=True): epsilon_hat: add epsilon before "
            "the bias correction (Keras's form).") in diff.sentence
    assert max(diff.explanation["curve"]) <= 1e-12


def test_torch_form_rmsprop_needs_epsilon_outside_the_square_root():
    """torch's RMSprop: eps outside the sqrt, lr outside the momentum buffer. With a constant
    learning rate the second is the same arithmetic (b_keras = lr b_torch), so one option
    explains the whole difference."""
    diff = diff_of(toys.TorchFormRMSprop, "rmsprop(momentum=0.9)")
    assert diff.explanation["matches"] == [{"epsilon_inside_sqrt": False}]
    assert "matches rmsprop(momentum=0.9, epsilon_inside_sqrt=False)" in diff.sentence
    assert "sqrt(d) + eps (torch)" in diff.sentence
    both = verify(toys.TorchFormRMSprop, "rmsprop(momentum=0.9, epsilon_inside_sqrt=false, "
                  "lr_inside_momentum=false)", steps=8)
    assert both.ok, both.sentence


def test_the_oracle_reference_parts_from_a_candidate_in_another_form():
    diff = verify(toys.KerasFormAdam, "oracle:adam", steps=5, dtypes="float64")
    assert not diff.ok and diff.reference == "oracle:adam"
    assert diff.first["float64"]["step"] == 1 and 1e-8 < diff.first["float64"]["error"] < 1e-6


def test_bias_correction_written_back_parts_the_first_moment_at_step_1():
    diff = diff_of(toys.TwiceCorrectedAdam, "adam")
    found = diff.explanation
    assert found["matches"] == [] and found["tried"] == 41
    assert "No option of adam explains it" in diff.sentence
    parts = found["quantities"]
    assert (parts["step"], parts["parts"], parts["agrees"]) == (1, ["m"], ["v"])
    assert parts["mapping"]["m[matrix]"] == "self.m['matrix']"
    assert re.search(r"The first moment \(m\) parts first, at step 1 \(variable '\w+' "
                     r"\([\d, ]*\), index \([\d, ]*\)\): candidate [-\d.e]+, reference "
                     r"[-\d.e]+; the second moment \(v\) agrees there\.", diff.sentence), \
        diff.sentence


def test_bias_correction_twice_in_the_update_parts_the_update():
    parts = diff_of(toys.TwiceCorrectedUpdateAdam, "adam").explanation["quantities"]
    assert (parts["step"], parts["parts"], parts["agrees"]) == (1, [], ["m", "v"])
    assert parts["sentence"] == ("The state agrees at step 1 (the first moment (m) and the "
                                 "second moment (v)); the update parts there.")


def test_without_state_it_says_it_cannot_tell():
    diff = verify(toys.HiddenMomentum, "adam", steps=3, dtypes="float64")
    assert "Which quantity parts first cannot be told" not in diff.sentence  # tensors found
    diff = verify(toys.FloatRate, "adam", steps=3, dtypes="float64")
    assert "Which quantity parts first cannot be told: the candidate holds no tensor" \
        in diff.sentence
    diff = verify(toys.PlainGD, "gd(learning_rate=0.2)", steps=3, dtypes="float64")
    assert diff.sentence.endswith("(searched: learning_rate in float32; 1 run). The reference "
                                  "keeps no state: the update parts at step 1.")


def test_keras_adam_is_explained_with_its_float32_roundings():
    diff = diff_of("keras:Adam", "adam", steps=5)
    assert diff.explanation["matches"] == [{
        "epsilon_hat": True, "float32_correction_betas": True,
        explainer.LR32: {"learning_rate": float(np.float32(1e-3))}}]
    assert "with its learning rate rounded to float32" in diff.sentence


# ------------------------------------------------------------- correct candidates
@pytest.mark.parametrize("candidate, reference", [
    ("adam", "adam"),
    (coreopt.Adam(learning_rate=0.01, epsilon_hat=True), "adam(learning_rate=0.01, "
                                                          "epsilon_hat=True)"),
    ("keras:Adam(learning_rate=0.5)",
     "adam(learning_rate=0.5, epsilon_hat=true, float32_correction_betas=true)"),
    (toys.PlainGD, "gd(learning_rate=0.1)"),
    ("adam", "oracle:adam"),  # coreopt's NumPy oracle, written from the paper
    (toys.KerasFormAdam, "oracle:adam(epsilon_hat=true)"),
    ("lamb(learning_rate=0.01)", "oracle:lamb(learning_rate=0.01)"),
])
def test_correct_candidates_match(candidate, reference):
    diff = verify(candidate, reference, steps=10)
    assert diff.ok, diff.sentence
    assert diff.explanation == {} and diff.first == {} and diff.errors == {}
    assert set(diff.curves) == {"float32", "float64"} and len(diff.curves["float64"]) == 10
    assert diff.sentence.endswith("<= 1e-12).")


def test_the_guides_adam_matches_in_float32_and_fails_to_run_in_float64(guide):
    diff = verify(guide["Adam"], "adam", steps=10)
    assert "float32" not in diff.first
    assert diff.errors["float64"].startswith("the candidate raised InvalidArgumentError")
    assert "float32 agrees" in diff.sentence


def test_the_users_loss_and_variables():
    w = tf.Variable([1.0, -2.0, 0.5], dtype=tf.float64, name="w")

    def loss():
        return tf.reduce_sum(tf.constant([1.0, 2.0, 3.0], tf.float64) * (w - 1.0) ** 2)

    diff = verify(toys.KerasFormAdam, "adam", loss_fn=loss, variables=[w], steps=10)
    assert diff.first["float64"]["variable"] == "w"
    assert diff.explanation["matches"] == [{"epsilon_hat": True}]
    assert w.numpy().tolist() == [1.0, -2.0, 0.5]  # given back its values
    assert verify(toys.PlainGD, "gd(learning_rate=0.1)", loss_fn=loss, variables=[w]).ok


def test_assert_matches_raises_with_the_sentence():
    with pytest.raises(AssertionError) as raised:
        assert_matches(toys.KerasFormAdam, "adam", steps=5)
    assert str(raised.value).startswith("tests.testing.toys.KerasFormAdam differs from adam: "
                                        "in float64 the relative error first exceeds 1e-12")
    assert "matches adam(epsilon_hat=True)" in str(raised.value)
    assert assert_matches(toys.KerasFormAdam, "adam(epsilon_hat=true)", steps=5).ok
    assert assert_matches(toys.KerasFormAdam, "adam", steps=5, rtol=1e-5).ok


def test_a_candidate_that_hangs_is_stopped_and_reported():
    toys.RELEASE.clear()
    try:
        start = time.perf_counter()
        diff = verify(toys.Hangs, "gd(learning_rate=0.1)", time_limit=1.0, steps=4)
        assert time.perf_counter() - start < 10
    finally:
        toys.RELEASE.set()
    assert not diff.ok and diff.explanation == {}
    assert diff.errors["float32"] == ("the candidate had not finished step 2 in float32 after "
                                      "1 s (the time limit; left running in the background)")
    assert len(diff.curves["float32"]) == 1 and diff.curves["float32"][0] < 1e-5  # step 1
    assert diff.curves["float64"] == []
    assert diff.errors["float64"] == "was not run: the time limit was reached in float32"


def test_the_diff_saves_loads_and_writes_its_files(tmp_path):
    diff = diff_of(toys.KerasFormAdam, "adam")
    again = Diff.load(diff.save(tmp_path / "d.json"))
    assert again == diff and again.sentence == diff.sentence
    written = diff.write(tmp_path / "out")
    assert [p.name for p in written] == ["diff.json", "verify.png", "report.html", "report.md"]
    page = (tmp_path / "out" / "report.html").read_text()
    assert "In float64 it matches adam(epsilon_hat=True)" in page
    assert "data:image/png;base64," in page
    table = str(diff).splitlines()
    assert table[0] == "coreopt verify: tests.testing.toys.KerasFormAdam against adam: DIFFERS"
    assert any(re.fullmatch(r" +1 +[\d.e-]+  +[\d.e-]+!", line) for line in table), table


# ------------------------------------------------------------------ the pieces
def test_option_meanings_come_from_the_spec_or_the_docstring():
    assert explainer.option_doc(coreopt.RMSprop, "lr_inside_momentum") == (
        "learning rate inside the momentum buffer (Keras) or outside (torch).")

    class Documented(coreopt.Adam):
        spec = coreopt.Adam.spec.replace()
        spec.by_name["amsgrad"] = __import__("dataclasses").replace(
            spec.by_name["amsgrad"], doc="the running maximum")

    assert explainer.option_doc(Documented, "amsgrad") == "the running maximum"
    assert explainer.option_doc(Documented, "epsilon_hat").startswith("add epsilon")
    assert explainer._args_entry("Args:\n    beta_1, beta_2: decay\n        rates.\n", "beta_2") \
        == "decay rates."


def test_the_search_tries_fewest_changes_first():
    options = [("a", [True]), ("b", [False]), ("c", ["x", "y"])]
    sets = list(explainer.combinations(options))
    assert sets[:4] == [{"a": True}, {"b": False}, {"c": "x"}, {"c": "y"}]
    assert len(sets) == 4 + 5 + 2 and sets[-1] == {"a": True, "b": False, "c": "y"}


@pytest.mark.parametrize("text, value", [
    ("adam(x=true, y=False, z=None, w='s', v=(1, 2.5), u=[-1e-3], t=-inf)",
     {"x": True, "y": False, "z": None, "w": "s", "v": (1, 2.5), "u": [-1e-3],
      "t": float("-inf")}),
])
def test_spec_values_are_literals(text, value):
    assert references.parse(text).parts == [("adam", value)]


@pytest.mark.parametrize("text, position, words", [
    ("adam(beta_1=0.9 0.8)", 16, "expected ',' or ')', found '0.8'"),
    ("adam(epsilon_hat=yes)", 17, "expected a value"),
    ("adam(epsilon_hat=__import__('os'))", 17, "expected a value"),
    ("keras:Adam(learning_rate=0.1", 28, "found the end"),
    ("adam(1e-3)", 5, "expected a name, found '1e-3'"),
    ("keras:Adam:ema", 11, "a keras reference is one optimizer"),
])
def test_a_spec_that_does_not_parse_points_at_the_character(text, position, words):
    with pytest.raises(references.SpecError) as raised:
        verify(toys.PlainGD, text)
    assert raised.value.position == position and words in str(raised.value)
    assert str(raised.value).endswith(f"\n    {text}\n    {' ' * position}^")


@pytest.mark.parametrize("text, words", [
    ("adma", "Unknown optimizer 'adma'. Did you mean"),
    ("keras:Adma(learning_rate=0.1)", "unknown Keras optimizer 'Adma'. Did you mean 'Adamax' "
                                      "or 'Adam'"),
    ("adam(beta1=0.5)", "Did you mean 'beta_1' or 'beta_2'?"),
    ("keras:Adam(beta1=0.5)", "Argument(s) not recognized"),
    ("oracle:adma", "Unknown optimizer 'adma'. Did you mean"),
    ("oracle:adam(beta1=0.5)", "unknown hyperparameter(s) ['beta1']"),
])
def test_unknown_names_get_suggestions(text, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        verify(toys.PlainGD, text)


@pytest.mark.parametrize("spec, module, words", [
    ("torch:Adam(lr=0.01)", "torch", "pip install torch==2.13.0 (or pip install "
                                     "'coreopt[torch]')"),
    ("optax:adam(learning_rate=0.01)", "optax", "pip install jax jaxlib optax"),
])
@pytest.mark.parametrize("metadata", ["installed", "without extras"])
def test_a_library_that_is_not_installed_is_named(spec, module, words, metadata, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)
    if metadata != "installed":  # an install whose metadata lists no extras: the pins
        monkeypatch.setattr("importlib.metadata.requires", lambda name: [])
    with pytest.raises(ImportError, match=re.escape(words)) as raised:
        verify(toys.PlainGD, spec)
    assert isinstance(raised.value, ValueError)  # the command line's bad input (exit 2)


def test_the_pins_agree_with_pyproject():
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((references_root() / "pyproject.toml").read_text())[
        "project"]["optional-dependencies"]
    assert references.PINS == {k: extras[k] for k in references.PINS}


def references_root():
    import pathlib

    return pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("settings, words", [
    ({"steps": 0}, "`steps` must be an integer >= 1"),
    ({"dtypes": ["int32"]}, "`dtypes` holds 'int32'"),
    ({"rtol": -1.0}, "`rtol` must be > 0"),
    ({"time_limit": 0}, "`time_limit` must be > 0"),
    ({"loss_fn": lambda: 0.0}, "`loss_fn` and `variables` go together"),
])
def test_bad_settings_are_refused_before_any_step(settings, words):
    toys.StepCounter.steps = 0
    with pytest.raises((ValueError, TypeError), match=re.escape(words)):
        verify(toys.StepCounter, "gd", **settings)
    with pytest.raises(ValueError, match="cannot read the reference spec"):
        verify(toys.StepCounter, "gd(")
    with pytest.raises(ValueError, match="make_broken"):
        verify(toys.make_broken, "gd")
    assert toys.StepCounter.steps == 0


@pytest.mark.parametrize("name", ["torch", "optax"])
def test_torch_and_optax_references(name):
    """Where the library is installed: torch's RMSprop is the torch-form toy."""
    pytest.importorskip(name)
    if name == "torch":
        diff = verify(toys.TorchFormRMSprop, "torch:RMSprop(lr=0.001, alpha=0.9, eps=1e-7, "
                      "momentum=0.9)", steps=10)
    else:
        diff = verify("adam(epsilon=1e-8)", "optax:adam(learning_rate=0.001)", steps=10)
    assert diff.ok, diff.sentence
