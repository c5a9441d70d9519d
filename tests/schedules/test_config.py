"""Configs through JSON and back for every registered schedule; repr; the registry."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from coreopt import schedules
from tests.schedules import cases

ALL = [(name, i, case[0], case[2]) for name in schedules.names()
       for i, case in enumerate(cases.CASES.get(name, [None])) if case is not None]
IDS = [f"{name}-{i}" for name, i, _, _ in ALL]


def test_registry_names_its_classes():
    for name in schedules.names():
        cls = schedules.schedule_class(name)
        assert cls.registry_name == name and issubclass(cls, schedules.Schedule)
        assert cls.__doc__ and ">>>" in cls.__doc__, f"{cls.__name__} has no doctest example"
        assert name in cases.CASES, f"no example of {name!r} to round-trip"


@pytest.mark.parametrize("name, index, schedule, steps", ALL, ids=IDS)
def test_json_round_trip(name, index, schedule, steps):
    config = schedules.to_config(schedule)
    assert config["schedule"] == name
    text = json.dumps(config)
    again = schedules.from_config(json.loads(text))
    assert type(again) is type(schedule) and again == schedule
    assert json.dumps(schedules.to_config(again)) == text
    probe = tf.constant(steps, tf.float64)
    np.testing.assert_array_equal(again(probe).numpy(), schedule(probe).numpy())


@pytest.mark.parametrize("name, index, schedule, steps", ALL, ids=IDS)
def test_repr_rebuilds(name, index, schedule, steps):
    text = repr(schedule)
    assert text.startswith(type(schedule).__name__ + "(")
    assert eval(text, vars(schedules)) == schedule


def test_repr_leaves_out_default_offsets_and_warmups():
    assert repr(schedules.Cosine(0.1, 1000)) == \
        "Cosine(initial=0.1, decay_steps=1000, alpha=0.0)"
    assert repr(schedules.Cosine(0.1, 1000, offset=5)) == \
        "Cosine(initial=0.1, decay_steps=1000, alpha=0.0, offset=5)"


def test_nested_config_holds_inner_configs():
    lr = schedules.Join([schedules.LinearWarmup(schedules.Cosine(1.0, 50), 10), 0.1], [50])
    config = schedules.to_config(lr)
    inner = config["config"]["schedules"]
    assert inner[0]["schedule"] == "linear_warmup"
    assert inner[0]["config"]["after"] == {"schedule": "cosine", "config": {
        "initial": 1.0, "decay_steps": 50, "alpha": 0.0, "warmup_target": None,
        "warmup_steps": 0, "offset": 0}}
    assert inner[1] == {"schedule": "constant", "config": {"value": 0.1}}
    assert schedules.from_config(json.loads(json.dumps(config))) == lr


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"Unknown schedule 'cosin'\. Did you mean 'cosine'"):
        schedules.from_config({"schedule": "cosin", "config": {}})
    with pytest.raises(ValueError, match="Did you mean 'linear_warmup'"):
        schedules.schedule_class("linear_warmpu")


def test_aliases_and_separators():
    assert schedules.schedule_class("warmup-stable-decay") is schedules.WarmupStableDecay
    assert schedules.schedule_class("One-Cycle") is schedules.OneCycle


@pytest.mark.parametrize("bad, message", [
    ({"config": {}}, "'schedule' key"),
    ("cosine", "'schedule' key"),
    ({"schedule": "cosine", "config": {}, "extra": 1}, r"unknown schedule config keys \['extra'\]"),
    ({"schedule": "cosine", "config": {"initial": 0.1, "decay_steps": 5, "alpah": 0.1}},
     r"unknown config keys \['alpah'\] for Cosine; accepted: initial, decay_steps, alpha"),
])
def test_malformed_configs(bad, message):
    with pytest.raises(ValueError, match=message):
        schedules.from_config(bad)


def test_to_config_refuses_unregistered():
    class Mine(schedules.Schedule):
        def __init__(self):
            pass

    with pytest.raises(TypeError, match="not a registered"):
        schedules.to_config(Mine())
    with pytest.raises(TypeError, match="not a registered"):
        schedules.to_config(lambda step: 0.1)
