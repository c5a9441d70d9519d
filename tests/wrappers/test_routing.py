"""Route: each group equals its optimizer alone, errors before state, checkpoints, configs."""

from __future__ import annotations

import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from coreopt.train.keras_adapter import KerasOptimizer
from tests.helpers import gradient, initial_values
from tests.wrappers.cases import WrapperCase

NAMES = ["scale", "dense/bias", "dense/kernel", "conv/kernel"]  # shapes (), (7,), (4, 5), (2, 3, 4)


class RouteReference:
    """Per-group oracles: each rule's oracle steps the parameters it selects, the inner the rest.

    A rule [selector, {"optimizer": name, "config": {...}}] selects a parameter by rank (an
    int) or by name (re.search of a str; the common suite's variables are all "Variable").
    Each oracle sees its parameters as one list, in their order, every step.
    """

    def __init__(self, inner, rules=(), names=None):
        pairs = rules.values() if isinstance(rules, dict) else rules
        self.rules = [(sel, reference.REFERENCES[c["optimizer"]](**c["config"]))
                      for sel, c in pairs]
        self.inner, self.names = inner, names

    def _owner(self, x, name):
        for sel, oracle in self.rules:
            if (np.ndim(x) == sel) if isinstance(sel, int) else re.search(sel, name):
                return oracle
        return self.inner

    def step(self, grads, params, grad_fn=None):
        names = self.names or ["Variable"] * len(params)
        owners = [self._owner(x, n) for x, n in zip(params, names)]
        out = list(params)
        for oracle in dict.fromkeys(owners):
            idx = [i for i, o in enumerate(owners) if o is oracle]
            for i, x in zip(idx, oracle.step([grads[i] for i in idx], [params[i] for i in idx])):
                out[i] = x
        return out


MOMENTUM = {"optimizer": "momentum", "config": {"learning_rate": 0.05, "momentum": 0.9}}
LION = {"optimizer": "lion", "config": {"learning_rate": 0.003}}
GD = {"optimizer": "gd", "config": {"learning_rate": 0.05}}
CASES = {"route": WrapperCase(
    configs=({"rules": [[2, MOMENTUM]]}, {"rules": {"vectors": [1, LION], "tensors": [3, GD]}}),
    oracle=RouteReference, inners=("adam",), lab=False)}


def named(values=None, dtype=tf.float32):
    values = initial_values() if values is None else values
    return [tf.Variable(np.asarray(v), dtype=dtype, name=n) for v, n in zip(values, NAMES)]


def run(opt, variables, steps=15, start=0):
    for step in range(start, start + steps):
        opt.apply_gradients([gradient(v.value(), step) for v in variables], variables)
    return [v.numpy() for v in variables]


def _route():
    return coreopt.Route(coreopt.Adam(0.05), {"matrices": (2, coreopt.Lion(0.003)),
                                              "bias": ("bias", coreopt.Momentum(0.05, 0.9))})


def test_each_group_is_bit_identical_to_its_optimizer_alone():
    opt, routed_vars = _route(), named()
    routed = run(opt, routed_vars)
    variables = named()
    alone = {}
    for make, idx in ((lambda: coreopt.Adam(0.05), [0, 3]), (lambda: coreopt.Lion(0.003), [2]),
                      (lambda: coreopt.Momentum(0.05, 0.9), [1])):
        mine = [variables[i] for i in idx]
        alone.update(zip(idx, run(make(), mine)))
    for i, got in enumerate(routed):
        np.testing.assert_array_equal(got, alone[i])
    assert {k: int(o.iterations.numpy()) for k, o in opt.groups.items()} == {
        "default": 15, "matrices": 15, "bias": 15}
    kernel = routed_vars[2]
    assert opt.get_slot(kernel, "m") is opt.groups["matrices"].get_slot(kernel, "m")
    assert list(opt.slot_variables(kernel)["group"]) == ["matrices"]


def test_callable_rules_and_oracle_in_float64():
    values = initial_values()
    opt = coreopt.Route(coreopt.Adam(0.05), [(lambda v: "conv" in v.name, coreopt.GradientDescent(
        0.05)), ("bias", coreopt.Momentum(0.05, 0.9))])
    ours = run(opt, named(values, tf.float64), 20)
    oracle = RouteReference(reference.Adam(learning_rate=0.05), [["conv", GD], ["bias", MOMENTUM]],
                            NAMES)
    params = [v.copy() for v in values]
    for step in range(20):
        params = oracle.step([gradient(p, step) for p in params], params)
    for got, want in zip(ours, params):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_unmatched_variable_without_default_fails_before_any_state():
    groups = [(2, coreopt.Adam()), ("bias", coreopt.Lion())]
    opt = coreopt.Route(None, groups)
    with pytest.raises(ValueError, match=r"no rule selects variable 'scale'.*'0' \(2\), "
                                         r"'1' \('bias'\)"):
        opt.build(named())
    assert not any(o.built for _, o in groups) and not opt.built
    with pytest.raises(TypeError, match="no default optimizer"):
        opt.learning_rate  # noqa: B018


