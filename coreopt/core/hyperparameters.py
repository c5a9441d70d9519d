"""A hyperparameter's value at a step, as stored, as shown, and overridden for a while.

A learning rate given as a float is stored in a float64 `tf.Variable`
(`stored`), so that changing it never retraces; a schedule (a callable of the
step, or a Keras `LearningRateSchedule`) is called with the steps taken
(`at_step`); people see floats (`shown`); `Override` is the context of
`Optimizer.with_hyperparameters`.

Example:
    >>> import tensorflow as tf
    >>> float(at_step(lambda step: 0.1 / (1 + tf.cast(step, tf.float64)),
    ...               {"iterations": tf.constant(1, tf.int64)}))
    0.05
    >>> shown(stored("learning_rate", 0.01))
    0.01
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops

__all__ = ["Override", "at_step", "is_schedule", "shown", "stored"]


def is_schedule(value) -> bool:
    """True for a schedule: a callable that is not a `tf.Variable`."""
    return callable(value) and not isinstance(value, tf.Variable)


def at_step(value, state) -> tf.Tensor:
    """A hyperparameter's value for the step after `state`: a schedule (a callable that is
    not a variable) is called with the steps taken, `state["iterations"]`; float64."""
    if is_schedule(value):
        value = value(state["iterations"])
    return ops.f64(value)


def shown(value):
    """A hyperparameter as shown to people: a float, or the object itself."""
    if isinstance(value, tf.Variable) and value.shape.rank == 0:
        return float(value.numpy()) if tf.executing_eagerly() else value
    return value


def stored(name, value):
    """A learning rate: a float goes into a float64 `tf.Variable` (no retrace on change)."""
    if isinstance(value, tf.Variable) or callable(value):
        return value
    with tf.init_scope():
        return tf.Variable(float(value), dtype=tf.float64, trainable=False, name=name)


class Override:
    """`with_hyperparameters`'s context: route values to their level, restore after."""

    def __init__(self, optimizer, values):
        self.optimizer, self.values = optimizer, dict(values)

    def __enter__(self):
        opt = self.optimizer
        unknown = sorted(set(self.values) - set(opt._hyper))
        if unknown:
            raise KeyError(f"{type(opt).__name__} has no hyperparameter {unknown}")
        self.saved = dict(opt._hyper)
        opt._hyper.update(self.values)
        return opt

    def __exit__(self, *exc):
        self.optimizer._hyper = self.saved
