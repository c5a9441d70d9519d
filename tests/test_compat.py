from __future__ import annotations

import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.compat import MicroStepSchedule, NoArgumentSchedule, from_keras
from tests.helpers import gradient, initial_values, relative_error

NAMES = ["scale", "dense/kernel", "dense/bias", "conv/kernel"]
DTYPES = [(tf.float32, 1e-5), pytest.param(tf.float64, 1e-6, marks=pytest.mark.slow)]


def named_variables(dtype=tf.float32):
    return [tf.Variable(np.asarray(v), dtype=dtype, name=n)
            for v, n in zip(initial_values(), NAMES)]


def test_unsupported_class_is_named():
    class OwnAdam(keras.optimizers.Adam):
        pass

    with pytest.raises(TypeError, match="OwnAdam"):
        from_keras(OwnAdam())


def test_wrappers_in_keras_order():
    opt = from_keras(keras.optimizers.Adam(0.01, weight_decay=0.1, clipnorm=1.0))
    assert isinstance(opt, coreopt.ClipByNorm)
    assert isinstance(opt.inner, coreopt.DecoupledWeightDecay)
    assert isinstance(opt.inner.inner, coreopt.Adam)


def test_schedule_is_kept():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    opt = from_keras(keras.optimizers.SGD(schedule))
    assert opt._hyper["learning_rate"] is schedule


def _chain(opt):
    out = [opt]
    while hasattr(out[-1], "inner"):
        out.append(out[-1].inner)
    return [type(o).__name__ for o in out]


@pytest.mark.parametrize("kwargs, chain, options", [
    ({"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 5}, ["EMA", "Adam"],
     {"ema.overwrite_frequency": 5}),
    ({"use_ema": True}, ["EMA", "Adam"], {"ema.overwrite_frequency": 0}),
    ({"gradient_accumulation_steps": 4}, ["GradientAccumulation", "Adam"],
     {"accumulate.steps": 4}),
    ({"loss_scale_factor": 128.0}, ["LossScale", "Adam"], {"loss_scale.dynamic": False}),
    ({"loss_scale_factor": 8.0, "use_ema": True, "clipnorm": 1.0, "weight_decay": 0.1},
     ["LossScale", "EMA", "ClipByNorm", "DecoupledWeightDecay", "Adam"], {}),
    ({"loss_scale_factor": 8.0, "gradient_accumulation_steps": 2, "clipvalue": 1.0,
      "weight_decay": 0.1},
     ["LossScale", "GradientAccumulation", "ClipByValue", "DecoupledWeightDecay", "Adam"], {}),
])
def test_each_keras_option_becomes_its_wrapper_in_keras_order(kwargs, chain, options):
    opt = from_keras(keras.optimizers.Adam(0.01, **kwargs))
    assert _chain(opt) == chain
    assert options.items() <= opt.options().items()
    if "ema_momentum" in kwargs:
        assert opt.flat_config()["ema.momentum"] == 0.9
    if "loss_scale_factor" in kwargs:
        assert opt.flat_config()["loss_scale.initial_scale"] == kwargs["loss_scale_factor"]


def test_loss_scale_optimizer_becomes_loss_scale():
    keras_opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1, momentum=0.9),
                                                    initial_scale=256.0, dynamic_growth_steps=50)
    opt = from_keras(keras_opt)
    assert _chain(opt) == ["LossScale", "Momentum"]
    assert opt.own_config() == {"initial_scale": 256.0, "growth_steps": 50, "dynamic": True}


def test_excluded_names_become_the_exclude_pattern():
    keras_opt = keras.optimizers.AdamW(0.01)
    keras_opt.exclude_from_weight_decay(var_names=["bias", "scale"])
    decay = from_keras(keras_opt)
    assert _chain(decay) == ["DecoupledWeightDecay", "Adam"]
    pattern = re.compile(decay.own_config()["exclude"])
    assert [bool(pattern.search(n)) for n in NAMES] == [True, False, True, False]