def test_doubly_matched_variable_fails_before_any_state():
    opt = coreopt.Route(coreopt.Adam(), {"kernels": ("kernel", coreopt.Lion()),
                                         "matrices": (2, coreopt.Momentum())})
    with pytest.raises(ValueError, match=r"'dense/kernel' is selected by 2 rules, 'kernels' "
                                         r"\('kernel'\), 'matrices' \(2\)"):
        opt.build(named())
    assert not any(o.built for o in opt.groups.values())


@pytest.mark.parametrize("restore_first", [False, True], ids=["built", "restore-then-build"])
def test_checkpoint_round_trip_is_bit_identical(restore_first, tmp_path):
    values = initial_values()
    variables = named(values)
    opt = _route()
    run(opt, variables, 5)
    path = tf.train.Checkpoint(opt=opt, vars=variables).save(str(tmp_path / "ckpt"))
    uninterrupted = run(opt, variables, 5, start=5)
    fresh_vars, fresh = named([np.zeros_like(v) for v in values]), _route()
    if not restore_first:
        fresh.build(fresh_vars)
    tf.train.Checkpoint(opt=fresh, vars=fresh_vars).restore(path).assert_consumed()
    resumed = run(fresh, fresh_vars, 5, start=5)
    for a, b in zip(uninterrupted, resumed):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.groups["bias"].iterations.numpy()) == 10


