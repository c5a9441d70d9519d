"""`max_stable_lr`, checked against a NumPy oracle of gradient descent."""

from __future__ import annotations

import numpy as np
import pytest

from coreopt import lab
from tests.lab.oracles import gd_on_square
from tests.lab.test_rules import SQUARE


def test_the_edge_of_gradient_descent_on_the_square_matches_the_oracle():
    edge = lab.max_stable_lr("gd", SQUARE, [1.0], low=1e-2, high=1e2, rtol=1e-4,
                             max_iters=200)
    assert gd_on_square(edge.learning_rate, 1.0, 200)[0] != "diverged"
    assert gd_on_square(edge.diverging, 1.0, 200)[0] == "diverged"
    assert edge.diverging / edge.learning_rate - 1 <= 1e-4 == pytest.approx(1e-4)
    assert edge.rtol <= 1e-4
    # closed form: |1 - lr|^k reaches 2^128 (float32 overflow) within the budget
    # when lr > 1 + 2^(128 / (k - 1)) roughly; the exact edge is a step or so away
    assert 2.0 < edge.learning_rate < 1 + 2 ** (128 / 190)


def test_the_guide_quartic_edges_bracket_the_guide_rates():
    for name in ("gd", "momentum"):
        edge = lab.max_stable_lr(name, "seed_quartic", 2.0, rtol=1e-3)
        assert 1e-2 <= edge.learning_rate < 1e-1 and edge.diverging <= 1e-1
        assert edge.runs == len(edge.tried) and edge.rounds >= 2
        assert name in repr(edge)


def test_nothing_diverges_and_everything_diverges():
    calm = lab.max_stable_lr("adam", "quadratic", low=1e-4, high=1e-2, max_iters=50)
    assert calm.learning_rate == pytest.approx(1e-2) and calm.diverging is None
    wild = lab.max_stable_lr("gd", "seed_quartic", 2.0, low=10.0, high=100.0)
    assert wild.learning_rate is None and wild.diverging == pytest.approx(10.0)


@pytest.mark.parametrize("kwargs, match", [
    ({"low": 0.0}, "low"), ({"low": 1.0, "high": 0.5}, "low"), ({"grid_size": 1}, "grid_size"),
    ({"rtol": 0}, "rtol"), ({"config": {"learning_rate": 0.1}}, "searched"),
    ({"longer": 1}, "longer"),
    ({"config": {"beta_1": 2.0}}, "beta_1"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lab.max_stable_lr("adam", "seed_quartic", **kwargs)


F32_MAX = float(np.finfo(np.float32).max)


def _overflow_rate(growth_of_rate, start, steps):
    """The rate at which start * growth(rate)^steps reaches the float32 maximum."""
    return growth_of_rate((F32_MAX / start) ** (1 / steps))


def test_the_saddle_diverges_at_every_rate_and_the_edge_is_the_budget():
    # x^2 - y^2 from (1, 0.01): gradient descent multiplies y by 1 + 2 lr each step, so
    # every rate > 0 overflows, after about ln(f32max / 0.01) / ln(1 + 2 lr) steps
    edge = lab.max_stable_lr("gd", "saddle", low=1e-4, high=1.0, rtol=1e-3, max_iters=500)
    assert edge.diverges_everywhere and edge.budget_limited
    assert "diverges at every rate tried" in edge.verdict
    to_rate = lambda growth: (growth - 1) / 2  # noqa: E731
    assert edge.learning_rate == pytest.approx(_overflow_rate(to_rate, 0.01, 500), rel=0.02)
    assert edge.longer_iters == 2000
    assert edge.longer_edge == pytest.approx(_overflow_rate(to_rate, 0.01, 2000), rel=0.06)


def test_an_edge_that_moves_with_the_budget_says_so():
    # on x^2 / 2 the true edge is 2; above it |1 - lr|^k overflows only within the budget
    edge = lab.max_stable_lr("gd", SQUARE, [1.0], low=1e-2, high=1e2, max_iters=200)
    assert edge.budget_limited and not edge.diverges_everywhere
    assert 2.0 < edge.longer_edge <= 1 + (F32_MAX ** (1 / 799)) < edge.learning_rate
    assert "moves with the step budget" in edge.verdict


def test_an_edge_that_more_steps_do_not_move_is_not_budget_limited():
    # Adam's step is about lr at most, so from 1 on x^2 / 2 nothing can overflow
    calm = lab.max_stable_lr("adam", "quadratic", low=1e-4, high=1e-2, max_iters=50)
    assert calm.budget_limited is False and not calm.diverges_everywhere
    assert calm.verdict.startswith(">= 0.01")
    unchecked = lab.max_stable_lr("adam", "quadratic", low=1e-4, high=1e-2, max_iters=50,
                                  longer=None)
    assert unchecked.budget_limited is None and unchecked.longer_iters is None


def test_several_starts_give_the_most_conservative_edge():
    # from x0, |1 - lr|^k x0 overflows within k = 199 steps above 1 + (f32max / x0)^(1/199)
    both = lab.max_stable_lr("gd", SQUARE, [1.0, 1e30], low=1.5, high=4.0, max_iters=200)
    near = lab.max_stable_lr("gd", SQUARE, [1.0], low=1.5, high=4.0, max_iters=200)
    assert both.starts == [[1.0], [1e30]] and both.init == near.init == [1.0]
    far_edge = 1 + (F32_MAX / 1e30) ** (1 / 199)
    assert both.learning_rate == pytest.approx(far_edge, rel=0.01)
    assert near.learning_rate > far_edge * 1.1
