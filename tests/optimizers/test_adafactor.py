"""Adafactor on gradients with zero rows and columns (dead units)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

import coreopt
from coreopt.testing.oracle import REFERENCES


def test_zero_rows_and_columns_stay_finite_and_still():
    g = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]], np.float32)
    x0 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], np.float32)
    x = tf.Variable(x0)
    opt = coreopt.Adafactor(0.01)
    expected = [x0.astype(np.float64)]
    oracle = REFERENCES["adafactor"](learning_rate=0.01)
    for _ in range(3):
        opt.apply_gradients([tf.constant(g)], [x])
        expected = oracle.step([g.astype(np.float64)], expected)
    assert np.all(np.isfinite(x.numpy()))
    still = g == 0
    np.testing.assert_array_equal(x.numpy()[still], x0[still])
    np.testing.assert_allclose(x.numpy(), expected[0], rtol=1e-5)