def _run_pair(ours, keras_opt, mine, theirs, steps=100):
    for step in range(steps):
        ours.apply_gradients([gradient(v.value(), step) for v in mine], mine)
        keras_opt.apply([gradient(v.value(), step) for v in theirs], theirs)


def test_weight_decay_in_float64_is_keras_exact():
    # Keras's TF backend casts the Python weight decay to the variable's dtype through float32.
    keras_opt = keras.optimizers.AdamW(0.01, weight_decay=0.07)
    ours = from_keras(keras.optimizers.AdamW(0.01, weight_decay=0.07))
    mine, theirs = named_variables(tf.float64), named_variables(tf.float64)
    _run_pair(ours, keras_opt, mine, theirs, steps=10)
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= 1e-14


def test_excluded_variables_become_a_mask():
    mine, theirs = named_variables(), named_variables()

    def make(variables):
        opt = keras.optimizers.AdamW(0.05, weight_decay=0.5)
        opt.exclude_from_weight_decay(var_list=[variables[1]])
        return opt

    keras_opt, ours = make(theirs), from_keras(make(mine))
    _run_pair(ours, keras_opt, mine, theirs, steps=10)
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= 1e-6
    assert [float(ours.get_slot(v, "decay_mask")) for v in mine] == [1.0, 0.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="mask"):
        ours.get_config()


def _accumulating():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.02, 7, 0.5)
    opt = keras.optimizers.AdamW(schedule, weight_decay=0.05, clipnorm=0.8,
                                 gradient_accumulation_steps=3)
    opt.exclude_from_weight_decay(var_names=["bias"])
    return keras.optimizers.LossScaleOptimizer(opt, initial_scale=2.0**6, dynamic_growth_steps=4)


def _averaging():
    opt = keras.optimizers.AdamW(0.02, weight_decay=0.05, clipnorm=0.8, use_ema=True,
                                 ema_momentum=0.9, ema_overwrite_frequency=7,
                                 loss_scale_factor=32.0)
    opt.exclude_from_weight_decay(var_names=["bias"])
    return opt


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_accumulation_exclude_clipnorm_schedule_and_loss_scale_match_keras(dtype, tol):
    keras_opt, ours = _accumulating(), from_keras(_accumulating())
    assert _chain(ours) == ["LossScale", "GradientAccumulation", "ClipByNorm",
                            "DecoupledWeightDecay", "Adam"]
    mine, theirs = named_variables(dtype), named_variables(dtype)
    for step in range(100):
        for opt, variables in ((ours, mine), (keras_opt, theirs)):
            scale = tf.cast(opt.scale_loss(tf.constant(1.0, dtype)), dtype)
            grads = [gradient(v.value(), step) * scale for v in variables]
            if step in (20, 21, 50):
                grads[1] = grads[1] * np.inf
            (opt.apply if opt is keras_opt else opt.apply_gradients)(grads, variables)
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= tol
    assert float(ours.state_variables()["scale"]) == float(keras_opt.dynamic_scale.numpy())
    assert int(ours.inner.inner.inner.inner.iterations) == int(keras_opt.iterations) == 32


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_ema_exclude_clipnorm_and_loss_scale_factor_match_keras(dtype, tol):
    keras_opt, ours = _averaging(), from_keras(_averaging())
    assert _chain(ours) == ["LossScale", "EMA", "ClipByNorm", "DecoupledWeightDecay", "Adam"]
    mine, theirs = named_variables(dtype), named_variables(dtype)
    for step in range(100):
        ours.apply_gradients([gradient(v.value(), step) * 32 for v in mine], mine)
        keras_opt.apply([gradient(v.value(), step) * 32 for v in theirs], theirs)
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= tol
    for v, average in zip(mine, keras_opt._model_variables_moving_average):
        assert relative_error(ours.get_slot(v, "average").numpy(), average.numpy()) <= tol


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_ema_over_accumulation_matches_keras(dtype, tol):
    """Keras averages every micro-step, reading its applied-step count for the first step
    and the overwrite period (`ema_overwrite_frequency=4` hits 3 consecutive calls)."""
    def make():
        return keras.optimizers.Adam(0.02, use_ema=True, ema_momentum=0.8,
                                     ema_overwrite_frequency=4, gradient_accumulation_steps=3)

    keras_opt, ours = make(), from_keras(make())
    assert _chain(ours) == ["EMA", "GradientAccumulation", "Adam"]
    mine, theirs = named_variables(dtype), named_variables(dtype)
    for step in range(100):
        ours.apply_gradients([gradient(v.value(), step) for v in mine], mine)
        keras_opt.apply([gradient(v.value(), step) for v in theirs], theirs)
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= tol
    for v, average in zip(mine, keras_opt._model_variables_moving_average):
        assert relative_error(ours.get_slot(v, "average").numpy(), average.numpy()) <= tol


