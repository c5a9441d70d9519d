"""The shell shared by the torch and optax adapters, with a NumPy stand-in (no torch, no JAX)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from coreopt.compat._eager import EagerAdapter
from tests.compat import contract


class HeavyBall(EagerAdapter):
    """Momentum SGD in NumPy: m = 0.5 m + g; x = x - 0.25 m (state per first-call position)."""

    library = "numpy"

    def __init__(self, widen=False):
        super().__init__("heavy ball")
        self.widen, self.m, self._pending = widen, None, None

    def _build(self, values):
        self.m = [np.zeros_like(v) for v in values]

    def _step(self, values, grads, extra):
        self._pending = [0.5 * m + g for m, g in zip(self.m, grads)]
        out = [x - 0.25 * m for x, m in zip(values, self._pending)]
        return [o.astype(np.float64) for o in out] if self.widen else out

    def _commit(self):
        self.m = self._pending


@pytest.mark.parametrize("check", contract.CHECKS, ids=lambda c: c.__name__)
def test_contract(check):
    check(HeavyBall)


def test_closed_form():
    x = tf.Variable([2.0, -4.0], dtype=tf.float64)
    opt = HeavyBall()
    for _ in range(2):
        opt.apply_gradients([tf.constant([1.0, 1.0], tf.float64)], [x])
    # m1 = 1, x1 = x0 - 0.25; m2 = 1.5, x2 = x1 - 0.375
    np.testing.assert_array_equal(x.numpy(), [1.375, -4.625])


def test_a_changed_dtype_is_refused_before_any_change():
    vs = contract.variables(tf.float32)
    opt = HeavyBall(widen=True)
    with pytest.raises(TypeError, match="float64.*x0.*float32"):
        opt.apply_gradients(contract.gradients(vs), vs)
    for x, y in zip(contract.values(vs), contract.START):
        np.testing.assert_array_equal(x, y.astype(np.float32))
    assert opt.m[0] == 0 and opt.iterations == 0  # the new state was not kept


def test_keyword_arguments_refused_by_default():
    x = tf.Variable(1.0)
    with pytest.raises(TypeError, match="value"):
        HeavyBall().apply_gradients([tf.constant(1.0)], [x], value=3.0)


def test_mismatched_lengths_and_shapes():
    x = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="same length"):
        HeavyBall().apply_gradients([tf.ones(2), tf.ones(2)], [x])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        HeavyBall().apply_gradients([tf.ones(3)], [x])
    with pytest.raises(ValueError, match="more than once"):
        HeavyBall().apply_gradients([tf.ones(2), tf.ones(2)], [x, x])


def test_indexed_slices_are_densified():
    x = tf.Variable(tf.zeros([3, 2], tf.float64))
    grad = tf.IndexedSlices(tf.ones([1, 2], tf.float64), tf.constant([1]), tf.constant([3, 2]))
    HeavyBall().apply_gradients([grad], [x])
    np.testing.assert_array_equal(x.numpy(), [[0, 0], [-0.25, -0.25], [0, 0]])


def test_repr():
    assert repr(HeavyBall()) == "HeavyBall(name='heavy ball')"
