"""`check()` on the guide's GradientDescent, Momentum and Adam, imported by file path.

Every verdict of each card, then the numbers and sentences behind the ones
that matter: Momentum's one velocity shared by all variables, Adam's state
in Python lists (no checkpoint, no tf.function), GradientDescent clean. In
this process TensorFlow has one logical CPU, so MirroredStrategy is n/a here
(`test_cli.py` runs it, in a process of its own).
"""

from __future__ import annotations

import pytest

from coreopt.testing import FAIL, NA, PASS, TITLES

P, F, N = PASS, FAIL, NA
EXPECTED = {  # check -> verdict, for GradientDescent, Momentum, Adam
    "per_variable_state": (P, F, P),
    "order_independence": (P, F, F),
    "tf_function": (P, F, F),
    "xla": (P, F, F),
    "retrace": (P, P, F),
    "checkpoint": (P, F, F),
    "none_gradient": (P, P, P),
    "indexed_slices": (N, N, N),
    "dtypes": (P, P, F),
    "nonfinite_gradient": (P, P, P),
    "mirrored": (N, N, N),
    "reference": (N, N, N),  # no reference named
    "step_time": (P, P, P),  # against gd, momentum and adam, named by the classes
}
CASES = [pytest.param(name, check, verdicts[i], id=f"{name}-{check}")
         for check, verdicts in EXPECTED.items()
         for i, name in enumerate(("GradientDescent", "Momentum", "Adam"))]


def test_the_table_names_every_check():
    assert tuple(EXPECTED) == tuple(TITLES)


@pytest.mark.parametrize("name, check, verdict", CASES)
def test_verdict(guide_cards, name, check, verdict):
    result = guide_cards[name][check]
    assert result.verdict == verdict, f"{name} {check}: {result.sentence}"


def test_gradient_descent_passes_every_contract_that_applies(guide_cards):
    card = guide_cards["GradientDescent"]
    assert card.ok and card.counts()[FAIL] == 0
    assert card["retrace"].evidence["traces"] == 1
    assert card["checkpoint"].evidence["carries_state"] is False
    assert card["xla"].evidence["max_difference"] <= card["xla"].evidence["tolerance"]
    assert "does not take tf.IndexedSlices" in card["indexed_slices"].sentence


def test_momentum_shares_one_velocity_between_variables(guide_cards):
    result = guide_cards["Momentum"]["per_variable_state"]
    evidence = result.evidence
    assert evidence["variable"] in ("a", "b")
    assert evidence["max_difference"] == max(evidence["difference_a"], evidence["difference_b"])
    assert evidence["max_difference"] > 1e-3  # not rounding: the velocity crosses variables
    assert f"{evidence['max_difference']:.3g}" in result.sentence
    assert f"Variable {evidence['variable']} ends" in result.sentence


def test_momentum_velocity_is_frozen_inside_tf_function(guide_cards):
    result = guide_cards["Momentum"]["tf_function"]
    assert result.evidence["traces"] == 1
    assert result.evidence["max_difference"] > 100 * result.evidence["tolerance"]


def test_momentum_and_adam_carry_state_no_checkpoint_holds(guide_cards):
    momentum = guide_cards["Momentum"]["checkpoint"]
    assert momentum.evidence["carries_state"] is True
    assert momentum.evidence["tracked_variables"] == 0
    assert "tracks no variable" in momentum.sentence
    adam = guide_cards["Adam"]["checkpoint"]
    assert "could not save" in adam.sentence and "ListWrapper" in adam.sentence


def test_adam_cannot_run_inside_tf_function(guide_cards):
    """Its first call traces twice (it creates variables) and the second trace reads the
    first trace's tensors from its Python lists."""
    result = guide_cards["Adam"]["retrace"]
    assert result.evidence["traces"] == 2
    assert "out of scope" in result.evidence["error"]
    assert "out of scope" in guide_cards["Adam"]["tf_function"].sentence


def test_adam_keeps_its_state_by_list_position(guide_cards):
    card = guide_cards["Adam"]
    assert card["order_independence"].evidence["max_difference"] > 1e-3
    assert "list positions" in card["order_independence"].sentence
    assert "float64 raised" in card["dtypes"].sentence
    assert "float32" not in card["dtypes"].sentence  # float32 works


def test_the_nan_policies(guide_cards):
    gd = guide_cards["GradientDescent"]["nonfinite_gradient"].evidence
    assert gd["NaN"]["policy"] == "propagated" and gd["NaN"]["finite_after_reset"] is True
    for name in ("Momentum", "Adam"):  # their state keeps the NaN
        evidence = guide_cards[name]["nonfinite_gradient"].evidence
        assert evidence["NaN"]["policy"] == "propagated"
        assert evidence["NaN"]["finite_after_reset"] is False


def test_none_gradients_are_refused_before_anything_changes(guide_cards):
    for card in guide_cards.values():
        evidence = card["none_gradient"].evidence
        assert evidence["policy"] == "error" and "TypeError" in evidence["raised"]
        assert evidence["moved_a"] == evidence["moved_b"] == 0
