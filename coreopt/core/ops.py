"""The small math kit the update functions share.

Hyperparameters reach an update function as float64 tensors (scalars, or with a
leading batch axis in the lab) and the step count `t` as float64 too. Scalar
arithmetic on them (bias corrections, schedules) happens in float64, like the
Python floats of the guide, and `like(h, x)` casts a result once to the
parameter's dtype where it meets the tensors.
"""

from __future__ import annotations

import contextlib
import threading

import tensorflow as tf

from coreopt.core import precision

_TRACE = threading.local()


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
    """A tensor shaped like `x`, filled with the float64 `value`: of x's dtype, float32 for a
    half-precision x (a slot's start, which the shell keeps in float32, unrounded)."""
    return tf.fill(tf.shape(x), tf.cast(f64(value), precision.compute_dtype(x.dtype)))


def rms(x: tf.Tensor) -> tf.Tensor:
    """Root mean square of all elements of `x`."""
    return tf.sqrt(tf.reduce_mean(tf.square(x)))


def norm(x: tf.Tensor) -> tf.Tensor:
    """Euclidean norm of all elements of `x`."""
    return tf.sqrt(tf.reduce_sum(tf.square(x)))


def round_to_float32(h) -> tf.Tensor:
    """A float64 value rounded to the nearest float32, kept as float64."""
    return tf.cast(tf.cast(h, tf.float32), tf.float64)


@contextlib.contextmanager
def batched_trace():
    """Within the block, `select` traces for a batch of runs (the lab's vectorized_map)."""
    before = getattr(_TRACE, "batched", False)
    _TRACE.batched = True
    try:
        yield
    finally:
        _TRACE.batched = before


def select(predicate, if_true, if_false):
    """`if_true()` where the scalar `predicate` holds, else `if_false()`, for nested results.

    A `tf.cond` (only the branch taken runs), except while the batched lab
    traces (`batched_trace`), where each run has its own predicate: there both
    are computed and merged by `tf.where`, which `tf.vectorized_map` lifts and
    XLA fuses (a per-run `tf.cond` becomes a dynamic partition that XLA cannot
    compile). Both forms give the same values.
    """
    if getattr(_TRACE, "batched", False):
        return tf.nest.map_structure(lambda a, b: tf.where(predicate, a, b), if_true(),
                                     if_false())
    return tf.cond(predicate, if_true, if_false)
