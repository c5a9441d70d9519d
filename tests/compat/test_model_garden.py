"""coreopt.compat.from_model_garden against the optimizers Model Garden builds."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from coreopt.compat import from_model_garden
from coreopt.schedules.model_garden import from_model_garden as schedule_from_model_garden
from coreopt.testing.oracle import REFERENCES
from tests.helpers import SHAPES, gradient, initial_values, relative_error

STEPS = 60
NAMES = ["dense/bias", "dense/kernel", "LayerNorm/gamma", "conv/kernel"]
LR = {"type": "polynomial", "polynomial": {"initial_learning_rate": 0.05, "decay_steps": 50,
                                            "end_learning_rate": 0.002}}
WARMUP = {"type": "linear", "linear": {"warmup_steps": 10, "warmup_learning_rate": 0.001}}
SCHEDULE = schedule_from_model_garden(LR, WARMUP)


def config(kind, fields=None, **parts):
    return {"optimizer": {"type": kind, kind: fields or {}}, "learning_rate": LR,
            "warmup": WARMUP, **parts}


def variables(dtype):
    values = initial_values(3, SHAPES)
    return [tf.Variable(v, dtype=dtype, name=n) for v, n in zip(values, NAMES)]


def run(opt, xs, steps=STEPS, keras_api=False):
    for step in range(steps):
        grads = [gradient(x.value(), step) for x in xs]
        opt.apply(grads, xs) if keras_api else opt.apply_gradients(grads, xs)
    return [x.numpy() for x in xs]


class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The coreopt schedule, called by Keras at its iteration count."""

    def __call__(self, step):
        return SCHEDULE(step)


# (case id, Model Garden config, use_legacy_optimizer, the Keras optimizer upstream builds).
KERAS_CASES = [
    ("sgd", config("sgd"), True, lambda lr: keras.optimizers.SGD(lr)),
    ("sgd-nesterov", config("sgd", {"momentum": 0.9, "nesterov": True, "clipvalue": 0.3}), True,
     lambda lr: keras.optimizers.SGD(lr, momentum=0.9, nesterov=True, clipvalue=0.3)),
    ("sgd_experimental", config("sgd_experimental", {"momentum": 0.8}), True,
     lambda lr: keras.optimizers.SGD(lr, momentum=0.8)),
    ("adam", config("adam", {"amsgrad": True, "clipnorm": 0.5}), True,
     lambda lr: keras.optimizers.Adam(lr, epsilon=1e-7, amsgrad=True, clipnorm=0.5)),
    ("adam_experimental", config("adam_experimental", {"beta_2": 0.99}), True,
     lambda lr: keras.optimizers.Adam(lr, beta_2=0.99, epsilon=1e-7)),
    ("adamw_experimental", config("adamw_experimental", {"weight_decay": 0.01}), True,
     lambda lr: keras.optimizers.AdamW(lr, weight_decay=0.01, epsilon=1e-7,
                                       global_clipnorm=1.0)),
    ("rmsprop-momentum", config("rmsprop", {"momentum": 0.5, "centered": True}), True,
     lambda lr: keras.optimizers.RMSprop(lr, momentum=0.5, centered=True, epsilon=1e-7)),
    ("rmsprop-new", config("rmsprop", {"global_clipnorm": 2.0}), False,
     lambda lr: keras.optimizers.RMSprop(lr, epsilon=1e-7, global_clipnorm=2.0)),
    ("adagrad-new", config("adagrad"), False,
     lambda lr: keras.optimizers.Adagrad(lr, initial_accumulator_value=0.1, epsilon=1e-7)),
    ("lamb", config("lamb"), True, lambda lr: keras.optimizers.Lamb(lr, epsilon=1e-6)),
]


