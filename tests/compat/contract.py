"""The adapters' common contract, as checks that take a maker of a fresh adapter.

`make()` returns an adapter whose `apply_gradients(grads, vars)` takes a step
(any optimizer with state, so that a mix-up of the state shows). The checks
are run by test_torch.py and test_optax.py (with the libraries) and by
test_eager.py (the shared shell, with a NumPy stand-in, in every environment).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

START = [np.array(0.5), np.array([1.0, -2.0, 0.25]), np.array([[0.75, -1.5], [2.0, 0.125]])]


def variables(dtype=tf.float64, prefix="x"):
    return [tf.Variable(v, dtype=dtype, name=f"{prefix}{i}") for i, v in enumerate(START)]


def gradients(vs):
    """A gradient that depends on the values, so that every step differs."""
    return [v * v * v - 0.5 * v + 0.25 for v in vs]


def values(vs):
    return [v.numpy().copy() for v in vs]


def check_order_does_not_matter(make, steps=5):
    """Variables listed in another order on every other call: the same trajectory, bit for bit."""
    plain, shuffled = variables(prefix="p"), variables(prefix="s")
    a, b = make(), make()
    for k in range(steps):
        a.apply_gradients(gradients(plain), plain)
        order = [2, 0, 1] if k % 2 else [1, 2, 0]
        grads = gradients(shuffled)
        b.apply_gradients([grads[i] for i in order], [shuffled[i] for i in order])
    for x, y in zip(values(plain), values(shuffled)):
        np.testing.assert_array_equal(x, y)
    assert values(plain)[1].tolist() != START[1].tolist()


def check_pairs_form(make):
    """`apply_gradients(zip(grads, vars))` steps as `apply_gradients(grads, vars)` does."""
    one, two = variables(prefix="a"), variables(prefix="b")
    a, b = make(), make()
    for _ in range(3):
        a.apply_gradients(gradients(one), one)
        b.apply_gradients(zip(gradients(two), two))
    for x, y in zip(values(one), values(two)):
        np.testing.assert_array_equal(x, y)


def check_new_variable_refused(make):
    vs = variables()
    opt = make()
    opt.apply_gradients(gradients(vs), vs)
    extra = tf.Variable([1.0, 2.0], dtype=tf.float64, name="newcomer")
    before, extra_before = values(vs), extra.numpy().copy()
    with pytest.raises(ValueError, match="newcomer"):
        opt.apply_gradients(gradients(vs + [extra]), vs + [extra])
    with pytest.raises(ValueError, match="x0"):  # the first call's x0 left out
        opt.apply_gradients(gradients(vs[1:]), vs[1:])
    for x, y in zip(values(vs), before):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(extra.numpy(), extra_before)


def check_none_gradient_refused(make):
    vs = variables()
    opt = make()
    grads = gradients(vs)
    with pytest.raises(ValueError, match="x1"):  # on the first call
        opt.apply_gradients([grads[0], None, grads[2]], vs)
    assert not opt.built
    for x, y in zip(values(vs), START):
        np.testing.assert_array_equal(x, y)
    opt.apply_gradients(grads, vs)
    before = values(vs)
    with pytest.raises(ValueError, match="x2"):  # on a later call
        opt.apply_gradients([grads[0], grads[1], None], vs)
    for x, y in zip(values(vs), before):
        np.testing.assert_array_equal(x, y)
    assert opt.iterations == 1


def check_tf_function_refused(make):
    vs = variables()
    opt = make()

    @tf.function
    def step():
        opt.apply_gradients(gradients(vs), vs)

    with pytest.raises(RuntimeError, match="tf.function"):
        step()
    for x, y in zip(values(vs), START):
        np.testing.assert_array_equal(x, y)


def check_dtypes(make):
    """float32 stays float32; float16 and integer variables are refused by name."""
    vs = variables(tf.float32)
    make().apply_gradients(gradients(vs), vs)
    assert all(v.dtype == tf.float32 for v in vs)
    assert values(vs)[1].dtype == np.float32
    for dtype in (tf.float16, tf.int32):
        bad = tf.Variable(tf.ones([2], dtype), name="odd")
        with pytest.raises(TypeError, match=f"odd.*{dtype.name}"):
            make().apply_gradients([tf.ones([2], dtype)], [bad])


CHECKS = [check_order_does_not_matter, check_pairs_form, check_new_variable_refused,
          check_none_gradient_refused, check_tf_function_refused, check_dtypes]
