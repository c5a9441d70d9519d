"""The declared spec: binding, checks and errors derived from one declaration."""

from __future__ import annotations

import inspect
import json

import pytest
import tensorflow as tf

import coreopt
from coreopt.core.spec import Spec, numeric, option


def _spec():
    return Spec(numeric("learning_rate", 0.1, "[0, inf)", schedule=True),
                numeric("beta", 0.5, "[0, 1)"), option("flag", False),
                option("steps", 2, interval="[1, inf)"), option("mode", "a", choices=("a", "b")))


def test_bind_by_position_and_keyword_with_defaults():
    assert _spec().bind("X", (0.2,), {"mode": "b"}) == {
        "learning_rate": 0.2, "beta": 0.5, "flag": False, "steps": 2, "mode": "b"}


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((), {"beta": 1.0}, ValueError, r"`beta` must be in \[0, 1\); received 1.0"),
    ((), {"beta": float("nan")}, ValueError, "`beta` must be in"),
    ((), {"learning_rate": -1.0}, ValueError, "`learning_rate` must be in"),
    ((), {"flag": 1}, TypeError, "`flag` must be True or False"),
    ((), {"steps": 0}, ValueError, r"`steps` must be in \[1, inf\)"),
    ((), {"steps": 1.5}, TypeError, "`steps` must be an integer"),
    ((), {"mode": "c"}, ValueError, "`mode` must be one of 'a', 'b'"),
    ((), {"bta": 0.1}, TypeError, "unknown argument 'bta'. Did you mean 'beta'"),
    ((0.1,), {"learning_rate": 0.2}, TypeError, "twice"),
    ((1, 2, 3, 4, 5, 6), {}, TypeError, "at most 5 positional"),
    ((), {"beta": "0.5"}, TypeError, "`beta` must be a float"),
])
def test_bad_values_raise_naming_the_argument(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        _spec().bind("X", args, kwargs)


def test_every_numeric_takes_a_schedule_checked_at_step_0():
    assert callable(_spec().bind("X", (lambda step: 0.1,), {})["learning_rate"])
    assert callable(_spec().bind("X", (), {"beta": lambda step: 0.1})["beta"])
    with pytest.raises(ValueError, match=r"`beta\(0\)` must be in"):
        _spec().bind("X", (), {"beta": lambda step: 7.0})
    with pytest.raises(TypeError, match="`flag` must be True or False"):
        _spec().bind("X", (), {"flag": lambda step: True})


def test_bad_declarations_are_refused():
    with pytest.raises(ValueError, match="twice"):
        Spec(numeric("a", 1.0), numeric("a", 2.0))
    with pytest.raises(ValueError, match="must read like"):
        numeric("a", 1.0, "0 to 1")
    with pytest.raises(TypeError, match="bool, int or str"):
        option("a", 1.0)


@pytest.mark.parametrize("name", coreopt.names("all"))
def test_every_class_derives_its_interface_from_its_spec(name):
    entry = coreopt.entry(name)
    spec = entry.spec
    params = inspect.signature(entry.cls).parameters
    outside = ("inner", "name", "jit_compile", "half_in_float32", *entry.cls.extra_arguments)
    assert [p for p in params if p not in outside] == list(spec.names())
    opt = coreopt.get(name if not entry.wrapper else f"{name}:gd")
    own = {k: v for k, v in opt.own_config().items() if k not in entry.cls.extra_arguments}
    assert list(own) == list(spec.names())
    assert own == spec.defaults()
    for hyper in spec:
        assert f"{hyper.name}=" in repr(opt)
    assert set(opt.options()) >= {(f"{opt.prefix}." if entry.wrapper else "") + n
                                  for n in spec.option_names()}


@pytest.mark.parametrize("name", coreopt.names("all"))
def test_every_class_refuses_an_unknown_keyword(name):
    entry = coreopt.entry(name)
    args = (coreopt.GradientDescent(),) if entry.wrapper else ()
    with pytest.raises(TypeError, match="unknown argument 'not_a_hyperparameter'"):
        entry.cls(*args, not_a_hyperparameter=1.0)


@pytest.mark.parametrize("name", coreopt.names("all"))
def test_every_numeric_bound_is_enforced_before_any_state(name):
    entry = coreopt.entry(name)
    args = (coreopt.GradientDescent(),) if entry.wrapper else ()
    for hyper in entry.spec:
        if not hyper.numeric:
            continue
        low, high = (s.strip() for s in hyper.interval[1:-1].split(","))
        outside = [float(low) - max(1.0, abs(float(low)))] if low != "-inf" else []
        outside += [float(high) + max(1.0, abs(float(high)))] if high != "inf" else []
        for value in outside:
            with pytest.raises(ValueError, match=f"`{hyper.name}` must be in"):
                entry.cls(*args, **{hyper.name: value})


def test_wrapper_refuses_a_non_optimizer():
    with pytest.raises(TypeError, match="`inner` of ClipByNorm must be a coreopt optimizer"):
        coreopt.ClipByNorm(keras_like := object(), 1.0)  # noqa: F841


def test_learning_rate_variable_in_config_is_its_value():
    lr = tf.Variable(0.25, dtype=tf.float64)
    config = coreopt.Adam(lr).get_config()
    assert json.loads(json.dumps(config))["config"]["learning_rate"] == 0.25
