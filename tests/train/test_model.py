from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from coreopt.train import model


def test_initialization_is_seeded_and_within_stated_limits():
    a, b = model.MLP([64, 50, 10], seed=7), model.MLP([64, 50, 10], seed=7)
    for u, v in zip(a.trainable_variables, b.trainable_variables):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    hidden, out = a.layers
    w = hidden.w.numpy()
    assert np.abs(w).max() <= math.sqrt(6 / 64) and np.abs(w).max() > 0.9 * math.sqrt(6 / 64)
    assert np.abs(out.w.numpy()).max() <= math.sqrt(6 / 60)
    assert not hidden.b.numpy().any()
    assert not np.array_equal(model.MLP([64, 50, 10], seed=8).layers[0].w.numpy(), w)


def test_forward_pass_and_loss_match_numpy():
    mlp = model.MLP([3, 4, 2], seed=0)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    y = np.array([0, 1, 1, 0, 1])
    (w1, b1), (w2, b2) = [(layer.w.numpy(), layer.b.numpy()) for layer in mlp.layers]
    logits = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(mlp(tf.constant(x)).numpy(), logits, rtol=1e-5, atol=1e-6)
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -log_softmax[np.arange(5), y].mean()
    loss = model.cross_entropy(tf.constant(logits), tf.constant(y))
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert float(model.cross_entropy(tf.constant(logits), tf.constant(y), 10)) == pytest.approx(
        expected / 2, rel=1e-5)
    assert float(model.accuracy(tf.constant(logits), tf.constant(y))) == pytest.approx(
        np.mean(logits.argmax(1) == y))


def test_bad_sizes():
    with pytest.raises(ValueError, match="sizes"):
        model.MLP([64])
    with pytest.raises(ValueError, match="sizes"):
        model.MLP([64, 0, 10])
