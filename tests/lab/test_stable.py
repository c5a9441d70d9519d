"""`max_stable_lr`, checked against a NumPy oracle of gradient descent."""

from __future__ import annotations

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
    ({"config": {"beta_1": 2.0}}, "beta_1"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lab.max_stable_lr("adam", "seed_quartic", **kwargs)
