"""The common wrapper suite: every registered wrapper, around several inner optimizers,
against its NumPy oracle and through the shell's contracts.

Rows come from each wrapper's own test module (`tests/wrappers/cases.py`); the
default tier runs every config against the oracle and the first config through
the contracts, around the row's `inners`; the slow tier runs every config
around every optimizer in `INNERS` (two of them reduce over whole matrices:
LAMB, Adafactor).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt import lab
from coreopt.testing import oracle as reference
from tests.helpers import gradient, gradient_noise, initial_values, make_variables, relative_error
from tests.optimizers.cases import CASES as OPTIMIZER_CASES
from tests.wrappers.cases import INNERS, collect, missing

CASES = collect()


def test_every_registered_wrapper_has_a_row():
    assert not missing(CASES), "\n".join(missing(CASES))


def _rows(with_oracle=False, with_lab=False):
    for name, case in sorted(CASES.items()):
        if (with_oracle and case.oracle is None) or (with_lab and not case.lab):
            continue
        for i, config in enumerate(case.configs):
            for inner in dict.fromkeys((*case.inners, *INNERS)):
                first = inner in case.inners and (i == 0 or with_oracle)
                marks = () if first else (pytest.mark.slow,)
                yield pytest.param(name, config, inner, id=f"{name}-{i}-{inner}", marks=marks)


def _inner_config(inner):
    return OPTIMIZER_CASES[inner].configs[0]


def _build(name, config, inner, **inner_extra):
    inner_opt = coreopt.get(inner, **{**_inner_config(inner), **inner_extra})
    return coreopt.entry(name).cls(inner_opt, **config)


class Field:
    """The suite's gradient field (tests.helpers.gradient) as a loss closure.

    loss(x) = sum (x - 0.5)^2 / 2 + 0.2/3 sin(3x) + noise_step . x, whose gradient is
    `gradient(x, step)`; the noise lives in variables so that one `loss_fn` serves
    every step (a closure-taking optimizer then traces once).
    """

    def __init__(self, variables):
        self.variables = variables
        self.noise = [tf.Variable(tf.zeros_like(v)) for v in variables]

        def loss_fn():
            return tf.add_n([tf.reduce_sum(0.5 * tf.square(v - 0.5) + 0.2 / 3 * tf.sin(3 * v)
                                           + n * v) for v, n in zip(variables, self.noise)])

        self.loss_fn = loss_fn

    def set(self, step):
        for v, n in zip(self.variables, self.noise):
            n.assign(tf.constant(gradient_noise(v.shape, step), v.dtype))


def step_once(opt, variables, field, step):
    if opt.chain_needs_closure:
        field.set(step)
        opt.minimize(field.loss_fn, variables)
    else:
        opt.apply_gradients([gradient(v.value(), step) for v in variables], variables)


def run(opt, variables, steps, start=0):
    field = Field(variables)
    for step in range(start, start + steps):
        step_once(opt, variables, field, step)
    return [v.numpy() for v in variables]


@pytest.mark.parametrize("name, config, inner", _rows(with_oracle=True))
def test_matches_numpy_oracle_float64(name, config, inner):
    steps = 30
    values = initial_values()
    variables = make_variables(values, tf.float64)
    ours = run(_build(name, config, inner), variables, steps)
    oracle = CASES[name].oracle(reference.REFERENCES[inner](**_inner_config(inner)), **config)
    params = [v.copy() for v in values]
    for step in range(steps):
        def grad_fn(ps, step=step):
            return [gradient(p, step) for p in ps]

        params = oracle.step(grad_fn(params), params, grad_fn)
    for got, want in zip(ours, params):
        assert relative_error(got, want) <= 1e-9


@pytest.mark.parametrize("name, config, inner", _rows())
def test_eager_equals_function_equals_xla(name, config, inner):
    results = []
    for mode in ("eager", "function", "xla"):
        variables = make_variables(initial_values())
        opt = _build(name, config, inner)
        opt.build(variables)
        field = Field(variables)

        def once(step, opt=opt, variables=variables, field=field):
            step_once(opt, variables, field, step)

        if mode != "eager":
            compiled = tf.function(lambda g, o=opt, v=variables, f=field: (
                o.minimize(f.loss_fn, v) if o.chain_needs_closure else o.apply_gradients(g, v)),
                jit_compile=mode == "xla")

            def once(step, compiled=compiled, opt=opt, variables=variables, field=field):
                field.set(step)
                compiled([gradient(v.value(), step) for v in variables])

        for i in range(12):
            once(i)
        results.append([v.numpy() for v in variables])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def _as_variables(name, config):
    """The row's numeric hyperparameters as float64 variables (to change between steps)."""
    spec = coreopt.entry(name).spec
    return {k: tf.Variable(float(v), dtype=tf.float64) if k in spec and spec.by_name[k].numeric
            else v for k, v in config.items()}


