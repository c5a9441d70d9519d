"""The schedule base class, the constant schedule, the name registry and configs.

A schedule maps the number of steps already taken (0 before the first update,
as an optimizer reads `lr(state["iterations"])`) to a float64 tensor. Its
arithmetic is TensorFlow ops only, element by element, with no Python branch
on the step, so one trace serves every step in eager mode, in `tf.function`,
under XLA and under `tf.vectorized_map`.

Configs are plain JSON-able data::

    {"schedule": "cosine", "config": {"initial": 0.1, "decay_steps": 1000, ...}}

with an inner schedule nested as its own such dict.

Example:
    >>> import json
    >>> lr = Constant(0.1)
    >>> text = json.dumps(to_config(lr))
    >>> text
    '{"schedule": "constant", "config": {"value": 0.1}}'
    >>> from_config(json.loads(text))
    Constant(value=0.1)
"""

from __future__ import annotations

import inspect
import json
import numbers

import numpy as np
import tensorflow as tf

from coreopt._names import NameTable
from coreopt.schedules import _args

_TABLE = NameTable("schedule", separators="-")


def as_step(step) -> tf.Tensor:
    """`step` (a Python number, NumPy value, tensor or variable) as a float64 tensor."""
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"a schedule's step must be a number; received {step!r}.")
    if isinstance(step, numbers.Real):
        return tf.constant(float(step), tf.float64)
    step = tf.convert_to_tensor(step)
    if not (step.dtype.is_integer or step.dtype.is_floating):
        raise TypeError(f"a schedule's step must be an int or float tensor; received "
                        f"dtype {step.dtype.name}.")
    return tf.cast(step, tf.float64)


def full(t: tf.Tensor, value) -> tf.Tensor:
    """A float64 tensor shaped like `t`, every entry `value`."""
    return tf.zeros_like(t) + value


class Schedule:
    """Base class: a subclass sets `registry_name` and implements `at(t)`.

    `at(t)` maps a float64 tensor of steps (any shape) to a float64 tensor
    of that shape. The constructor's arguments, stored as attributes of the
    same names, are the config. `horizon` is where a schedule with a planned
    end (a decay that finishes, a cycle's last step) has run its course.
    """

    registry_name: str | None = None
    aliases: tuple[str, ...] = ()
    _fields: tuple[str, ...] = ()
    _quiet: tuple[str, ...] = ("offset",)  # left out of repr at their default

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(inspect.signature(cls.__init__).parameters)[1:]
        if "registry_name" in cls.__dict__:
            _TABLE.add(cls.registry_name, cls, cls.aliases)

    def __call__(self, step) -> tf.Tensor:
        """The value after `step` steps, a float64 tensor shaped like `step`."""
        with tf.name_scope(type(self).__name__):
            return self.at(as_step(step))

    def at(self, t: tf.Tensor) -> tf.Tensor:
        """The value at the float64 steps `t`."""
        raise NotImplementedError

    @property
    def horizon(self) -> int | None:
        """The step where the schedule's planned course ends; None if it has no end.

        The value no longer changes after it. A constant, an exponential or a
        power law has no end; a warmup may not last longer than `horizon`.
        """
        return None

    def get_config(self) -> dict:
        """The constructor's arguments as JSON-able data (inner schedules as configs)."""
        return {name: _plain(getattr(self, name)) for name in self._fields}

    @classmethod
    def from_config(cls, config: dict):
        """The schedule that `get_config()` describes."""
        unknown = sorted(set(config) - set(cls._fields))
        if unknown:
            raise ValueError(f"unknown config keys {unknown} for {cls.__name__}; "
                             f"accepted: {', '.join(cls._fields)}.")
        return cls(**{k: _revive(v) for k, v in config.items()})

    def __repr__(self):
        defaults = inspect.signature(type(self).__init__).parameters
        parts = [f"{name}={getattr(self, name)!r}" for name in self._fields
                 if name not in self._quiet or getattr(self, name) != defaults[name].default]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash((type(self), json.dumps(self.get_config(), sort_keys=True)))


class Constant(Schedule):
    """The same value at every step.

    Model Garden's `constant` learning-rate type (`official/modeling/
    optimization/optimizer_factory.py` passes the float itself to the
    optimizer). Also what a plain number becomes where a schedule is expected
    (the inner schedule of a warmup, a piece of `Join`).

    Args:
        value: float >= 0.

    Example:
        >>> float(Constant(0.1)(1000))
        0.1
    """

    registry_name = "constant"

    def __init__(self, value):
        self.value = _args.nonnegative("value", value)

    def at(self, t):
        return full(t, self.value)


def schedule_arg(name: str, value) -> Schedule:
    """`value` as a schedule: a `Schedule`, or a number made `Constant`."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Constant(value)
    raise TypeError(f"`{name}` must be a coreopt.schedules.Schedule or a number; received "
                    f"{value!r} of type {type(value).__name__}.")


def to_config(schedule: Schedule) -> dict:
    """`{"schedule": name, "config": {...}}` for a registered schedule."""
    name = getattr(schedule, "registry_name", None)
    if not isinstance(schedule, Schedule) or name is None or \
            _TABLE.get(name) is not type(schedule):
        raise TypeError(f"{type(schedule).__name__} is not a registered "
                        "coreopt.schedules.Schedule, so it has no config.")
    return {"schedule": name, "config": schedule.get_config()}


def from_config(config: dict) -> Schedule:
    """The schedule that a `to_config` result describes (nested ones included).

    Raises:
        ValueError: not a dict of the form above, or an unknown schedule name
            (with the closest registered names), or unknown config keys.
    """
    if not isinstance(config, dict) or "schedule" not in config:
        raise ValueError("a schedule config must be a dict with a 'schedule' key, as "
                         f"to_config writes it; received {config!r:.120}.")
    extra = sorted(set(config) - {"schedule", "config"})
    if extra:
        raise ValueError(f"unknown schedule config keys {extra}; expected 'schedule' "
                         "and 'config'.")
    cls = _TABLE.get(config["schedule"])
    return cls.from_config(dict(config.get("config", {})))


def names() -> list[str]:
    """The registered schedule names, in registration order."""
    return _TABLE.names()


def schedule_class(name: str) -> type:
    """The schedule class registered under `name` (ValueError with "did you mean")."""
    return _TABLE.get(name)


def _plain(value):
    if isinstance(value, Schedule):
        return to_config(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _revive(value):
    if isinstance(value, dict) and "schedule" in value:
        return from_config(value)
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value