@pytest.mark.parametrize("dtype", ["float64", pytest.param("float32", marks=pytest.mark.slow)])
@pytest.mark.parametrize("case, mg, legacy, factory", KERAS_CASES, ids=[c[0] for c in KERAS_CASES])
def test_matches_the_keras_optimizer_upstream_builds(case, mg, legacy, factory, dtype):
    ours = run(from_model_garden(mg, use_legacy_optimizer=legacy), variables(dtype))
    theirs = run(factory(KerasSchedule()), variables(dtype), keras_api=True)
    tolerance = 1e-12 if dtype == "float64" else 1e-6
    for a, b in zip(ours, theirs):
        assert relative_error(a, b) <= tolerance


# (case id, Model Garden config, NumPy oracle name, its hyperparameters); upstream's defaults.
ORACLE_CASES = [
    ("rmsprop-legacy", config("rmsprop"), "rmsprop",
     {"rho": 0.9, "epsilon": 1e-7, "epsilon_inside_sqrt": False}),
    ("adagrad-legacy", config("adagrad"), "adagrad",
     {"initial_accumulator_value": 0.1, "epsilon": 1e-7, "epsilon_inside_sqrt": False}),
    ("lars", config("lars"), "lars", {}),
    ("lars-decay", config("lars", {"weight_decay_rate": 0.01, "classic_momentum": False,
                                   "nesterov": True, "exclude_from_weight_decay": ["bias"]}),
     "lars", {"weight_decay_rate": 0.01, "classic_momentum": False, "nesterov": True,
              "exclude_from_weight_decay": "bias"}),
    ("adamw", config("adamw"), "adam_weight_decay", {}),
    ("adamw-decay", config("adamw", {"weight_decay_rate": 0.02, "gradient_clip_norm": 0.5,
                                     "exclude_from_weight_decay": ["LayerNorm", "kernel"],
                                     "include_in_weight_decay": ["conv"]}),
     "adam_weight_decay", {"weight_decay_rate": 0.02, "gradient_clip_norm": 0.5,
                           "exclude_from_weight_decay": "LayerNorm|kernel",
                           "include_in_weight_decay": "conv"}),
    ("lamb-decay", config("lamb", {"weight_decay_rate": 0.01}), "lamb",
     {"weight_decay": 0.01, "float32_correction_betas": True}),
]


@pytest.mark.parametrize("case, mg, name, params", ORACLE_CASES, ids=[c[0] for c in ORACLE_CASES])
def test_matches_the_numpy_oracle_with_upstreams_defaults(case, mg, name, params):
    ours = run(from_model_garden(mg), variables(tf.float64))
    ref = REFERENCES[name](**params)
    ref.paths = dict(enumerate(NAMES))
    theirs = [v.copy() for v in initial_values(3, SHAPES)]
    for step in range(STEPS):
        theirs = ref.step([gradient(p, step) for p in theirs], theirs, lr=float(SCHEDULE(step)))
    for a, b in zip(ours, theirs):
        assert relative_error(a, b) <= 1e-9


def test_lamb_exclusions_route_to_lamb_or_adam():
    """TFA's LAMB: excluded from layer adaptation (default: the weight-decay exclusions) means
    Adam's step; excluded from decay, no decay term."""
    mg = config("lamb", {"weight_decay_rate": 0.01, "exclude_from_weight_decay": ["bias"],
                         "exclude_from_layer_adaptation": ["LayerNorm", "bias"]})
    ours = run(from_model_garden(mg), variables(tf.float64))
    lamb = {"float32_correction_betas": True}
    adam = {"epsilon": 1e-6}
    refs = [REFERENCES["adam"](**adam), REFERENCES["lamb"](weight_decay=0.01, **lamb),
            REFERENCES["adamw"](weight_decay=0.01, **adam),
            REFERENCES["lamb"](weight_decay=0.01, **lamb)]
    for i, (ref, x) in enumerate(zip(refs, initial_values(3, SHAPES))):
        for step in range(STEPS):
            x = ref.step([gradient(x, step)], [x], lr=float(SCHEDULE(step)))[0]
        assert relative_error(ours[i], x) <= 1e-9, NAMES[i]


