"""One lab API: every entry point takes the optimizer, the start and the grid one way."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt import functions, lab
from coreopt.lab.fair import tune
from tests.lab.test_single import GuideStyleMomentum

L = 10.0  # the curvature of the 1-D quadratic below
BOWL = functions.custom(lambda x: 0.5 * L * tf.reduce_sum(x * x, -1), dim=1, batched=True,
                        name="bowl", minimizers=[[0.0]], minimum=0.0, start=[1.0])
EDGE = {"low": 1e-2, "high": 10.0, "rtol": 1e-4, "max_iters": 10000, "divergence": "nonfinite"}
CHAIN = "clip_by_norm(clipnorm=1.0):adam"


@pytest.mark.parametrize("mu", [0.5, 0.9])
def test_the_edge_of_heavy_ball_momentum_is_two_one_plus_mu_over_l(mu):
    # x_{k+1} = x_k - lr L x_k + mu (x_k - x_{k-1}) is stable while lr L < 2 (1 + mu)
    expected = 2 * (1 + mu) / L
    by_config = lab.max_stable_lr("momentum", BOWL, init=[1.0], config={"momentum": mu}, **EDGE)
    by_instance = lab.max_stable_lr(coreopt.Momentum(momentum=mu), BOWL, init=[1.0], **EDGE)
    for edge in (by_config, by_instance):
        assert edge.config["momentum"] == mu
        assert edge.learning_rate == pytest.approx(expected, rel=1e-2)
        assert edge.learning_rate < edge.diverging <= expected * 1.01
    assert by_config.learning_rate == by_instance.learning_rate


def test_a_grid_over_momentum_sweeps_the_hyperparameter_of_momentum():
    df = lab.sweep("momentum", "quadratic", {"momentum": [0.0, 0.5, 0.9]}, max_iters=50)
    assert list(df.momentum) == [0.0, 0.5, 0.9] and set(df.optimizer) == {"momentum"}
    for row in df.itertuples():
        one = lab.convergence_test(coreopt.Momentum(momentum=row.momentum), "quadratic",
                                   max_iters=50)
        assert row.final == one.final


def test_a_per_optimizer_grid_extends_and_overrides_the_shared_keys():
    grid = {"learning_rate": [0.1], "momentum": {"momentum": [0.5, 0.9]},
            "gd": {"learning_rate": [0.2]}}
    df = lab.sweep("momentum,gd", "quadratic", grid, max_iters=5)
    assert list(df.optimizer) == ["momentum", "momentum", "gd"]
    assert list(df.learning_rate) == [0.1, 0.1, 0.2]
    assert list(df.momentum[:2]) == [0.5, 0.9]
    shared = lab.sweep("momentum,gd", "quadratic", {"momentum": [0.5, 0.9]}, max_iters=5)
    assert list(shared.optimizer) == ["momentum", "momentum", "gd"]  # gd has no momentum


def test_max_stable_lr_takes_a_hyperparameter_that_shares_an_optimizer_name():
    edge = lab.max_stable_lr("momentum", BOWL, init=[1.0], config={"momentum": 0.5},
                             rtol=1e-2, max_iters=200)
    assert edge.config["momentum"] == 0.5 and edge.learning_rate is not None


def _entry_points(optimizer):
    """The record of a short run by each entry point, given `optimizer`."""
    kw = {"max_iters": 20}
    return {
        "convergence_test": lab.convergence_test(optimizer, "rosenbrock", **kw),
        "sweep_runs": lab.sweep_runs(optimizer, "rosenbrock", **kw)[0],
        "sweep": lab.sweep(optimizer, "rosenbrock", **kw).iloc[0],
        "tune": tune(optimizer, "rosenbrock", max_iters=20, grid_size=2, keep_paths=True),
        "max_stable_lr": lab.max_stable_lr(optimizer, "rosenbrock", rtol=0.5, **kw),
    }


@pytest.mark.parametrize("make, key, value", [
    (lambda: coreopt.Momentum(learning_rate=1e-3, momentum=0.5), "momentum", 0.5),
    (lambda: coreopt.get(CHAIN, learning_rate=1e-3), "clip_by_norm.clipnorm", 1.0),
    (lambda: coreopt.get("clip_by_norm(clipnorm=0.25):adam"), "clip_by_norm.clipnorm", 0.25),
    (lambda: CHAIN, "clip_by_norm.clipnorm", 1.0),
    (lambda: coreopt.Adam, "beta_1", 0.9),
])
def test_every_entry_point_takes_a_configured_instance_a_chain_name_and_a_class(make, key,
                                                                                 value):
    found = _entry_points(make())
    run = found["convergence_test"]
    assert run.config[key] == value
    for name in ("sweep_runs", "max_stable_lr"):
        assert found[name].config[key] == value, name
    assert found["sweep"][key] == value
    (chosen,) = found["tune"].runs.values()
    assert chosen.config[key] == value
    assert found["sweep_runs"].final == run.final  # the same optimizer, built anew


@pytest.mark.parametrize("call", [
    lambda o: lab.sweep(o, "seed_quartic", max_iters=5),
    lambda o: lab.sweep_runs(o, "seed_quartic", max_iters=5),
    lambda o: lab.max_stable_lr(o, "seed_quartic", max_iters=5),
    lambda o: tune(o, "seed_quartic", max_iters=5, grid_size=2),
])
def test_a_guide_style_instance_is_refused_where_runs_are_built_anew(call):
    with pytest.raises(TypeError, match="anew for every run.*GuideStyleMomentum"):
        call(GuideStyleMomentum())


def test_a_configured_instance_is_the_base_a_grid_varies():
    df = lab.sweep(coreopt.Momentum(learning_rate=1e-2, momentum=0.5), "seed_quartic",
                   {"learning_rate": [1e-3, 1e-2]}, init=[2.0])
    assert list(df.momentum) == [0.5, 0.5] and list(df.learning_rate) == [1e-3, 1e-2]
    one = lab.convergence_test(coreopt.Momentum(learning_rate=1e-2, momentum=0.5),
                               "seed_quartic", init=2.0)
    assert (df.status[1], df.iteration[1]) == (one.status, one.iteration)


def test_convergence_test_steps_a_given_instance_and_builds_with_config():
    opt = coreopt.Momentum(learning_rate=1e-2)
    run = lab.convergence_test(opt, "seed_quartic", max_iters=10)
    assert int(opt.iterations) == 10  # the instance itself was stepped
    built = lab.convergence_test(opt, "seed_quartic", max_iters=10, config={"momentum": 0.5})
    assert int(opt.iterations) == 10 and built.config["momentum"] == 0.5
    assert built.final != run.final
    guide = lab.convergence_test(GuideStyleMomentum, "seed_quartic", max_iters=10,
                                 config={"learning_rate": 1e-2})
    assert guide.config == {"learning_rate": 1e-2, "momentum": 0.7}
    with pytest.raises(TypeError, match="anew"):
        lab.convergence_test(GuideStyleMomentum(), "seed_quartic", config={"momentum": 0.5})


def test_init_and_its_aliases():
    runs = [lab.convergence_test("gd", "seed_quartic", init=1.0, max_iters=5),
            lab.convergence_test("gd", "seed_quartic", init_val=1.0, max_iters=5),
            lab.convergence_test("gd", "seed_quartic", None, 1.0, 5)]
    assert {r.key for r in runs} == {runs[0].key} and runs[0].init == [1.0]
    a = lab.sweep("gd", "himmelblau", init=3, seeds=[0, 1], max_iters=5)
    b = lab.sweep("gd", "himmelblau", starts=3, seeds=[0, 1], max_iters=5)
    assert list(a.key) == list(b.key) and len(a) == 6
    points = lab.sweep_runs("gd", "himmelblau", init=[[0.0, 1.0], [1.0, 0.0]], max_iters=5)
    assert [r.init for r in points] == [[0.0, 1.0], [1.0, 0.0]]
    assert lab.max_stable_lr("gd", "seed_quartic", init=1.0, rtol=0.5).init == [1.0]
    assert tune("gd", "seed_quartic", init=1.0, max_iters=5, grid_size=2).runs["gd"].init == [1.0]
    with pytest.raises(TypeError, match="init_val"):
        lab.convergence_test("gd", "seed_quartic", init=1.0, init_val=1.0)
    with pytest.raises(TypeError, match="starts"):
        lab.sweep("gd", "seed_quartic", init=[1.0], starts=[1.0])


@pytest.mark.parametrize("grid, match", [
    ({"momentun": [0.5]},
     r"'momentun'.*learning_rate, lr_inside_momentum, momentum, nesterov.*'momentum', 'gd'"),
    ({"adam": {"beta_1": [0.5]}}, r"'adam' holds a dict.*'momentum', 'gd'"),
    ({"momentum": {"beta_1": [0.5]}}, r"'momentum' has no hyperparameter 'beta_1'"),
    ({"gd": {"momentum": [0.5]}}, r"'gd' has no hyperparameter 'momentum'"),
])
def test_a_grid_key_that_names_nothing_is_refused_with_the_accepted_names(grid, match):
    with pytest.raises(ValueError, match=match):
        lab.sweep("momentum,gd", "quadratic", grid, max_iters=5)


@pytest.mark.parametrize("call, match", [
    (lambda: lab.max_stable_lr("momentum", config={"momentum": [0.5, 0.9]}), "one value"),
    (lambda: lab.max_stable_lr("momentum", config={"momentun": 0.5}), "momentun"),
    (lambda: lab.max_stable_lr("momentum", config={"momentum": {"learning_rate": 1.0}}),
     "searched"),
    (lambda: tune("gd", "seed_quartic", config={"learning_rate": 0.1}), "tuned"),
    (lambda: lab.convergence_test("gd", "seed_quartic", config={"momentum": 0.5}),
     "no hyperparameter"),
    (lambda: lab.sweep("gd", "seed_quartic", {"learning_rate": []}), "no values"),
])
def test_bad_configs_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_schedule_is_refused_where_runs_are_built_anew_but_runs_as_an_instance():
    opt = coreopt.GradientDescent(lambda step: 0.01)
    assert lab.convergence_test(opt, "seed_quartic", max_iters=5).steps == 5
    with pytest.raises(ValueError, match="plain values"):
        lab.sweep(opt, "seed_quartic", max_iters=5)
    edge = lab.max_stable_lr(opt, "seed_quartic", rtol=0.5, max_iters=20)  # the rate is searched
    assert edge.learning_rate is not None and np.isfinite(edge.learning_rate)