@pytest.mark.parametrize("name, config, inner", _rows())
def test_changing_hyperparameters_never_retraces(name, config, inner):
    variables = make_variables(initial_values())
    own = _as_variables(name, config)
    opt = _build(name, own, inner)
    opt.build(variables)
    field = Field(variables)

    @tf.function
    def step(grads):
        if opt.chain_needs_closure:
            opt.minimize(field.loss_fn, variables)
        else:
            opt.apply_gradients(grads, variables)

    lr = _inner_config(inner)["learning_rate"]
    for i in range(15):
        opt.learning_rate = lr * (1 - 0.01 * i)
        for key, value in own.items():
            if isinstance(value, tf.Variable):
                value.assign(config[key] * (1 - 0.001 * i))
        field.set(i)
        step([gradient(v.value(), i) for v in variables])
    assert step.experimental_get_tracing_count() == 1
    assert int(opt.iterations.numpy()) == 15


@pytest.mark.parametrize("name, config, inner", _rows())
def test_checkpoint_resume_is_bit_identical(name, config, inner, tmp_path):
    values = initial_values()
    variables = make_variables(values)
    opt = _build(name, config, inner)
    run(opt, variables, 7)
    path = tf.train.Checkpoint(opt=opt, vars=variables).save(str(tmp_path / "ckpt"))
    uninterrupted = run(opt, variables, 7, start=7)

    fresh_vars = make_variables([np.zeros_like(v) for v in values])
    fresh = _build(name, config, inner)
    fresh.build(fresh_vars)
    tf.train.Checkpoint(opt=fresh, vars=fresh_vars).restore(path).assert_consumed()
    assert tf.nest.map_structure(lambda v: v.numpy().tolist(), fresh.state_variables()) == \
        tf.nest.map_structure(lambda v: v.numpy().tolist(), _state_at(name, config, inner, 7))
    resumed = run(fresh, fresh_vars, 7, start=7)
    for a, b in zip(uninterrupted, resumed):
        np.testing.assert_array_equal(a, b)


def _state_at(name, config, inner, steps):
    opt = _build(name, config, inner)
    run(opt, make_variables(initial_values()), steps)
    return opt.state_variables()


@pytest.mark.parametrize("name, config, inner", _rows())
def test_json_config_rebuilds_the_same_trajectory(name, config, inner):
    opt = _build(name, config, inner)
    rebuilt = coreopt.from_config(json.loads(json.dumps(opt.get_config())))
    assert repr(rebuilt) == repr(opt)
    a = run(opt, make_variables(initial_values()), 8)
    b = run(rebuilt, make_variables(initial_values()), 8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def _lab_rows():
    """The lab rows; in the default tier only wrappers that change how a step is taken."""
    for param in _rows(with_lab=True):
        fast = param.values[0] in ("sam", "accumulate", "loss_scale") and not param.marks
        yield param if fast else pytest.param(*param.values, id=param.id,
                                              marks=(pytest.mark.slow,))


@pytest.mark.parametrize("name, config, inner", _lab_rows())
def test_batched_lab_equals_one_at_a_time(name, config, inner):
    chain = f"{name}:{inner}"
    flat = {**{k: [v] for k, v in _inner_config(inner).items()},
            **{f"{name}.{k}": [v] for k, v in config.items()}}
    kw = {"grid": flat, "starts": 3, "seeds": [2], "max_iters": 40, "rule": "step",
          "tol": 1e-6}
    batched = lab.sweep(chain, "rosenbrock", **kw)
    single = lab.sweep(chain, "rosenbrock", engine="single", **kw)
    assert list(batched.key) == list(single.key) and len(batched) == 3
    assert list(batched.status) == list(single.status)
    a, b = np.array(batched.final.tolist()), np.array(single.final.tolist())
    finite = np.isfinite(b)
    assert np.array_equal(np.isfinite(a), finite)
    np.testing.assert_allclose(a[finite], b[finite], rtol=1e-4, atol=1e-6)
