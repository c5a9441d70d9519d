"""`check()`'s inputs, its time limit, `assert_conforms`, and the verdicts the guide's
optimizers do not reach (each on a small optimizer wrong in that one way, `toys.py`)."""

from __future__ import annotations

import pytest

import coreopt
from coreopt.testing import FAIL, NA, PASS, TITLES, assert_conforms, check, runner
from tests.testing import toys


def _one(opt, name, **settings):
    return check(opt, checks=[name], **settings)[name]


# ------------------------------------------------------------------- inputs
def test_an_instance_that_cannot_be_copied_makes_every_check_not_applicable():
    card = check(toys.PlainGD())
    assert card.subject == "tests.testing.toys.PlainGD instance"
    assert set(card.verdicts().values()) == {NA} and card.names() == list(TITLES)
    assert all("need a factory" in r.sentence and "instance of PlainGD" in r.sentence
               for r in card.results)


def test_a_coreopt_instance_without_a_config_needs_a_factory():
    opt = coreopt.get("gd", learning_rate=lambda step: 0.1)
    result = _one(opt, "order_independence")
    assert result.verdict == NA and "cannot be rebuilt from its config" in result.sentence


def test_a_factory_function_and_a_registered_name():
    assert _one(toys.make_plain, "per_variable_state").verdict == PASS
    card = check("gd", checks=["order_independence"])
    assert card.subject == "gd" and card.ok


@pytest.mark.parametrize("bad, error, words", [
    (42, TypeError, "received int"),
    (toys.NotAnOptimizer, TypeError, "returned a NotAnOptimizer, which has no apply_gradients"),
    (toys.make_broken, ValueError, "make_broken() raised RuntimeError: no GPU here"),
    ("adamm", ValueError, "adam"),
    ("ema", ValueError, "innermost"),
])
def test_bad_input_raises_naming_it(bad, error, words):
    with pytest.raises(error) as caught:
        check(bad)
    assert words in str(caught.value)


@pytest.mark.parametrize("settings, words", [
    ({"steps": 1}, "`steps`"), ({"time_limit": 0}, "`time_limit`"),
    ({"dtypes": ["int32"]}, "'int32', which is not a float dtype"),
    ({"checks": ["speed"]}, "unknown checks ['speed']"),
])
def test_bad_settings_raise_before_anything_runs(settings, words):
    with pytest.raises(ValueError) as caught:
        check(toys.make_broken, **settings)  # the factory is never called
    assert words in str(caught.value)


# ------------------------------------------------------------------- runner
def test_a_check_past_its_time_limit_fails_and_the_next_runs():
    toys.RELEASE.clear()
    try:
        card = check(toys.Slow, checks=["order_independence", "indexed_slices"],
                     time_limit=0.3)
    finally:
        toys.RELEASE.set()  # the timed-out thread finishes in the background
    result = card["order_independence"]
    assert result.verdict == FAIL and result.sentence.startswith("Took longer than 0.3 s")
    assert 0.3 <= result.seconds < 5 and result.evidence == {"time_limit": 0.3}


def test_an_error_inside_a_check_is_its_fail(monkeypatch):
    def broken(subject):
        raise RuntimeError("a bug in the check")

    monkeypatch.setitem(runner.CHECKS, "xla", broken)
    result = _one(toys.PlainGD, "xla")
    assert result.verdict == FAIL
    assert result.sentence == "The check stopped on an error: RuntimeError: a bug in the check."


def test_assert_conforms_lists_the_failing_sentences():
    with pytest.raises(AssertionError) as caught:
        assert_conforms(toys.ReversedGD, checks=["none_gradient", "order_independence"])
    text = str(caught.value)
    assert "fails 1 check(s)" in text and "None gradient: A None gradient raises" in text
    assert "half a step" in text and "order independence" not in text
    assert assert_conforms(toys.PlainGD, checks=["none_gradient"]).ok


# ------------------------------------------------- verdicts, one toy each
def test_none_gradient_verdicts():
    skipped = _one(toys.PlainGD, "none_gradient")
    assert skipped.verdict == PASS and skipped.evidence["policy"] == "skipped"
    assert "without a warning" in skipped.sentence
    half = _one(toys.ReversedGD, "none_gradient")
    assert half.verdict == FAIL and half.evidence["moved_b"] > 0
    moved = _one(toys.NoneAsZero, "none_gradient")
    assert moved.verdict == FAIL and "moved its variable" in moved.sentence


def test_a_lazy_sparse_update_differs_from_the_dense_one():
    result = _one(toys.LazySparse, "indexed_slices")
    assert result.verdict == FAIL and result.evidence["max_difference"] > 1e-4
    refused = _one(toys.PlainGD, "indexed_slices")  # float * IndexedSlices raises
    assert refused.verdict == NA and "does not take tf.IndexedSlices" in refused.sentence


