"""The fair learning-rate rule, against a NumPy oracle of gradient descent."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from coreopt import functions
from coreopt.lab.fair import tune

SQUARE = functions.custom(lambda x: 0.5 * tf.reduce_sum(x * x, -1), dim=1, batched=True,
                          name="square", minimizers=[[0.0]], minimum=0.0, start=[1.0])


def numpy_gd_gap(lr, steps):
    """Gap 0.5 x^2 after `steps` of gradient descent on x^2 / 2 from 1, float32, fused step."""
    x, lr32 = np.float32(1.0), np.float32(lr)
    for _ in range(steps):
        x = np.float32(np.float64(x) - np.float64(lr32) * np.float64(x))
    return float(np.float32(0.5) * (x * x))


def test_gradient_descent_gets_the_rate_with_the_smallest_final_gap():
    choice = tune("gd", SQUARE, max_iters=5, low=0.05, high=1.0, grid_size=20)
    rates = np.geomspace(0.05, 1.0, 20)
    gaps = [numpy_gd_gap(r, 5) for r in rates]
    expected = min(zip(gaps, rates))[1]  # smallest gap, then the smaller rate
    assert choice.rates["gd"] == pytest.approx(expected, rel=1e-12)
    assert choice.rates["gd"] == pytest.approx(1.0)  # lr = 1 / lambda lands on the minimum
    assert choice.gaps["gd"] == 0.0


def test_every_optimizer_gets_a_rate_and_the_caption_states_the_rule():
    choice = tune("gd,momentum,adam", "seed_quartic", 2.0, max_iters=100, grid_size=8)
    assert set(choice.rates) == {"gd", "momentum", "adam"}
    assert all(1e-4 <= r <= 1.0 for r in choice.rates.values())
    assert "100 steps" in choice.caption and "8 log-spaced" in choice.caption
    assert len(choice.table) == 3 * 8
    best = choice.table[choice.table.optimizer == "adam"]
    best = best[best.status != "diverged"].score.min()
    assert choice.gaps["adam"] == pytest.approx(best)


def test_bad_ranges_are_refused():
    with pytest.raises(ValueError, match="low < high"):
        tune("gd", "seed_quartic", low=1.0, high=0.1)
    with pytest.raises(ValueError, match="grid_size"):
        tune("gd", "seed_quartic", grid_size=1)


def test_the_chosen_runs_are_the_ones_the_rule_scored():
    choice = tune("gd,adam", "himmelblau", [-1.0, 1.0], max_iters=50, grid_size=6,
                  keep_paths=True)
    for name, run in choice.runs.items():
        assert run.config["learning_rate"] == choice.rates[name]
        assert run.final_loss - 0.0 == choice.gaps[name]  # Himmelblau's minimum is 0
        assert len(run.path) == run.steps + 1 and run.path[-1] == run.final
