"""The default policy for NaN/Inf gradients ("proceed"): Keras's values, one warning, eager only."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.compat import from_keras
from coreopt.testing import check

NAN = float("nan")


def _steps(opt, x, grads, step=None):
    step = step or (lambda g: opt.apply_gradients([g], [x]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for g in grads:
            step(tf.constant(g))
    return [w for w in caught if "non-finite" in str(w.message)]


GRADS = [[1.0, 2.0, 3.0], [1.0, NAN, 3.0], [1.0, 2.0, float("inf")], [0.5, 0.5, 0.5]]


def test_the_default_warns_once_per_optimizer_naming_the_variable():
    x = tf.Variable([1.0, 2.0, 3.0], name="weights")
    opt = coreopt.Adam(0.1)
    caught = _steps(opt, x, GRADS)
    assert len(caught) == 1 and "weights:0" in str(caught[0].message)
    assert caught[0].category is RuntimeWarning
    assert len(_steps(coreopt.Adam(0.1), x, GRADS[1:2])) == 1  # another optimizer: again
    assert not _steps(coreopt.Adam(0.1), tf.Variable([1.0, 2.0, 3.0]), [GRADS[0], GRADS[3]])


def test_a_held_call_of_accumulation_warns_too():
    opt = coreopt.GradientAccumulation(coreopt.Adam(0.1), steps=3)
    assert len(_steps(opt, tf.Variable([1.0, 2.0, 3.0]), GRADS[1:2])) == 1


def test_the_default_is_the_same_bits_eager_and_in_a_tf_function_which_cannot_warn():
    eager, graph = tf.Variable([1.0, 2.0, 3.0]), tf.Variable([1.0, 2.0, 3.0])
    a, b = coreopt.Adam(0.1), coreopt.Adam(0.1)
    _steps(a, eager, GRADS)
    fn = tf.function(lambda g: b.apply_gradients([g], [graph]))
    assert not _steps(b, graph, GRADS, fn)
    np.testing.assert_array_equal(eager.numpy(), graph.numpy())
    for name in ("m", "v"):
        np.testing.assert_array_equal(a.get_slot(eager, name).numpy(),
                                      b.get_slot(graph, name).numpy())


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_the_default_applies_a_nan_as_keras_does(dtype):
    keras_opt = keras.optimizers.Adam(0.1)
    ours = from_keras(keras.optimizers.Adam(0.1))
    mine = tf.Variable(tf.constant([1.0, 2.0, 3.0], dtype))
    theirs = tf.Variable(tf.constant([1.0, 2.0, 3.0], dtype))
    _steps(ours, mine, GRADS)
    for g in GRADS:
        keras_opt.apply([tf.constant(g, dtype)], [theirs])
    a, b = mine.numpy(), theirs.numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b)) and np.isnan(a).tolist() == [
        False, True, True]
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)


def test_clipping_by_global_norm_warns_and_poisons_every_coordinate():
    x = tf.Variable([1.0, 2.0, 3.0])
    assert len(_steps(coreopt.ClipByGlobalNorm(coreopt.Adam(0.1)), x, GRADS[1:2])) == 1
    assert np.all(np.isnan(x.numpy()))


def test_dynamic_loss_scaling_skips_so_it_does_not_warn():
    opt = coreopt.LossScale(coreopt.Adam(0.1), initial_scale=4.0)
    assert not _steps(opt, tf.Variable([1.0, 2.0, 3.0]), GRADS)


def test_the_check_reads_a_warned_hold_as_seen_and_a_skip_as_a_pass():
    held = check("accumulate:adam", checks=["nonfinite_gradient"])["nonfinite_gradient"]
    assert held.verdict == "pass" and held.evidence["NaN"]["warned"] is True
    assert "with a warning" in held.sentence
    skipped = check("apply_if_finite:adam", checks=["nonfinite_gradient"])["nonfinite_gradient"]
    assert skipped.verdict == "pass" and skipped.evidence["NaN"]["policy"] == "skipped"
    assert skipped.evidence["NaN"]["finite_after_reset"] is True
