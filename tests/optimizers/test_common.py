"""The common suite: every registered optimizer against its oracles and contracts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.compat import from_keras
from coreopt.core.variables import read
from coreopt.testing import oracle as reference
from tests.helpers import (
    Stepper,
    gradient,
    initial_values,
    make_variables,
    oracle_loss,
    relative_error,
    run_closure,
    run_steps,
    shapes_for,
)
from tests.optimizers.cases import CASES, config_params, keras_params

STEPS = 100


def run(opt, variables, steps, start=0):
    """`run_steps`, or `run_closure` for an optimizer that needs the loss."""
    closure = getattr(opt, "chain_needs_closure", False)
    return (run_closure if closure else run_steps)(opt, variables, steps, start)


def values_for(name, seed=0):
    """The suite's initial values for `name`: helpers.SHAPES, or matrices in their slots for
    an optimizer whose class steps some ranks only (its `ranks`, read from the registry)."""
    return initial_values(seed, shapes_for(name))


def skip_if_closure(name):
    """The apply_gradients contracts (None, IndexedSlices, list order of given gradients) do
    not apply to an optimizer stepped only by `minimize` (its gradients come from the tape)."""
    if coreopt.entry(name).needs_closure:
        pytest.skip(f"{name} needs the loss: stepped by minimize, never apply_gradients")


def test_every_registered_optimizer_has_a_case():
    assert sorted(CASES) == sorted(coreopt.names())
    assert sorted(reference.REFERENCES) == sorted(coreopt.names())


@pytest.mark.parametrize("name, config", config_params(every_optimizer_fast=True))
def test_matches_numpy_reference_float64(name, config):
    values = values_for(name)
    variables = make_variables(values, tf.float64)
    opt = coreopt.get(name, **config)
    ours = run(opt, variables, STEPS)  # by minimize where it needs the loss (oracle_loss)
    ref, params = reference.REFERENCES[name](**config), [v.copy() for v in values]
    for step in range(STEPS):
        params = ref.step([gradient(p, step) for p in params], params,
                          **oracle_loss(opt, params, step))
    for got, want in zip(ours, params):
        assert relative_error(got, want) <= 1e-9


WRAPPERS = {
    "plain": {},
    "weight_decay": {"weight_decay": 0.05},
    "clipnorm": {"clipnorm": 0.5},
    "clipvalue": {"clipvalue": 0.2},
    "global_clipnorm": {"global_clipnorm": 0.7},
}


def keras_cases():
    for param in keras_params():
        name, factory = param.values
        first = param.id.endswith("-0")
        for mode in WRAPPERS if first else ["plain"]:
            for dtype in ("float32", "float64"):
                # the second tier's table; float32 there too (float64 is the 1e-12 contract)
                slow = mode != "plain" or not first or dtype == "float32"
                yield pytest.param(name, factory, mode, dtype, id=f"{param.id}-{mode}-{dtype}",
                                   marks=(pytest.mark.slow,) if slow else ())


@pytest.mark.parametrize("name, factory, mode, dtype", keras_cases())
def test_matches_keras_through_from_keras(name, factory, mode, dtype):
    keras_opt = factory()
    for key, value in WRAPPERS[mode].items():
        setattr(keras_opt, key, value)
    ours_opt = from_keras(keras_opt)
    values = initial_values(3, shapes_for(ours_opt))  # Keras's Muon: a Route, every rank
    ours, theirs = make_variables(values, dtype), make_variables(values, dtype)
    for step in range(STEPS):
        ours_opt.apply_gradients([gradient(v.value(), step) for v in ours], ours)
        keras_opt.apply([gradient(v.value(), step) for v in theirs], theirs)
    # float64: rounding error only. Keras rounds some Python-float hyperparameters through
    # float32 (coreopt.compat's docstring); from_keras reproduces each of those roundings.
    tolerance = 1e-12 if dtype == "float64" else 1e-5
    for a, b in zip(ours, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= tolerance


@pytest.mark.parametrize("name, config", config_params())
def test_eager_equals_function_equals_xla(name, config):
    results = []
    for mode in ("eager", "function", "xla"):
        variables = make_variables(values_for(name))
        opt = coreopt.get(name, **config)
        opt.build(variables)
        stepper = Stepper(opt, variables)

        def step(grads, stepper=stepper):
            stepper(grads)

        if mode != "eager":
            step = tf.function(step, jit_compile=mode == "xla")
        for i in range(20):
            step(stepper.inputs(i))
        results.append([v.numpy() for v in variables])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("name", coreopt.names())
def test_a_call_stands_still_exactly_when_it_says_so(name):
    """`stands_still(state)` before a call is True exactly when the call leaves every
    variable as it is (SOAP's first call; none of any other optimizer's first three)."""
    variables = make_variables(values_for(name), tf.float64)
    opt = coreopt.get(name, **CASES[name].configs[0])
    opt.build(variables)
    stepper = Stepper(opt, variables)
    for i in range(3):
        still = bool(opt.stands_still(read(opt.state_variables())))
        before = [v.numpy() for v in variables]
        stepper(stepper.inputs(i))
        same = all(np.array_equal(b, v.numpy()) for b, v in zip(before, variables))
        assert same == still, f"call {i + 1}: stands_still says {still}"


@pytest.mark.parametrize("name, config", config_params())
def test_changing_learning_rate_never_retraces(name, config):
    variables = make_variables(values_for(name))
    opt = coreopt.get(name, **config)
    opt.build(variables)
    stepper = Stepper(opt, variables)

    @tf.function
    def step(grads):
        stepper(grads)

    for i in range(STEPS):
        opt.learning_rate = config["learning_rate"] * (1 + 0.01 * i)
        step(stepper.inputs(i))
    assert step.experimental_get_tracing_count() == 1
    compiled = opt._compiled_closure if stepper.closure else opt._compiled
    assert compiled.experimental_get_tracing_count() == 1
    assert int(opt.iterations.numpy()) == STEPS


@pytest.mark.parametrize("name, config", config_params())
def test_checkpoint_resume_is_bit_identical(name, config, tmp_path):
    values = values_for(name)
    variables = make_variables(values)
    opt = coreopt.get(name, **config)
    run(opt, variables, 10)
    path = tf.train.Checkpoint(opt=opt, vars=variables).save(str(tmp_path / "ckpt"))
    uninterrupted = run(opt, variables, 10, start=10)

    fresh_vars = make_variables([np.zeros_like(v) for v in values])
    fresh_opt = coreopt.get(name, **config)
    fresh_opt.build(fresh_vars)
    tf.train.Checkpoint(opt=fresh_opt, vars=fresh_vars).restore(path).assert_consumed()
    resumed = run(fresh_opt, fresh_vars, 10, start=10)
    for a, b in zip(uninterrupted, resumed):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, config", config_params())
def test_none_gradient_is_skipped_with_a_warning(name, config):
    skip_if_closure(name)
    variables = make_variables(values_for(name))
    before = [v.numpy() for v in variables]
    opt = coreopt.get(name, **config)
    for step in range(2):  # two: SOAP's first step leaves every variable as it is
        grads = [gradient(v.value(), step) for v in variables]
        grads[1] = None
        with pytest.warns(UserWarning, match="None"):
            opt.apply_gradients(grads, variables)
    np.testing.assert_array_equal(variables[1].numpy(), before[1])
    assert not np.array_equal(variables[2].numpy(), before[2])


@pytest.mark.parametrize("name, config", config_params())
def test_indexed_slices_equal_dense(name, config):
    skip_if_closure(name)
    rows = np.random.default_rng(5).normal(size=(2, 3))
    dense = np.zeros((6, 3))
    dense[[1, 4]] = rows
    results = []
    for sparse in (True, False):
        var = tf.Variable(np.ones((6, 3)), dtype=tf.float32)
        opt = coreopt.get(name, **config)
        for _ in range(3):
            grad = (tf.IndexedSlices(tf.constant(rows, tf.float32), tf.constant([1, 4]),
                                     tf.constant([6, 3])) if sparse
                    else tf.constant(dense, tf.float32))
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                opt.apply_gradients([grad], [var])
        results.append(var.numpy())
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("name, config", config_params())
def test_slots_follow_variables_not_positions(name, config):
    skip_if_closure(name)
    values = values_for(name)
    forward, backward = make_variables(values), make_variables(values)
    opt_f, opt_b = coreopt.get(name, **config), coreopt.get(name, **config)
    opt_b.build(list(reversed(backward)))
    for step in range(5):
        opt_f.apply_gradients([gradient(v.value(), step) for v in forward], forward)
        order = [2, 0, 3, 1] if step % 2 else [1, 3, 0, 2]
        shuffled = [backward[i] for i in order]
        opt_b.apply_gradients([gradient(v.value(), step) for v in shuffled], shuffled)
    for a, b in zip(forward, backward):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", coreopt.names())
def test_repr_shows_hyperparameters(name):
    opt = coreopt.get(name, **CASES[name].configs[0])
    text = repr(opt)
    assert text.startswith(type(opt).__name__ + "(")
    for key in CASES[name].configs[0]:
        assert f"{key}=" in text


@pytest.mark.parametrize("name, config", config_params())
def test_json_config_rebuilds_the_same_trajectory(name, config):
    import json

    opt = coreopt.get(name, **config)
    rebuilt = coreopt.from_config(json.loads(json.dumps(opt.get_config())))
    assert type(rebuilt) is type(opt) and repr(rebuilt) == repr(opt)
    for a, b in zip(run(opt, make_variables(values_for(name)), 10),
                    run(rebuilt, make_variables(values_for(name)), 10)):
        np.testing.assert_array_equal(a, b)
