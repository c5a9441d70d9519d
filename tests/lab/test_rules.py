"""Stopping rules, checked against a NumPy oracle and closed forms."""

from __future__ import annotations

import math
import re

import pytest
import tensorflow as tf

import coreopt
from coreopt import functions, lab
from coreopt.lab import rules
from coreopt.lab.rules import StoppingRule
from tests.lab.oracles import gd_on_square

SQUARE = functions.custom(lambda x: 0.5 * tf.reduce_sum(x * x, -1), dim=1, batched=True,
                          name="square", minimizers=[[0.0]], minimum=0.0, start=[1.0])


def both(rule, lr, **kw):
    """(single, batched) (status, iteration) of gradient descent on SQUARE from 1."""
    one = lab.convergence_test(coreopt.GradientDescent(lr), SQUARE, rule=rule, **kw)
    many = lab.sweep_runs("gd", SQUARE, {"learning_rate": [lr]}, rule=rule, **kw)[0]
    return (one.status, one.iteration), (many.status, many.iteration)


@pytest.mark.parametrize("rule, tol, expected", [
    # closed forms for x_k = 0.9^k: step 0.1 * 0.9^(k-1), gradient 0.9^k, gap 0.81^k / 2
    ("step", 0.1 * 0.9**9.5, 11),
    ("grad", 0.9**20.5, 21),
    ("gap", 0.5 * 0.81**15.5, 16),
])
def test_tolerance_rules_stop_where_the_closed_form_says(rule, tol, expected):
    single, batched = both(rule, 0.1, tol=tol, max_iters=500)
    assert single == batched == ("converged", expected)
    assert single == gd_on_square(0.1, 1.0, 500, rule, tol, "nonfinite")


@pytest.mark.parametrize("divergence", ["guide", "nonfinite"])
def test_divergence_iteration_matches_the_oracle(divergence):
    # lr 3: x_k = (-2)^k. The loss x^2 / 2 is Inf at x_64 = 2^64 (seen at the
    # start of iteration 65); x itself overflows at x_128 (seen at 129).
    expected = gd_on_square(3.0, 1.0, 500, "exact", None, divergence)
    single, batched = both("exact", 3.0, max_iters=500, divergence=divergence)
    assert single == batched == expected
    assert expected[0] == "diverged"
    assert expected[1] == (129 if divergence == "guide" else 65)


SHIFTED = functions.custom(lambda x: 0.5 * tf.reduce_sum((x - 3.0) ** 2, -1), dim=1,
                           batched=True, name="shifted", minimizers=[[3.0]], minimum=0.0,
                           start=[1.0])


@pytest.mark.parametrize("lr", [0.05, 0.5, 1.5])
def test_exact_rule_matches_the_oracle(lr):
    # the step lr * (x - 3) falls below half an ulp of 3 long before subnormals
    one = lab.convergence_test(coreopt.GradientDescent(lr), SHIFTED)
    many = lab.sweep_runs("gd", SHIFTED, {"learning_rate": [lr]})[0]
    expected = gd_on_square(lr, 1.0, 2000, center=3.0)
    assert (one.status, one.iteration) == (many.status, many.iteration) == expected
    assert expected[0] == "converged"


def test_saddle_overflow_to_inf_is_caught_by_both_checks():
    # x^2 - y^2 from (0, 1): y grows by 1.2 per step, reaches +Inf and stays
    # there (never NaN), which a NaN-only check would miss.
    for divergence in ("guide", "nonfinite"):
        run = lab.convergence_test(coreopt.GradientDescent(0.1), "saddle", init_val=[0.0, 1.0],
                                   max_iters=2000, divergence=divergence)
        assert run.status == "diverged"
        assert math.isinf(run.final[1]) or math.isinf(run.final_loss)


def test_defaults_and_bad_rules():
    assert StoppingRule().divergence == "guide"
    assert StoppingRule("step", 1e-3).divergence == "nonfinite"
    with pytest.raises(ValueError, match="one of exact, step, grad, gap"):
        StoppingRule("close")
    with pytest.raises(ValueError, match="needs a tolerance"):
        StoppingRule("grad", -1.0)
    with pytest.raises(ValueError, match="tol"):
        StoppingRule("exact", 1e-3)
    with pytest.raises(ValueError, match="divergence"):
        StoppingRule("exact", divergence="inf")
    with pytest.raises(ValueError, match="needs a known minimum"):
        lab.convergence_test("gd", "saddle", rule="gap", tol=1e-3)


@pytest.mark.parametrize("rule", ["step", "grad", "gap"])
def test_a_tolerance_rule_without_tol_takes_its_documented_default(rule):
    default = rules.DEFAULT_TOL[rule]
    written = rf"\n    {rule} +{default:.0e}".replace("e-0", "e-")  # a row of the docstring's table
    assert StoppingRule(rule).tol == default and re.search(written, rules.__doc__)
    single, batched = both(rule, 0.1, max_iters=500)
    assert single == batched == gd_on_square(0.1, 1.0, 500, rule, default, "nonfinite")
    assert single[0] == "converged"
    run = lab.convergence_test("gd", SQUARE, rule=rule, config={"learning_rate": 0.1})
    given = lab.sweep_runs("gd", SQUARE, {"learning_rate": 0.1}, rule=rule, tol=default)[0]
    assert run.tol == given.tol == default and run.key == given.key
    assert lab.sweep("gd", SQUARE, rule=rule).tol[0] == default
