"""The population range test: its curve, its divergence handling, its comparison sentence."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.train import lr_suggest, problems
from coreopt.train.lr_scan import compare, lr_scan
from coreopt.train.population import epoch_order


def first_epoch_loss(problem_name, rate, seed=0):
    """The oracle: one epoch in a plain loop, each batch's loss taken before its step."""
    problem = problems.get(problem_name)
    data, b = problem.data, problem.batch_size
    variables = [tf.Variable(p) for p in problem.init(seed)]
    opt = coreopt.Adam(rate)
    total = 0.0
    for i in range(0, len(data.x_train), b):
        idx = epoch_order(seed, 0, len(data.x_train))[i:i + b]
        with tf.GradientTape() as tape:
            loss = problem.loss(variables, data.x_train[idx], data.y_train[idx])
        opt.apply_gradients(tape.gradient(loss, variables), variables)
        total += float(loss) * len(idx)
    return total / len(data.x_train)


def test_each_rate_is_a_constant_rate_training():
    scan = lr_scan("wine-logreg", "adam", start_lr=1e-3, end_lr=1e-1, members=3, epochs=1)
    np.testing.assert_allclose(scan.lrs, [1e-3, 1e-2, 1e-1], rtol=1e-12)
    expected = [first_epoch_loss("wine-logreg", r) for r in scan.lrs]
    np.testing.assert_allclose(scan.losses, expected, rtol=1e-5)
    assert scan.suggestions == lr_suggest.suggest(scan.lrs, scan.losses)
    assert scan.best() == scan.lrs[int(np.argmin(expected))]


def test_diverged_rates_are_marked_and_never_suggested():
    # Gradient descent on the quadratic diverges above 2 / (largest eigenvalue), about 0.03.
    scan = lr_scan("noisy-quadratic", "gd", start_lr=1e-4, end_lr=10.0, members=6, epochs=3)
    assert scan.diverged[-1] and not scan.diverged[0]
    assert math.isinf(scan.losses[-1])
    assert scan.best() < 2 / 60
    assert all(s is None or s["lr"] < 1.0 for s in scan.suggestions.values())
    assert f"{sum(scan.diverged)} of 6 rates diverged" in compare(scan, _ramp(scan))


def _ramp(scan, factor=1.0):
    suggested = {n: None if s is None else s["lr"] * factor for n, s in scan.suggestions.items()}
    return types.SimpleNamespace(suggested=suggested.get)


def test_compare_states_the_factor_and_the_side():
    scan = lr_scan("wine-logreg", "adam", start_lr=1e-3, end_lr=1e-1, members=4, epochs=1)
    sentence = compare(scan, _ramp(scan, factor=2.0))
    valley = scan.suggested("valley")
    assert f"valley: {valley:.2g} (scan) against {2 * valley:.2g} (ramp), the scan's 2x " \
           "smaller" in sentence
    assert f"lowest loss is at {scan.best():.2g}" in sentence


@pytest.mark.parametrize("kwargs, message", [
    ({"members": 1}, "members"),
    ({"start_lr": 1.0, "end_lr": 1e-3}, "start_lr"),
    ({"epochs": 0}, "epochs"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lr_scan("wine-logreg", "adam", **kwargs)
