"""Checkpoints keep each slot under the path of the variable it belongs to."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt


def _trained(opt, values):
    variables = [tf.Variable(v) for v in values]
    for step in range(3):
        opt.apply_gradients([tf.constant(np.cos(v + step), tf.float32) for v in values],
                            variables)
    return variables


@pytest.mark.parametrize("build", ["reversed", "unbuilt"])
def test_restore_follows_variables_not_build_order(tmp_path, build):
    values = [np.array([1.0, 2.0], np.float32), np.array([-3.0, 0.5], np.float32)]
    opt = coreopt.Adam(0.1)
    variables = _trained(opt, values)
    path = tf.train.Checkpoint(opt=opt, vars=variables).save(str(tmp_path / "c"))
    fresh = [tf.Variable(np.zeros(2, np.float32)) for _ in values]
    other = coreopt.Adam(0.1)
    if build == "reversed":
        other.build(list(reversed(fresh)))
    tf.train.Checkpoint(opt=other, vars=fresh).restore(path).assert_consumed()
    for old, new in zip(variables, fresh):
        for name in ("m", "v"):
            np.testing.assert_array_equal(other.get_slot(new, name).numpy(),
                                          opt.get_slot(old, name).numpy())


def test_different_shapes_in_another_order_restore_without_error(tmp_path):
    values = [np.ones(3, np.float32), np.ones((2, 2), np.float32)]
    opt = coreopt.Adam(0.1)
    variables = _trained(opt, values)
    path = tf.train.Checkpoint(opt=opt, vars=variables).save(str(tmp_path / "c"))
    fresh = [tf.Variable(np.zeros_like(v)) for v in values]
    other = coreopt.Adam(0.1)
    other.build(list(reversed(fresh)))
    tf.train.Checkpoint(opt=other, vars=fresh).restore(path).assert_consumed()
    np.testing.assert_array_equal(other.get_slot(fresh[1], "m").numpy(),
                                  opt.get_slot(variables[1], "m").numpy())


def test_slots_are_saved_beside_their_variables(tmp_path):
    opt = coreopt.ClipByNorm(coreopt.Adam(0.1), 1.0)
    variables = _trained(opt, [np.ones(2, np.float32)])
    path = tf.train.Checkpoint(opt=opt, vars=variables).save(str(tmp_path / "c"))
    keys = [k for k, _ in tf.train.list_variables(path)]
    assert "vars/0/.OPTIMIZER_SLOT/opt/inner/m/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "opt/inner/iterations/.ATTRIBUTES/VARIABLE_VALUE" in keys


def _saved(name, tmp_path):
    x = tf.Variable([1.0, 2.0])
    opt = coreopt.get(name)
    for _ in range(3):
        opt.apply_gradients([tf.constant([0.5, -1.0])], [x])
    return tf.train.Checkpoint(opt=opt, x=x).write(str(tmp_path / "c"))


def test_another_chain_is_refused_by_name_and_nothing_is_restored(tmp_path):
    from coreopt.core.checkpoints import restore

    path = _saved("ema:adam", tmp_path)
    x = tf.Variable([7.0, 7.0])
    other = coreopt.get("lookahead:adam")
    other.build([x])
    before = [v.numpy().copy() for v in (x, other.get_slot(x, "m"), other.inner.iterations)]
    with pytest.raises(ValueError, match="slot opt/average.*Nothing was restored"):
        restore(tf.train.Checkpoint(opt=other, x=x), path)
    after = [v.numpy() for v in (x, other.get_slot(x, "m"), other.inner.iterations)]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def test_the_same_chain_restores(tmp_path):
    from coreopt.core.checkpoints import restore

    path = _saved("ema:adam", tmp_path)
    x = tf.Variable([0.0, 0.0])
    same = coreopt.get("ema:adam")
    with pytest.raises(ValueError, match="Build the optimizers first"):
        restore(tf.train.Checkpoint(opt=same, x=x), path)
    same.build([x])
    restore(tf.train.Checkpoint(opt=same, x=x), path)
    assert int(same.iterations.numpy()) == int(same.inner.iterations.numpy()) == 3
    assert float(tf.reduce_sum(tf.abs(same.get_slot(x, "average")))) > 0
