"""Configs as plain JSON-able data, and `from_config` to rebuild from them.

    {"optimizer": "adam", "config": {"learning_rate": 0.001, "beta_1": 0.9, ...}}
    {"optimizer": "ema", "config": {"momentum": 0.99, ...},
     "inner": {"optimizer": "adam", "config": {...}}}

A hyperparameter that is a `tf.Variable` is saved as its value; a
`coreopt.schedules` schedule as `{"schedule": name, "config": ...}`; a Keras
`LearningRateSchedule` as Keras serializes it; any other callable cannot be
saved (a `TypeError` says so).

Example:
    >>> import json, coreopt
    >>> opt = coreopt.get("clip_by_norm(clipnorm=1.0):lion", learning_rate=0.01)
    >>> text = json.dumps(opt.get_config())
    >>> coreopt.from_config(json.loads(text))
    ClipByNorm(Lion(learning_rate=0.01, beta_1=0.9, beta_2=0.99), clipnorm=1.0)
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import registry


def config_of(optimizer) -> dict:
    """The JSON-able config of a registered optimizer or wrapper chain."""
    name = optimizer.registry_name
    if name is None or registry.entry(name).cls is not type(optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not registered, so its config cannot "
                        "be rebuilt; register it with coreopt.register.")
    config = {k: _value(k, optimizer, v) for k, v in optimizer.own_config().items()}
    wraps = getattr(optimizer, "wraps", False)
    if not wraps and not optimizer.half_in_float32:  # a wrapper takes its inner's
        config["half_in_float32"] = False
    out = {"optimizer": name, "config": config}
    if getattr(optimizer, "wraps", False):  # a Route may have no default: "inner" is None
        out["inner"] = None if optimizer.inner is None else config_of(optimizer.inner)
    return out


def _value(key, optimizer, value):
    if isinstance(value, tf.Variable):
        return float(value.numpy())
    if callable(value):
        return _schedule(key, optimizer, value)
    return value


def _is_schedule(value) -> bool:
    from coreopt.schedules import Schedule

    return isinstance(value, Schedule)


def _schedule(key, optimizer, value):
    if _is_schedule(value):
        from coreopt import schedules

        return schedules.to_config(value)
    import keras

    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule):
        return {"keras_schedule": keras.saving.serialize_keras_object(value)}
    raise TypeError(f"`{key}` of {type(optimizer).__name__} is a plain callable, which a "
                    "config cannot hold; use a coreopt.schedules schedule or a "
                    "keras.optimizers.schedules.LearningRateSchedule.")


def from_config(config: dict):
    """The optimizer (or wrapper chain) a `get_config()` result describes.

    Raises:
        ValueError: an unknown optimizer name (with "did you mean"), or a
            config that is not of the form above.
        TypeError: an unknown hyperparameter (the spec's error, naming it).
    """
    if not isinstance(config, dict) or "optimizer" not in config:
        raise ValueError("a config must be a dict with an 'optimizer' key, as get_config() "
                         f"writes it; received {config!r:.120}.")
    extra = sorted(set(config) - {"optimizer", "config", "inner"})
    if extra:
        raise ValueError(f"unknown config keys {extra}; expected 'optimizer', 'config' and, "
                         "for a wrapper, 'inner'.")
    entry = registry.entry(config["optimizer"])
    values = {k: _restore(v) for k, v in dict(config.get("config", {})).items()}
    if entry.wrapper:
        if "inner" not in config:
            raise ValueError(f"the config of the wrapper {entry.name!r} has no 'inner'.")
        inner = config["inner"]
        return entry.cls(None if inner is None else from_config(inner), **values)
    if "inner" in config:
        raise ValueError(f"{entry.name!r} is not a wrapper; its config has an 'inner'.")
    return entry.cls(**values)


def _restore(value):
    if isinstance(value, dict) and "schedule" in value:
        from coreopt import schedules

        return schedules.from_config(value)
    if isinstance(value, dict) and "keras_schedule" in value:
        import keras

        import coreopt.compat  # noqa: F401  (registers the schedules `from_keras` makes)

        return keras.saving.deserialize_keras_object(value["keras_schedule"])
    return value
