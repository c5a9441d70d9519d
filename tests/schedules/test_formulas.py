"""Each schedule against its independent transcription, over steps through every boundary."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from coreopt import schedules
from tests.schedules import cases

EXAMPLES = cases.examples()


def test_every_registered_schedule_has_cases():
    missing = [name for name in schedules.names() if not cases.CASES.get(name)]
    assert not missing, f"no formula cases for {missing}"
    assert set(cases.CASES) <= set(schedules.names())


@pytest.mark.parametrize("name, index, schedule, ref, steps", EXAMPLES,
                         ids=[f"{e[0]}-{e[1]}" for e in EXAMPLES])
def test_matches_reference(name, index, schedule, ref, steps):
    whole = all(float(s).is_integer() for s in steps)
    got = schedule(tf.constant(steps, tf.int64 if whole else tf.float64)).numpy()
    want = np.array([ref(float(s)) for s in steps])
    assert got.dtype == np.float64 and got.shape == (len(steps),)
    bad = ~np.isclose(got, want, rtol=1e-12, atol=1e-15)
    assert not bad.any(), (f"{schedule!r} differs from its reference at steps "
                           f"{np.asarray(steps)[bad][:8]}: got {got[bad][:8]}, "
                           f"want {want[bad][:8]}")


def test_scalar_step_gives_scalar_float64():
    value = schedules.Cosine(0.1, 100)(tf.constant(3, tf.int64))
    assert value.dtype == tf.float64 and value.shape == ()


@pytest.mark.parametrize("step", [7, 7.0, np.int32(7), np.int64(7), np.float32(7.0),
                                  tf.constant(7), tf.constant(7, tf.int64),
                                  tf.constant(7.0, tf.float32), tf.Variable(7, dtype=tf.int64)])
def test_step_kinds_agree(step):
    lr = schedules.Cosine(0.1, 100)
    assert float(lr(step)) == float(lr(tf.constant(7, tf.int64)))


@pytest.mark.parametrize("name, index, schedule, ref, steps", EXAMPLES,
                         ids=[f"{e[0]}-{e[1]}" for e in EXAMPLES])
def test_horizon_is_where_the_value_settles(name, index, schedule, ref, steps):
    end = schedule.horizon
    if end is None:
        return
    after = schedule(tf.constant([end + 1, end + 2, end + 7, 10**6], tf.int64)).numpy()
    np.testing.assert_allclose(after, after[0], rtol=1e-15, atol=0)
    flat_last_phase = name == "one_cycle_momentum" and schedule.three_phase  # max -> max
    if end >= 1 and not flat_last_phase:  # and not before: it still changes just ahead
        before = float(schedule(end - 1))
        assert not np.isclose(before, after[0], rtol=1e-12, atol=0), (schedule, end)


def test_large_steps_are_exact():
    """Steps are float64: a boundary past float32's 2**24 still splits neighbouring steps."""
    lr = schedules.Stepwise([2**40], [1.0, 0.5])
    got = lr(tf.constant([2**40, 2**40 + 1], tf.int64)).numpy()
    np.testing.assert_array_equal(got, [1.0, 0.5])