def test_nonfinite_gradient_policies():
    hidden = _one(toys.HiddenMomentum, "nonfinite_gradient")
    assert hidden.verdict == FAIL
    assert hidden.sentence.startswith("One NaN gradient leaves x NaN for good")
    assert hidden.evidence["NaN"] == {"policy": "absorbed", "warned": False,
                                      "finite_later": False, "finite_after_reset": False}
    held = _one(toys.Accumulating, "nonfinite_gradient")  # the NaN shows at the next step
    assert held.verdict == PASS and "a held or deferred step" in held.sentence
    assert held.evidence["NaN"]["finite_after_reset"] is True
    skipped = _one(toys.SkipNonFinite, "nonfinite_gradient")
    assert skipped.verdict == PASS and skipped.evidence["Inf"]["policy"] == "skipped"
    assert "its step is skipped" in skipped.sentence


def test_retrace_verdicts():
    ignored = _one(toys.FloatRate, "retrace")
    assert ignored.verdict == FAIL and "ignores the new learning rates" in ignored.sentence
    assert ignored.evidence["traces"] == 1
    lazy = _one(toys.LazyMomentum, "retrace")
    assert lazy.verdict == FAIL and "traced 2 times on its first call" in lazy.sentence
    assert lazy.evidence["traces"] == lazy.evidence["traces_on_the_first_call"] == 2
    assert "0 more times in the 7 steps after it" in lazy.sentence
    missing = _one(toys.SkipNonFinite, "retrace")
    assert missing.verdict == NA and "no `learning_rate`" in missing.sentence


def test_a_checkpoint_that_misses_part_of_the_state():
    result = _one(toys.HalfSaved, "checkpoint")
    assert result.verdict == FAIL and result.evidence["tracked_variables"] == 1
    assert result.evidence["max_difference"] > 0 and "not tracked" in result.sentence


def test_steps_too_small_for_half_precision_are_not_a_fail():
    result = _one(lambda: toys.PlainGD(1e-7), "dtypes", dtypes=["bfloat16", "float64"])
    assert result.verdict == PASS, result.sentence
    assert result.evidence["bfloat16"]["below_resolution"] is True
    assert "but bfloat16, which stay put" in result.sentence


def test_mirrored_is_not_applicable_with_one_logical_cpu():
    result = _one(toys.PlainGD, "mirrored")
    assert result.verdict == NA and "two logical CPUs" in result.sentence
    assert result.evidence == {"logical_cpus": 1}


# ------------------------------------------------------------ a named reference
def test_without_a_reference_the_reference_check_says_how_to_name_one():
    card = check(toys.PlainGD, checks=["reference"])
    assert card.verdicts() == {"reference": NA}
    assert 'reference="adam"' in card["reference"].sentence


@pytest.mark.parametrize("candidate, closest, why", [
    (toys.PlainGD, "gd", "by the class name 'PlainGD'"),  # its last word
    (toys.KerasFormAdam, "adam", "by the class name 'KerasFormAdam'"),
    (toys.TorchFormRMSprop, "rmsprop", "by the class name 'TorchFormRMSprop'"),
    (lambda: coreopt.get("ema:lion"), "lion", "the chain's innermost optimizer"),
    (toys.Hangs, "gd", "no registered optimizer is named like 'Hangs'"),
])
def test_without_a_reference_step_time_is_against_the_closest_registered(candidate, closest,
                                                                         why):
    from coreopt.testing.checks_reference import closest_registered

    name, sentence = closest_registered(candidate())
    assert name == closest and why in sentence


def test_step_time_without_a_reference_names_what_it_timed_against():
    result = _one(toys.KerasFormAdam, "step_time")
    assert result.verdict == PASS and "x adam's" in result.sentence
    assert result.evidence["reference"] == "adam" and result.evidence["ratio"] > 0
    alone = _one("adam", "step_time")
    assert alone.verdict == PASS and "adam is a registered optimizer" in alone.sentence
    assert "ratio" not in alone.evidence and alone.evidence["seconds_per_step"] > 0


def test_the_reference_check_is_verify_with_its_explanation():
    keras_form = _one(toys.KerasFormAdam, "reference", reference="adam")
    assert keras_form.verdict == FAIL
    assert "matches adam(epsilon_hat=True)" in keras_form.sentence
    assert keras_form.evidence["max_error"]["float64"] > 1e-12
    assert _one(toys.KerasFormAdam, "reference",
                reference="adam(epsilon_hat=true)").verdict == PASS


def test_step_time_measures_both_on_the_same_variables():
    result = _one(toys.PlainGD, "step_time", reference="gd(learning_rate=0.1)")
    assert result.verdict == PASS and "x gd(learning_rate=0.1)'s" in result.sentence
    e = result.evidence
    assert e["seconds_per_step"] > 0 and e["reference_seconds_per_step"] > 0
    assert e["ratio"] == pytest.approx(e["seconds_per_step"] / e["reference_seconds_per_step"])


def test_a_reference_that_does_not_parse_is_refused_before_any_check():
    with pytest.raises(ValueError, match=r"\^"):
        check(toys.PlainGD, reference="adam(epsilon_hat=)")
