"""The small math kit the update functions share.

Hyperparameters reach an update function as float64 tensors (scalars, or with a
leading batch axis in the lab) and the step count `t` as float64 too. Scalar
arithmetic on them (bias corrections, schedules) happens in float64, like the
Python floats of the guide, and `like(h, x)` casts a result once to the
parameter's dtype where it meets the tensors.
"""

from __future__ import annotations

import tensorflow as tf


def f64(value) -> tf.Tensor:
    """A float64 tensor of `value`; a Python float goes straight to float64.

    (`tf.cast(0.9, tf.float64)` would round through float32 first.)
    """
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return tf.cast(value, tf.float64)
    return tf.constant(value, tf.float64)


def like(h, x: tf.Tensor) -> tf.Tensor:
    """`h` cast to the dtype of `x`."""
    return tf.cast(h, x.dtype)


def ema(average, value, decay) -> tf.Tensor:
    """One step of an exponential moving average: decay * average + (1 - decay) * value.

    `1 - decay` is formed in float64 before the cast, as Python floats would be.
    """
    return like(decay, average) * average + like(1 - decay, average) * value


def full_like(x: tf.Tensor, value) -> tf.Tensor:
    """A tensor shaped like `x`, of its dtype, filled with the float64 `value`."""
    return tf.fill(tf.shape(x), like(f64(value), x))


def rms(x: tf.Tensor) -> tf.Tensor:
    """Root mean square of all elements of `x`."""
    return tf.sqrt(tf.reduce_mean(tf.square(x)))


def norm(x: tf.Tensor) -> tf.Tensor:
    """Euclidean norm of all elements of `x`."""
    return tf.sqrt(tf.reduce_sum(tf.square(x)))


def round_to_float32(h) -> tf.Tensor:
    """A float64 value rounded to the nearest float32, kept as float64."""
    return tf.cast(tf.cast(h, tf.float32), tf.float64)
