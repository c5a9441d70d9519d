"""Population training: every member equals its configuration trained alone.

The oracle is `train_alone`: the same problem, the same batches, but `tf.Variable`s
stepped by the optimizer's own `apply_gradients`, one configuration at a time. The
tolerance: float32 weights, compared relative to each tensor's largest entry. A
batched matrix product (one per member, under `tf.vectorized_map`) rounds in
another order than a single one, and training amplifies the difference a little
every step; 2 epochs of the digits MLP measured 2.7e-6 at worst, so 1e-4 leaves
room for other CPUs while a wrong hyperparameter, seed or batch order (all give
differences of order 1e-1) cannot pass. The same holds for a schedule per member
(measured 1.9e-6 at worst over 2 epochs), where a schedule read at the wrong step
(one step late) differs by about 1e-2.
"""

from __future__ import annotations

import numpy as np
import pytest

from coreopt import schedules
from coreopt.train import problems
from coreopt.train.population import population, train_alone

RTOL = 1e-4


def assert_same(alone, member):
    for a, m in zip(alone, member):
        scale = max(float(np.max(np.abs(a))), 1e-12)
        assert float(np.max(np.abs(a - m))) / scale < RTOL


def check_members(problem, optimizer, hyper, seeds, epochs):
    result = population(problem, optimizer, hyper, seeds=seeds, epochs=epochs)
    for i, config in enumerate(result.configs):
        assert_same(train_alone(problem, optimizer, config, epochs=epochs), result.member(i))
    return result


def test_members_equal_their_configuration_alone():
    rates = [1e-3, 3e-3, 1e-2, 3e-2]
    result = check_members("digits-mlp", "adam", {"learning_rate": rates}, [0, 1, 2, 3], 2)
    assert [c["learning_rate"] for c in result.configs] == rates
    assert [len(h) for h in result.history] == [2] * 4
    assert all(0.5 < m <= 1.0 for m in result.final_metric)


def test_a_schedule_per_member_equals_that_schedule_alone():
    # 45 steps an epoch: the cosine decays over both epochs, the warmup climbs over the
    # first; a schedule read one step late moves the weights by about 1e-2 relative.
    rates = [3e-3, schedules.Cosine(1e-2, decay_steps=90),
             schedules.LinearWarmup(schedules.Constant(1e-2), warmup_steps=45)]
    result = check_members("digits-mlp", "adam", {"learning_rate": rates}, [0, 1, 2], 2)
    assert [c["learning_rate"] for c in result.configs] == rates
    assert all(0.8 < m <= 1.0 for m in result.final_metric)


def test_a_schedule_for_another_hyperparameter_and_a_shared_one():
    check_members("wine-logreg", "momentum",
                  {"learning_rate": schedules.Cosine(0.1, decay_steps=30),
                   "momentum": [0.5, schedules.Polynomial(0.9, decay_steps=20, end=0.1)]},
                  0, 2)


# The slow tier: by default members equal their training alone on digits-mlp, wine-logreg and
# the noisy quadratic (below), and every problem's batched loss equals its members one by
# one (tests/train/problems/test_registry.py).
@pytest.mark.slow
@pytest.mark.parametrize("name", problems.names())
def test_every_problem_trains_as_a_population(name):
    check_members(name, "momentum", {"learning_rate": [1e-3, 1e-2]}, [0, 1], 1)


def test_wrapper_chains_and_several_hyperparameters():
    check_members("wine-logreg", "ema(momentum=0.9):adam",
                  {"learning_rate": [1e-2, 3e-2], "beta_1": [0.8, 0.95],
                   "ema.momentum": [0.5, 0.99]}, 0, 2)


def test_a_diverging_member_stops_alone():
    # Gradient descent on the quadratic diverges for rates above 2 / (largest eigenvalue).
    result = population("noisy-quadratic", "gd", {"learning_rate": [1e-2, 10.0]}, seeds=0,
                        epochs=3)
    assert result.diverged_at[0] is None
    assert isinstance(result.diverged_at[1], int) and result.diverged_at[1] >= 1
    assert all(np.isfinite(p).all() for p in result.member(1))  # frozen before the NaN
    assert_same(train_alone("noisy-quadratic", "gd", result.configs[0], epochs=3),
                result.member(0))
    assert np.isfinite(result.history[0][-1]["loss"])


@pytest.mark.parametrize("hyper, seeds, message", [
    ({"learning_rate": [1e-3, 1e-2]}, [0, 1, 2], "one value per member"),
    ({"learning_rate": []}, 0, "at least one member"),
    ({"learning_rate": [1e-3, -1.0]}, 0, "learning_rate"),
    ({"no_such_thing": [1.0, 2.0]}, 0, "no_such_thing"),
    ({"learning_rate": [schedules.Constant(1e-3), schedules.Cosine(1e-2, decay_steps=9)]},
     [0, 1, 2], "one value per member"),
    ({"learning_rate": [1e-3, "fast"]}, 0, r"`learning_rate\[1\]` \(member 1\).*'fast'"),
    ({"learning_rate": "fast"}, 0, "`learning_rate` must be a number or a schedule"),
    ({"learning_rate": [1e-3, lambda step: -1.0]}, 0, r"learning_rate\(0\)"),
])
def test_bad_input_is_refused_by_name(hyper, seeds, message):
    with pytest.raises((ValueError, TypeError), match=message):
        population("digits-mlp", "adam", hyper, seeds=seeds, epochs=1)


@pytest.mark.slow
def test_64_learning_rates_equal_64_single_trainings():
    # Over 3 epochs the batched kernels' round-off (a batch matmul is not a matmul) is
    # amplified where a ReLU unit changes side: that unit's weights then differ while the
    # function learned does not; above about 1e-2 Adam's training itself is chaotic (a
    # 1e-7 change grows to 4e-3 in the loss). So 64 rates over Adam's stable range are held
    # to the function learned: validation loss within 1e-3 relative (measured <= 8.4e-5)
    # and accuracy within one example.
    p = problems.get("digits-mlp")
    x, y = p.data.x_valid, p.data.y_valid
    rates = np.geomspace(1e-4, 1e-2, 64).tolist()
    result = population(p.name, "adam", {"learning_rate": rates}, seeds=list(range(64)),
                        epochs=3)
    for i, config in enumerate(result.configs):
        alone, member = train_alone(p.name, "adam", config, epochs=3), result.member(i)
        loss_alone, loss_member = float(p.loss(alone, x, y)), float(p.loss(member, x, y))
        assert abs(loss_alone - loss_member) / loss_alone < 1e-3, (rates[i], loss_alone)
        assert abs(float(p.metric(alone, x, y)) - result.final_metric[i]) <= 1.01 / len(y)