# Keras's Muon routes by path: a 2-D variable whose path has "embedding" (any case) or matches
# `exclude_layers` goes to its AdamW, as every other rank does.
MUON_PATHS = [("scale", ()), ("dense/bias", (7,)), ("dense/kernel", (4, 5)),
              ("conv/kernel", (2, 3, 4)), ("token_Embedding/embeddings", (6, 3)),
              ("output_dense/kernel", (5, 4)), ("hidden/kernel", (3, 6)), ("tall/kernel", (8, 2))]
MUON_STEPS = ["dense/kernel", "hidden/kernel", "tall/kernel"]  # what Keras orthogonalizes


def keras_variables(dtype=tf.float32):
    """Keras variables at MUON_PATHS (Keras's Muon reads `variable.path`)."""
    import contextlib

    out = []
    for (path, _), value in zip(MUON_PATHS, initial_values(3, [s for _, s in MUON_PATHS])):
        scope, _, name = path.rpartition("/")
        with keras.name_scope(scope) if scope else contextlib.nullcontext():
            out.append(keras.Variable(np.asarray(value), dtype=dtype.name, name=name))
    return out


def _keras_muon(**kwargs):
    opt = keras.optimizers.Muon(0.01, exclude_layers=["output_dense"], **kwargs)
    opt.exclude_from_weight_decay(var_names=["bias"])
    return opt


def _stepped_by(route, variable):
    """The innermost optimizer (under its weight decay) that steps `variable`."""
    opt = route
    while isinstance(opt, coreopt.Route):
        opt = opt.groups[opt.label_of(variable)]
    return opt.inner if isinstance(opt, coreopt.DecoupledWeightDecay) else opt


# each Route group's DecoupledWeightDecay sees its own variables only: "bias" matches none of
# the matrices', which it says.
@pytest.mark.filterwarnings("ignore:DecoupledWeightDecay")
def test_keras_muon_becomes_a_route_by_rank_and_path():
    ours = from_keras(_keras_muon(weight_decay=0.05, adam_weight_decay=0.02))
    variables = keras_variables()
    ours.build(variables)
    stepped = {path: _stepped_by(ours, v) for (path, _), v in zip(MUON_PATHS, variables)}
    assert sorted(p for p, opt in stepped.items() if isinstance(opt, coreopt.Muon)) == MUON_STEPS
    assert all(type(opt) is coreopt.Adam for p, opt in stepped.items() if p not in MUON_STEPS)
    muon = stepped["dense/kernel"]
    assert muon.options() == {"nesterov": True, "momentum_form": "sum",
                              "coefficients": "keller_jordan", "ns_steps": 5,
                              "ns_dtype": "variable", "scale": "moonlight"}
    assert stepped["scale"].options()["epsilon_hat"] is True
    decays = {path: ours.get_slot(v, "decay_mask").numpy() for (path, _), v in
              zip(MUON_PATHS, variables)}
    assert [p for p, keep in decays.items() if not keep] == ["dense/bias"]
    rebuilt = coreopt.from_config(json.loads(json.dumps(ours.get_config())))
    assert repr(rebuilt) == repr(ours)


