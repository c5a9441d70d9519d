"""Clipping and decoupled weight decay compose with every optimizer.

The table over every registered optimizer is the second tier's (`slow`): the
default tier runs each wrapper around several inner optimizers in
`tests/wrappers/test_common.py`, and each optimizer alone in
`tests/optimizers/test_common.py`.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from tests.helpers import (
    Stepper,
    gradient,
    initial_values,
    make_variables,
    oracle_loss,
    relative_error,
    shapes_for,
)
from tests.optimizers.cases import CASES

# clipvalue 0.7 clips about half of the entries. A bound of 0.5 or less clips two rows of the
# (4, 5) matrix to the same row, so that SOAP's first statistic has a repeated eigenvalue 0,
# whose basis each eigensolver picks its own way (see coreopt.optimizers.soap).
WRAP = {
    "clip_by_value": (lambda o: coreopt.ClipByValue(o, 0.7),
                      lambda g: reference.clip_by_value(g, 0.7)),
    "clip_by_norm": (lambda o: coreopt.ClipByNorm(o, 0.5),
                     lambda g: reference.clip_by_norm(g, 0.5)),
    "clip_by_global_norm": (lambda o: coreopt.ClipByGlobalNorm(o, 0.7),
                            lambda g: reference.clip_by_global_norm(g, 0.7)),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(WRAP))
@pytest.mark.parametrize("name", coreopt.names())
def test_clipping_then_step_matches_reference(name, kind):
    config = CASES[name].configs[0]
    wrap, clip = WRAP[kind]
    values = initial_values(shapes=shapes_for(name))  # matrices for Muon (its `ranks`)
    variables = make_variables(values, tf.float64)
    opt = wrap(coreopt.get(name, **config))
    ref, params = reference.REFERENCES[name](**config), [v.copy() for v in values]
    stepper = Stepper(opt, variables)
    for step in range(20):
        stepper(stepper.inputs(step))
        loss = oracle_loss(opt, params, step)
        params = ref.step(clip([gradient(p, step) for p in params]), params, **loss)
    for v, p in zip(variables, params):
        assert relative_error(v.numpy(), p) <= 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("name", coreopt.names())
def test_weight_decay_then_step_matches_reference(name):
    config = CASES[name].configs[0]
    lr = config["learning_rate"]
    values = initial_values(shapes=shapes_for(name))
    variables = make_variables(values, tf.float64)
    opt = coreopt.DecoupledWeightDecay(coreopt.get(name, **config), 0.05)
    oracle = reference.REFERENCES[name]
    # an oracle that keeps x explicitly recovers it from the decayed y, as the optimizer does
    recover = {"x_from_params": True} if "x_from_params" in oracle.defaults else {}
    ref, params = oracle(**config, **recover), [v.copy() for v in values]
    ref.start(params)  # slots that start from x (Prodigy's x0, Schedule-Free's z) at build
    stepper = Stepper(opt, variables)
    for step in range(20):
        stepper(stepper.inputs(step))
        grads, loss = [gradient(p, step) for p in params], oracle_loss(opt, params, step)
        params = ref.step(grads, reference.decay(params, 0.05, lr), **loss)
    for v, p in zip(variables, params):
        assert relative_error(v.numpy(), p) <= 1e-9


def test_weight_decay_without_learning_rate_scaling():
    x = tf.Variable(1.0, dtype=tf.float64)
    opt = coreopt.DecoupledWeightDecay(coreopt.GradientDescent(0.1), 0.5,
                                       scale_by_learning_rate=False)
    opt.apply_gradients([tf.constant(0.0, tf.float64)], [x])
    assert float(x.numpy()) == 0.5


def test_wrappers_nest_their_inner_state(tmp_path):
    inner = coreopt.Adam(0.1)
    opt = coreopt.ClipByNorm(coreopt.DecoupledWeightDecay(inner, 0.01), 1.0)
    x = tf.Variable([3.0, 4.0])
    opt.apply_gradients([tf.constant([30.0, 40.0])], [x])
    assert int(opt.iterations.numpy()) == int(inner.iterations.numpy()) == 1
    assert opt.state_variables()["inner"]["inner"]["iterations"] is inner.iterations
    assert opt.get_slot(x, "m") is inner.get_slot(x, "m")
    assert opt.slot_variables(x)["inner"]["inner"]["m"] is inner.get_slot(x, "m")
    assert repr(opt).startswith("ClipByNorm(DecoupledWeightDecay(Adam(learning_rate=0.1")
    opt.learning_rate = 0.05
    assert float(inner.learning_rate.numpy()) == 0.05


def test_global_norm_with_mixed_dtypes():
    a, b = tf.Variable([3.0]), tf.Variable([4.0], dtype=tf.float64)
    opt = coreopt.ClipByGlobalNorm(coreopt.GradientDescent(1.0), 1.0)
    opt.apply_gradients([tf.constant([3.0]), tf.constant([4.0], tf.float64)], [a, b])
    np.testing.assert_allclose([a.numpy()[0], b.numpy()[0]], [2.4, 3.2], rtol=1e-6)


@pytest.mark.parametrize("make", [lambda: coreopt.ClipByNorm(coreopt.Adam(), 0.0),
                                  lambda: coreopt.ClipByValue(coreopt.Adam(), -1.0),
                                  lambda: coreopt.DecoupledWeightDecay(coreopt.Adam(), -0.1),
                                  lambda: coreopt.ClipByNorm("adam", 1.0)])
def test_bad_wrapper_arguments(make):
    with pytest.raises((ValueError, TypeError)):
        make()
