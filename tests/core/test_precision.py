"""Half-precision variables: stepped in float32 with float32 slots (coreopt.core.precision)."""

from __future__ import annotations

import warnings

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from tests.optimizers.cases import CASES as OPTIMIZER_CASES

SHAPE = (3, 2)  # rank 2: Muon steps it too
GRADIENT = np.array([[1e-4, -2e-4], [5e-5, 3e-4], [-1e-4, 2e-5]])  # g^2 underflows in float16
START = np.array([[0.5, -0.25], [1.0, 0.125], [-0.75, 2.0]])
CHAINS = [*coreopt.names(), *(f"{w}:adam" for w in coreopt.names("wrapper")
                              if w not in ("route", "sam"))]
# The default tier: float16, one optimizer of each kind of state (the optimizer suite's
# `contracts_first`) and the wrappers with slots or a scale; the rest in the slow tier.
FIRST = {n for n, case in OPTIMIZER_CASES.items() if case.contracts_first} | {
    "ema:adam", "loss_scale:adam", "accumulate:adam"}


def _rows():
    for dtype in (tf.float16, tf.bfloat16):
        for name in CHAINS:
            slow = dtype != tf.float16 or name not in FIRST
            yield pytest.param(name, dtype, id=f"{dtype.name}-{name}",
                               marks=(pytest.mark.slow,) if slow else ())


def _step(opt, x, g):
    if opt.chain_needs_closure:
        opt.minimize(lambda: tf.reduce_sum(x * g), [x])
    else:
        opt.apply_gradients([g], [x])


def test_adam_on_float16_follows_the_float64_oracle_rounded_each_step():
    """10 steps with |g| <= 3e-4 (in float16 itself, 0.001 g^2 flushes to zero and the step
    m / epsilon overflows); the oracle rounds x to float16 after each of its float64 steps."""
    x = tf.Variable(START, dtype=tf.float16)
    opt = coreopt.Adam(learning_rate=1e-2)
    oracle, expected = reference.Adam(learning_rate=1e-2), START.astype(np.float16)
    for _ in range(10):
        opt.apply_gradients([tf.constant(GRADIENT, tf.float16)], [x])
        [new] = oracle.step([GRADIENT.astype(np.float16)], [expected])
        expected = new.astype(np.float16)
    ulp = np.spacing(np.abs(expected)).astype(np.float64)
    assert np.all(np.abs(x.numpy().astype(np.float64) - expected) <= ulp)
    assert opt.get_slot(x, "v").dtype == tf.float32
    assert x.dtype == tf.float16


@pytest.mark.parametrize("name, dtype", _rows())
def test_every_optimizer_steps_half_variables_as_float32_rounded_each_step(name, dtype):
    """The oracle: the same optimizer on a float32 variable whose value is rounded to the half
    dtype after every step (float32 arithmetic, float32 slots). Equal but where XLA's rounding
    of a half subnormal differs from TensorFlow's by one subnormal step (seen on FTRL)."""
    half, full = tf.Variable(START, dtype=dtype), tf.Variable(START.astype(dtype.as_numpy_dtype),
                                                              dtype=tf.float32)
    opt_half, opt_full = coreopt.get(name), coreopt.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bfloat16's resolution warning
        for t in range(6):
            g = GRADIENT * (1 + t)
            _step(opt_half, half, tf.constant(g, dtype))
            _step(opt_full, full, tf.constant(g.astype(dtype.as_numpy_dtype), tf.float32))
            full.assign(tf.cast(tf.cast(full, dtype), tf.float32))
    assert np.all(np.isfinite(half.numpy().astype(np.float64)))
    info = ml_dtypes.finfo(dtype.as_numpy_dtype)
    tolerance = np.where(np.abs(full.numpy()) < float(info.smallest_normal),
                         float(info.smallest_subnormal), 0.0)
    assert np.all(np.abs(half.numpy().astype(np.float32) - full.numpy()) <= tolerance)


def test_half_in_float32_false_keeps_the_variables_dtype_and_says_what_follows():
    x = tf.Variable(START, dtype=tf.float16)
    opt = coreopt.Adam(learning_rate=1e-2, half_in_float32=False)
    with pytest.warns(UserWarning, match="squared gradients and small epsilons underflow"):
        opt.apply_gradients([tf.constant(GRADIENT, tf.float16)], [x])
    assert opt.get_slot(x, "v").dtype == tf.float16
    assert not np.all(np.isfinite(x.numpy()))  # the documented failure, reproduced
    assert "half_in_float32=False" in repr(opt)
    again = coreopt.from_config(opt.get_config())
    assert again.half_in_float32 is False and coreopt.Adam().get_config() == \
        coreopt.Adam(half_in_float32=True).get_config()


def test_a_wrapper_takes_its_inner_policy_and_keeps_its_own_slots_in_float32():
    x = tf.Variable(START, dtype=tf.float16)
    opt = coreopt.EMA(coreopt.Adam(1e-2))
    opt.apply_gradients([tf.constant(GRADIENT, tf.float16)], [x])
    assert opt.get_slot(x, "average").dtype == tf.float32
    assert not coreopt.EMA(coreopt.Adam(half_in_float32=False)).half_in_float32


def test_bfloat16_warns_once_that_small_steps_round_away():
    x, y = (tf.Variable(START, dtype=tf.bfloat16) for _ in range(2))
    opt = coreopt.Adam()
    with pytest.warns(UserWarning, match="8 significant bits") as seen:
        opt.apply_gradients([tf.constant(GRADIENT, tf.bfloat16)] * 2, [x, y])
    assert len([w for w in seen if "significant bits" in str(w.message)]) == 1


def test_a_float16_checkpoint_restores_its_float32_slots_and_continues_bit_identically(tmp_path):
    def fresh():
        return tf.Variable(START, dtype=tf.float16), coreopt.Adam(1e-2)

    x, opt = fresh()
    for _ in range(3):
        opt.apply_gradients([tf.constant(GRADIENT, tf.float16)], [x])
    path = tf.train.Checkpoint(x=x, opt=opt).write(str(tmp_path / "ckpt"))
    y, restored = fresh()
    tf.train.Checkpoint(x=y, opt=restored).read(path).assert_consumed()
    for var, o in ((x, opt), (y, restored)):
        for _ in range(3):
            o.apply_gradients([tf.constant(GRADIENT, tf.float16)], [var])
    np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert restored.get_slot(y, "m").dtype == tf.float32
