"""One trace serves every step: eager, `tf.function`, XLA and `tf.vectorized_map` agree."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from coreopt import schedules
from tests.schedules import cases

FIRST = [(name, cases.CASES[name][0]) for name in schedules.names() if cases.CASES.get(name)]
assert all(float(s).is_integer() for _, (_, _, steps) in FIRST for s in steps)
IDS = [name for name, _ in FIRST]


def _probe_steps(steps):
    """A few steps spread over the case's range (first, boundaries, far)."""
    picks = np.unique(np.quantile(np.asarray(steps[:-1]), [0, 0.2, 0.45, 0.7, 1.0]).round())
    return [int(s) for s in picks] + [steps[-1]]


@pytest.mark.parametrize("jit", [False, True], ids=["graph", "xla"])
@pytest.mark.parametrize("name, case", FIRST, ids=IDS)
def test_compiled_equals_eager_without_retrace(name, case, jit):
    schedule, _, steps = case
    compiled = tf.function(lambda step: schedule(step), jit_compile=jit)
    probe = _probe_steps(steps)
    got = [float(compiled(tf.constant(s, tf.int64))) for s in probe]
    want = [float(schedule(s)) for s in probe]
    assert compiled.experimental_get_tracing_count() == 1
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, case", FIRST, ids=IDS)
def test_vectorized_map_equals_one_by_one(name, case):
    schedule, _, steps = case
    batch = tf.constant(steps[::3], tf.int64)
    mapped = tf.vectorized_map(schedule, batch, fallback_to_while_loop=False)
    one_by_one = [float(schedule(int(s))) for s in steps[::3]]
    assert mapped.dtype == tf.float64
    np.testing.assert_allclose(mapped.numpy(), one_by_one, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("t_mul, first, restarts", [(3.0, 2, [2, 8, 26, 80, 242, 728]),
                                                    (10.0, 1, [1, 11, 111, 1111, 111111])])
def test_restarts_land_on_their_step_in_every_path(t_mul, first, restarts):
    """Scalar, batched and XLA logs differ in the last bit, and a quotient of logs can fall
    short of the integer (log(243)/log(3) does in scalar float64): each restart still
    happens on its step."""
    lr = schedules.CosineRestarts(1.0, first, t_mul=t_mul, alpha=0.05)
    steps = tf.constant(restarts, tf.int64)
    batched = lr(steps).numpy()
    xla = tf.function(lambda s: lr(s), jit_compile=True)(steps).numpy()
    scalar = [float(lr(s)) for s in restarts]
    mapped = tf.vectorized_map(lr, steps).numpy()
    for values in (batched, xla, scalar, mapped):
        np.testing.assert_allclose(values, 1.0, rtol=1e-12)


def test_last_step_of_a_period_stays_in_it_at_huge_steps():
    """Near 2**48 the quotient of logs rounds up to the next integer one step early."""
    lr = schedules.CosineRestarts(1.0, 1, t_mul=2.0, alpha=0.05)
    steps = [2**k - 2 for k in (48, 49, 50)]  # the last step of period k - 1
    np.testing.assert_allclose(lr(tf.constant(steps, tf.int64)).numpy(), 0.05, atol=1e-12)
    np.testing.assert_allclose([float(lr(s)) for s in steps], 0.05, atol=1e-12)
