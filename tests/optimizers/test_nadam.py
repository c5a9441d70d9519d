from __future__ import annotations

import numpy as np
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference


def test_variable_added_later_joins_the_momentum_schedule():
    a, b = tf.Variable([1.0, -1.0], dtype=tf.float64), tf.Variable([0.5], dtype=tf.float64)
    opt = coreopt.Nadam(learning_rate=0.01)
    ref, params = reference.REFERENCES["nadam"](learning_rate=0.01), [a.numpy(), b.numpy()]
    for step in range(10):
        ga, gb = np.array([0.3, -0.2]) * (step + 1), np.array([0.1 * step])
        if step < 3:  # b has no gradient yet; a zero gradient leaves the reference's b alone
            opt.apply_gradients([tf.constant(ga)], [a])
            params = ref.step([ga, np.zeros(1)], params)
        else:
            opt.apply_gradients([tf.constant(ga), tf.constant(gb)], [a, b])
            params = ref.step([ga, gb], params)
    np.testing.assert_allclose(b.numpy(), params[1], rtol=1e-12)
    np.testing.assert_allclose(a.numpy(), params[0], rtol=1e-12)