def test_config_round_trips_and_refuses_what_it_cannot_hold():
    opt = _route()
    rebuilt = coreopt.from_config(json.loads(json.dumps(opt.get_config())))
    assert repr(rebuilt) == repr(opt) and "'matrices': (2, Lion(" in repr(opt)
    a, b = run(opt, named(), 5), run(rebuilt, named(), 5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    chained = coreopt.get("route(rules=[[2, {'optimizer': 'lion', 'config': {}}]]):adam")
    assert chained.chain_name == "route:adam" and isinstance(chained.groups["0"], coreopt.Lion)
    with pytest.raises(TypeError, match="callable"):
        coreopt.Route(coreopt.Adam(), [(callable, coreopt.Lion())]).get_config()
    no_default = coreopt.Route(None, {"matrices": (2, coreopt.Lion(0.01)),
                                      "rest": ("scale|conv|bias", coreopt.GradientDescent(0.05))})
    config = json.loads(json.dumps(no_default.get_config()))
    assert config["inner"] is None
    rebuilt = coreopt.from_config(config)
    assert repr(rebuilt) == repr(no_default)
    a, b = run(no_default, named(), 5), run(rebuilt, named(), 5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(TypeError, match="`inner` of EMA must be a coreopt optimizer"):
        coreopt.from_config({**coreopt.EMA(coreopt.Adam()).get_config(), "inner": None})


def test_flat_hyperparameters_reach_their_group():
    opt = _route()
    variables = named()
    opt.build(variables)
    assert "route.matrices.learning_rate" in opt.hyperparameter_names()
    assert opt.flat_config()["route.bias.momentum"] == 0.9 and opt.learning_rate.numpy() == 0.05
    params = [tf.convert_to_tensor(v) for v in variables]
    grads = [tf.ones_like(p) for p in params]
    slots = tf.nest.map_structure(tf.convert_to_tensor, [opt.slot_variables(v) for v in variables])
    with opt.with_hyperparameters({"route.matrices.learning_rate": tf.constant(0.0, tf.float64)}):
        new, _, state = opt.update(grads, params, slots, opt.init_state())
    assert np.array_equal(new[2], params[2]) and not np.array_equal(new[3], params[3])
    assert int(state["groups"]["matrices"]["iterations"]) == 1


def test_a_tensor_is_routed_by_rank_only():
    opt = coreopt.Route(coreopt.Adam(), [(2, coreopt.Lion())])
    assert list(opt.init_slots(tf.zeros((2, 2)))["group"]) == ["0"]
    assert list(opt.init_slots(tf.zeros(3))) == ["inner"]
    with pytest.raises(ValueError, match="a tensor has no name"):
        coreopt.Route(coreopt.Adam(), [("bias", coreopt.Lion())]).init_slots(tf.zeros(3))


@pytest.mark.parametrize("make, error, match", [
    (lambda: coreopt.Route(coreopt.Adam(), "kernel"), TypeError, "`rules` must be a list"),
    (lambda: coreopt.Route(coreopt.Adam(), [("(", coreopt.Lion())]), ValueError,
     "not a valid regular expression"),
    (lambda: coreopt.Route(coreopt.Adam(), [(True, coreopt.Lion())]), TypeError, "selector"),
    (lambda: coreopt.Route(coreopt.Adam(), [(-1, coreopt.Lion())]), ValueError, ">= 0"),
    (lambda: coreopt.Route(coreopt.Adam(), [(2, "lion")]), TypeError, "coreopt optimizer"),
    (lambda: coreopt.Route(coreopt.Adam(), [(2,)]), TypeError, "a pair"),
    (lambda: coreopt.Route(coreopt.Adam(), {"a.b": (2, coreopt.Lion())}), ValueError, "labels"),
    (lambda: coreopt.Route("adam", []), TypeError, "`inner`"),
    (lambda: coreopt.Route(None, []), ValueError, "at least one rule"),
    (lambda: (lambda o: coreopt.Route(o, [(2, o)]))(coreopt.Adam()), ValueError, "share one"),
    (lambda: coreopt.Route(coreopt.Adam(), [(2, coreopt.LossScale(coreopt.Lion()))]), ValueError,
     "scales the loss"),
])
def test_bad_rules_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_closure_group_sees_the_gradient_of_its_own_variables():
    values = initial_values()

    def loss_of(variables):
        return lambda: tf.add_n([tf.reduce_sum(0.5 * v**2 + tf.sin(3 * v)) for v in variables])

    variables = named(values)
    opt = coreopt.Route(coreopt.Adam(0.05), [(2, coreopt.SAM(coreopt.GradientDescent(0.05)))])
    loss = loss_of(variables)
    for _ in range(5):
        opt.minimize(loss, variables)
    mat, rest = named(values)[2:3], [v for i, v in enumerate(named(values)) if i != 2]
    sam, adam = coreopt.SAM(coreopt.GradientDescent(0.05)), coreopt.Adam(0.05)
    loss_mat, loss_rest = loss_of(mat), loss_of(rest)
    for _ in range(5):
        sam.minimize(loss_mat, mat)
        adam.minimize(loss_rest, rest)
    np.testing.assert_allclose(variables[2].numpy(), mat[0].numpy(), rtol=1e-6)
    for got, want in zip([v for i, v in enumerate(variables) if i != 2], rest):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_keras_fit_routes_by_the_variables_paths():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    before = {v.path: v.numpy() for v in model.trainable_variables}
    frozen_bias = coreopt.Route(coreopt.Adam(0.01), [("bias", coreopt.GradientDescent(0.0))])
    model.compile(optimizer=KerasOptimizer(frozen_bias), loss="mse", jit_compile=False)
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0)
    for v in model.trainable_variables:
        moved = not np.array_equal(v.numpy(), before[v.path])
        assert moved == ("bias" not in v.path), v.path


def test_chain_names_and_the_single_run_lab_reach_a_group_by_its_flat_name():
    chain = "route(rules={'vectors': [1, {'optimizer': 'lion', 'config': {}}]}):adam"
    opt = coreopt.get(chain, learning_rate=0.1, **{"route.vectors.learning_rate": 0.5})
    assert float(opt.groups["vectors"].learning_rate.numpy()) == 0.5 == opt.flat_config()[
        "route.vectors.learning_rate"] and float(opt.learning_rate.numpy()) == 0.1
    with pytest.raises(TypeError, match="unknown argument 'matrices.learning_rate'"):
        coreopt.get(chain, **{"route.matrices.learning_rate": 0.5})
    kw = {"starts": 2, "seeds": [0], "max_iters": 25}
    routed = coreopt.lab.sweep(chain, "rosenbrock", grid={
        "learning_rate": [0.1], "route.vectors.learning_rate": [0.001, 0.02]}, **kw)
    alone = coreopt.lab.sweep("lion", "rosenbrock", grid={"learning_rate": [0.001, 0.02]}, **kw)
    np.testing.assert_array_equal(np.array(routed.final.tolist()), np.array(alone.final.tolist()))