MUON_CONFIGS = [
    pytest.param({"weight_decay": 0.05}, ("float32",), id="defaults"),
    pytest.param({"rms_rate": 0.3, "momentum": 0.9, "adam_weight_decay": 0.0,
                  "exclude_embeddings": False}, ("float32",), id="rms_rate",
                 marks=pytest.mark.slow),  # 6-12 s each; "defaults" stays in the default run
    # Keras's rms_rate scaling multiplies a float64 update by a float32 sqrt, which TensorFlow
    # refuses: without it Keras runs in float64.
    pytest.param({"rms_rate": None, "nesterov": False, "adam_lr_ratio": 0.5, "ns_steps": 6,
                  "epsilon": 1e-5, "adam_beta_2": 0.99, "weight_decay": None},
                 ("float32", "float64"), id="no_rms_rate", marks=pytest.mark.slow),
]


@pytest.mark.filterwarnings("ignore:DecoupledWeightDecay")
@pytest.mark.parametrize("kwargs, dtypes", MUON_CONFIGS)
def test_keras_muon_matches_keras_over_100_steps(kwargs, dtypes):
    for dtype, tol in ((tf.float32, 1e-5), (tf.float64, 1e-10)):
        if dtype.name not in dtypes:
            continue
        keras_opt, ours = _keras_muon(**kwargs), from_keras(_keras_muon(**kwargs))
        mine, theirs = keras_variables(dtype), keras_variables(dtype)
        for step in range(100):
            ours.apply_gradients([gradient(tf.convert_to_tensor(v), step) for v in mine], mine)
            keras_opt.apply([gradient(tf.convert_to_tensor(v), step) for v in theirs], theirs)
        for (path, _), a, b in zip(MUON_PATHS, mine, theirs):
            assert relative_error(a.numpy(), b.numpy()) <= tol, (path, dtype.name)


def test_keras_muon_with_other_coefficients_is_refused():
    with pytest.raises(ValueError, match="muon_a, muon_b, muon_c"):
        from_keras(keras.optimizers.Muon(muon_a=3.0))
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(TypeError, match="adam_lr_ratio"):
        from_keras(keras.optimizers.Muon(schedule, adam_lr_ratio=0.1))
    assert isinstance(from_keras(keras.optimizers.Muon(schedule)), coreopt.Route)


def test_schedule_under_accumulation_is_read_at_keras_micro_step_count():
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([4], [0.1, 0.01])
    opt = from_keras(keras.optimizers.SGD(schedule, gradient_accumulation_steps=3))
    lr = opt.inner._hyper["learning_rate"]
    assert isinstance(lr, MicroStepSchedule) and lr.schedule is schedule
    # applied step n (0-based) is Keras's micro-step 3n + 2: 2 -> 0.1, 5 -> 0.01
    assert [float(lr(tf.constant(n, tf.int64))) for n in (0, 1)] == pytest.approx([0.1, 0.01])
    rebuilt = coreopt.from_config(json.loads(json.dumps(opt.get_config())))
    assert repr(rebuilt).startswith("GradientAccumulation(GradientDescent(")
    assert float(rebuilt.inner._hyper["learning_rate"](tf.constant(1, tf.int64))) == \
        pytest.approx(0.01)


def test_callable_learning_rate_is_called_every_step():
    rate = tf.Variable(0.01)
    keras_opt = keras.optimizers.Adam(lambda: rate * 1.0)
    opt = from_keras(keras.optimizers.Adam(lambda: rate * 1.0))
    assert isinstance(opt._hyper["learning_rate"], NoArgumentSchedule)
    mine, theirs = named_variables(), named_variables()
    for step in range(20):
        rate.assign(0.01 / (1 + step))
        opt.apply_gradients([gradient(v.value(), step) for v in mine], mine)
        keras_opt.apply([gradient(v.value(), step) for v in theirs], theirs)
    for a, b in zip(mine, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= 1e-6
    assert opt._compiled_checked.experimental_get_tracing_count() == 1  # the eager program
    assert float(opt.current_learning_rate()) == pytest.approx(0.01 / 20)
