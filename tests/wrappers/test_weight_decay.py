"""Decoupled weight decay with masks: NumPy oracle, bit-identity, warnings, Keras 3 parity."""

from __future__ import annotations

import json
import re
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from coreopt.train.keras_adapter import KerasOptimizer
from tests.helpers import SHAPES, gradient, initial_values, relative_error
from tests.wrappers.cases import WrapperCase

NAMES = ["scale", "dense/bias", "dense/kernel", "conv/kernel"]  # one per helpers.SHAPES


class DecayReference:
    """Decoupled weight decay from the definition, around an inner oracle.

    A parameter decays when its name passes the rules: re.search(include, name) (if given),
    not re.search(exclude, name) (if given) and mask(index) (if given); a decaying one
    becomes x - x * weight_decay * lr (lr = 1 without scaling), then the inner step.
    The common suite's variables are all named "Variable".
    """

    def __init__(self, inner, weight_decay=0.01, scale_by_learning_rate=True, include="",
                 exclude="", names=None, mask=None):
        self.inner, self.wd, self.scale = inner, weight_decay, scale_by_learning_rate
        self.include, self.exclude, self.names, self.mask = include, exclude, names, mask

    def decays(self, i, name):
        return ((not self.include or re.search(self.include, name) is not None)
                and not (self.exclude and re.search(self.exclude, name) is not None)
                and (self.mask is None or self.mask(i)))

    def step(self, grads, params, grad_fn=None):
        names = self.names or ["Variable"] * len(params)
        lr = self.inner.learning_rate if self.scale else 1.0
        decayed = [reference.decay([p], self.wd, lr)[0] if self.decays(i, n) else p
                   for i, (p, n) in enumerate(zip(params, names))]
        return self.inner.step(grads, decayed)


CASES = {"decay": WrapperCase(
    configs=({"weight_decay": 0.05}, {"weight_decay": 0.05, "exclude": "^Variable$"},
             {"weight_decay": 0.05, "include": "Var"}),
    oracle=DecayReference, inners=("adam",))}

ADAM = {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95}


def named(values, dtype=tf.float64, names=NAMES):
    return [tf.Variable(np.asarray(v), dtype=dtype, name=n) for v, n in zip(values, names)]


def run(opt, variables, steps=20):
    for step in range(steps):
        opt.apply_gradients([gradient(v.value(), step) for v in variables], variables)
    return [v.numpy() for v in variables]


def by_rank(v):
    return v.shape.rank >= 2


@pytest.mark.parametrize("rules, oracle_rules", [
    ({"include": "kernel"}, {"include": "kernel"}),
    ({"exclude": "bias|scale"}, {"exclude": "bias|scale"}),
    ({"include": "kernel|bias", "exclude": "^conv/"}, {"include": "kernel|bias",
                                                       "exclude": "^conv/"}),
    ({"mask": by_rank}, {"mask": lambda i: len(SHAPES[i]) >= 2}),
    ({"mask": by_rank, "exclude": "conv"}, {"mask": lambda i: len(SHAPES[i]) >= 2,
                                            "exclude": "conv"}),
    ({"exclude": "bias", "scale_by_learning_rate": False},
     {"exclude": "bias", "scale_by_learning_rate": False}),
], ids=["include", "exclude", "both", "callable", "callable-and-exclude", "unscaled"])
def test_masks_match_the_oracle(rules, oracle_rules):
    values = initial_values()
    opt = coreopt.DecoupledWeightDecay(coreopt.Adam(**ADAM), 0.1, **rules)
    ours = run(opt, named(values), 30)
    oracle = DecayReference(reference.Adam(**ADAM), 0.1, names=NAMES, **oracle_rules)
    params = [v.copy() for v in values]
    for step in range(30):
        params = oracle.step([gradient(p, step) for p in params], params)
    for got, want in zip(ours, params):
        assert relative_error(got, want) <= 1e-9


def test_decaying_variables_are_bit_identical_to_the_unmasked_decay():
    values = initial_values()
    masked = run(coreopt.DecoupledWeightDecay(coreopt.Adam(**ADAM), 0.1, exclude="bias"),
                 named(values, tf.float32))
    unmasked = run(coreopt.DecoupledWeightDecay(coreopt.Adam(**ADAM), 0.1),
                   named(values, tf.float32))
    alone = run(coreopt.Adam(**ADAM), named(values, tf.float32))
    for name, m, u, a in zip(NAMES, masked, unmasked, alone):
        np.testing.assert_array_equal(m, a if "bias" in name else u)
    assert not np.array_equal(unmasked[1], alone[1])


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
@pytest.mark.parametrize("rules", [{}, {"include": "."}], ids=["unmasked", "masked-all"])
def test_decay_is_adamw_bit_for_bit_and_the_definition(rules, dtype):
    # AdamW's own update (coreopt.optimizers.adamw) is the same decay written out flat.
    values = initial_values()
    opt = coreopt.DecoupledWeightDecay(coreopt.Adam(**ADAM, epsilon=1e-8), 0.1, **rules)
    ours = run(opt, named(values, dtype))
    for a, b in zip(ours, run(coreopt.AdamW(**ADAM, weight_decay=0.1), named(values, dtype))):
        np.testing.assert_array_equal(a, b)
    oracle = DecayReference(reference.Adam(**ADAM, epsilon=1e-8), 0.1)
    params = [v.copy() for v in values]
    for step in range(20):
        params = oracle.step([gradient(p, step) for p in params], params)
    for got, want in zip(ours, params):
        assert relative_error(got, want) <= (1e-13 if dtype == tf.float64 else 1e-5)