def model_gardens_average(averages, xs, step, ema, dtype):
    """One update of ExponentialMovingAverage (ema_optimizer.py), transcribed in NumPy: its
    decay from the 1-based float32 step, all float32, then a -= (1 - decay) (a - x)."""
    f32 = np.float32
    s, start = f32(step), f32(ema.get("start_step", 0))
    decay = f32(ema.get("average_decay", 0.99))
    if s < start:
        decay = f32(0.0)
    elif ema.get("dynamic_decay", True):
        decay = min(decay, (f32(1.0) + (s - start)) / (f32(10.0) + (s - start)))
    one_minus = np.asarray(f32(1.0) - decay).astype(dtype)
    return [a - one_minus * (a - x) for a, x in zip(averages, xs)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("ema", [
    {}, {"average_decay": 0.9, "start_step": 5}, {"start_step": 0, "dynamic_decay": False},
    {"average_decay": 0.999, "start_step": 3}, {"average_decay": 0.9, "start_step": 2,
                                               "dynamic_decay": False}], ids=str)
def test_ema_matches_model_gardens_average(ema, dtype):
    opt = from_model_garden(config("sgd", {"momentum": 0.9}, ema=ema))
    xs = variables(dtype)
    average = [np.zeros(s, dtype) for s in SHAPES]
    for step in range(STEPS):
        opt.apply_gradients([gradient(x.value(), step) for x in xs], xs)
        average = model_gardens_average(average, [x.numpy() for x in xs], step + 1, ema, dtype)
    with opt.swapped(xs):
        for x, a in zip(xs, average):
            assert relative_error(x.numpy(), a) <= (1e-12 if dtype == "float64" else 1e-6)


def test_adamw_clips_to_gradient_clip_norm_before_the_base_clipping():
    opt = from_model_garden(config("adamw", {"clipvalue": 0.1}))
    assert opt.chain_name == "clip_by_global_norm:clip_by_value:adam_weight_decay"
    assert opt.inner.inner.get_config()["config"]["gradient_clip_norm"] == 0.0


@pytest.mark.parametrize("mg, message", [
    (config("adamm"), "Did you mean 'adam'"),
    (config("adam", {"beta1": 0.9}), r"'beta1' \(did you mean 'beta_1'\?\)"),
    (config("adam", {"weight_decay_rate": 0.1}), "unknown field.*'weight_decay_rate'"),
    ({**config("sgd"), "optimiser": {}}, "did you mean 'optimizer'"),
    (config("slide"), "'slide' is not converted.*Details coming soon"),
    (config("adafactor"), "'adafactor' is not converted: Model Garden leaves it unimplemented"),
    (config("sgd", {"decay": 0.1}), "sgd.decay"),
    (config("adam", {"clipnorm": 1.0, "global_clipnorm": 1.0}), "Keras accepts one"),
    (config("adamw_experimental", {"clipnorm": 1.0}), "Keras accepts one"),
    (config("sgd", ema={"start_step": -1}), "start_step"),
    (config("sgd", ema={"trainable_weights_only": False}), "trainable_weights_only"),
    (config("sgd", ema={"clipnorm": 1.0}), "ema.clipnorm"),
    (config("sgd", ema={"average_decy": 0.9}), "did you mean 'average_decay'"),
])
def test_bad_input_is_refused_with_a_clear_message(mg, message):
    with pytest.raises(ValueError, match=message):
        from_model_garden(mg)


@pytest.mark.parametrize("mg, message", [
    (config("sgd"), "use 'sgd_experimental'"),
    (config("adam", ema={"start_step": 2, "dynamic_decay": False}), "use_legacy_optimizer=True"),
])
def test_the_new_keras_path_refuses_what_upstream_refuses(mg, message):
    with pytest.raises(ValueError, match=message):
        from_model_garden(mg, use_legacy_optimizer=False)