def test_a_pattern_that_matches_nothing_warns_and_names_it():
    opt = coreopt.DecoupledWeightDecay(coreopt.Adam(), 0.1, include="kernel", exclude="gamma")
    with pytest.warns(UserWarning, match="'gamma'") as record:
        opt.build(named(initial_values()))
    assert len(record) == 1 and "exclude" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coreopt.DecoupledWeightDecay(coreopt.Adam(), 0.1, exclude="bias").build(
            named(initial_values()))


def test_the_decision_is_a_slot_and_a_tensor_decays_unless_something_selects():
    variables = named(initial_values())
    opt = coreopt.DecoupledWeightDecay(coreopt.Adam(), 0.1, exclude="bias")
    opt.build(variables)
    assert [float(opt.get_slot(v, "decay_mask").numpy()) for v in variables] == [1, 0, 1, 1]
    assert opt.get_slot(variables[1], "decay_mask").dtype == tf.float64
    x = tf.zeros((3,))
    assert float(opt.init_slots(x)["decay_mask"]) == 1.0  # no name: exclude cannot exclude
    for rules in ({"include": "kernel"}, {"mask": by_rank}):
        slots = coreopt.DecoupledWeightDecay(coreopt.Adam(), 0.1, **rules).init_slots(x)
        assert float(slots["decay_mask"]) == 0.0
    assert "decay_mask" not in coreopt.DecoupledWeightDecay(coreopt.Adam()).init_slots(x)


def test_configs_patterns_round_trip_and_a_callable_refuses():
    opt = coreopt.DecoupledWeightDecay(coreopt.Adam(), 0.1, include="kernel", exclude="^conv")
    rebuilt = coreopt.from_config(json.loads(json.dumps(opt.get_config())))
    assert repr(rebuilt) == repr(opt) and "exclude='^conv'" in repr(opt)
    assert repr(coreopt.get("decay(exclude='bias'):adam")).endswith("exclude='bias')")
    masked = coreopt.DecoupledWeightDecay(coreopt.Adam(), 0.1, mask=by_rank)
    assert "mask=<function by_rank" in repr(masked)
    with pytest.raises(TypeError, match="callable `mask`"):
        masked.get_config()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"exclude": ["bias"]}, TypeError, "`exclude` must be a regular expression"),
    ({"include": "(kernel"}, ValueError, "`include` is not a valid regular expression"),
    ({"mask": "bias"}, TypeError, "`mask` must be a callable"),
])
def test_bad_masks_are_refused_at_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        coreopt.DecoupledWeightDecay(coreopt.Adam(), 0.1, **kwargs)


def test_a_mask_that_returns_a_non_bool_fails_before_any_slot_exists():
    inner = coreopt.Adam()
    opt = coreopt.DecoupledWeightDecay(inner, 0.1, mask=lambda v: v.shape.rank)
    with pytest.raises(TypeError, match="`mask` must return True or False"):
        opt.build(named(initial_values()))
    assert not inner.built and not opt.built


def _keras_models(dtype):
    keras.utils.set_random_seed(0)
    models = [keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, dtype=dtype),
                                keras.layers.Dense(2, dtype=dtype)]) for _ in range(2)]
    models[1].set_weights(models[0].get_weights())
    return [m.trainable_variables for m in models]


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-6)])
def test_keras_adamw_excluding_bias_parity(dtype, tol):
    theirs, ours = _keras_models(dtype)
    k = keras.optimizers.AdamW(0.01, weight_decay=0.1)
    k.exclude_from_weight_decay(var_names=["bias"])
    lr = float(np.float32(0.01))  # Keras keeps its rate in float32
    opt = coreopt.DecoupledWeightDecay(
        coreopt.Adam(lr, epsilon_hat=True, float32_correction_betas=True), 0.1, exclude="bias")
    for step in range(100):
        k.apply_gradients([(gradient(v.value, step), v) for v in theirs])
        opt.apply_gradients([gradient(v.value, step) for v in ours], ours)
    for a, b in zip(ours, theirs, strict=True):
        assert relative_error(a.numpy(), b.numpy()) <= tol, a.path


def test_keras_adapter_reads_the_variables_names():
    (variables, _) = _keras_models("float32")
    for v in variables:  # Keras's biases start at zero, which no decay would move
        v.assign(np.full(v.shape, 2.0, np.float32))
    before = [v.numpy() for v in variables]
    opt = KerasOptimizer(coreopt.DecoupledWeightDecay(coreopt.GradientDescent(0.1), 0.5,
                                                      exclude="bias"))
    opt.apply_gradients([(tf.zeros_like(v.value), v) for v in variables])
    for v, b in zip(variables, before):
        np.testing.assert_allclose(v.numpy(), b if "bias" in v.path else 0.95 * b, rtol=1e-6)
