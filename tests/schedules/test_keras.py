"""The Keras-derived schedules against `keras.optimizers.schedules` itself.

Keras computes in the dtype of `initial_learning_rate`: given a NumPy
float64 it computes in float64, and the two agree to 1e-12 (relative);
given a Python float it computes in float32, and they agree to float32
precision (rtol 1e-6). Keras casts a Python-float hyperparameter
(`decay_rate`, `power`, `t_mul`, ...) through float32 even then, so the
float64 comparisons pass those as NumPy float64 too. Model Garden's offset
classes are Keras's schedules read at `step - offset`, checked here from the
offset on.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from coreopt import schedules as S

KS = keras.optimizers.schedules
F64 = np.float64
STEPS = np.array(sorted(set(range(0, 131)) | {255, 256, 257, 1000, 10**6}))


def _keras_values(fn, steps, vector=True):
    if vector:
        return np.asarray(fn(tf.constant(steps, tf.int64)), np.float64)
    return np.array([float(fn(tf.constant(s, tf.int64))) for s in steps])


def _ours(schedule, steps):
    return schedule(tf.constant(steps, tf.int64)).numpy()


def _assert_close(ours, theirs, rtol, atol):
    bad = ~np.isclose(ours, theirs, rtol=rtol, atol=atol)
    assert not bad.any(), f"steps {STEPS[bad][:8]}: ours {ours[bad][:8]}, keras {theirs[bad][:8]}"


COSINES = [dict(initial=0.1, decay_steps=100), dict(initial=0.3, decay_steps=37, alpha=0.25),
           dict(initial=0.0, decay_steps=80, warmup_target=0.5, warmup_steps=20),
           dict(initial=0.05, decay_steps=64, alpha=0.1, warmup_target=1.0, warmup_steps=1)]


def _keras_cosine(kw, dtype):
    target = kw.get("warmup_target")
    return KS.CosineDecay(dtype(kw["initial"]), kw["decay_steps"], alpha=kw.get("alpha", 0.0),
                          warmup_target=None if target is None else dtype(target),
                          warmup_steps=kw.get("warmup_steps", 0))


@pytest.mark.parametrize("kw", COSINES)
def test_cosine_float64(kw):
    vector = "warmup_target" not in kw  # Keras's warmup branch takes a scalar step
    theirs = _keras_values(_keras_cosine(kw, F64), STEPS, vector)
    _assert_close(_ours(S.Cosine(**kw), STEPS), theirs, 1e-12, 1e-15)


@pytest.mark.parametrize("kw", COSINES[:3:2])
def test_cosine_float32(kw):
    theirs = _keras_values(_keras_cosine(kw, float), STEPS, "warmup_target" not in kw)
    _assert_close(_ours(S.Cosine(**kw), STEPS), theirs, 1e-6, 1e-7)


def _restart_steps(first, t_mul, stop):
    starts, length, start = set(), float(first), 0.0
    while start <= stop:
        starts.add(start)
        start, length = start + length, length * t_mul
    return starts


@pytest.mark.parametrize("t_mul, m_mul, alpha", [(1.0, 1.0, 0.0), (1.0, 0.7, 0.1),
                                                 (2.0, 0.5, 0.0), (1.5, 0.9, 0.2),
                                                 (3.0, 1.0, 0.05)])
def test_cosine_restarts_float64(t_mul, m_mul, alpha):
    """Equal to Keras but where Keras's log misses a restart step (then Keras gives the floor).

    Keras divides a log computed on the batch of steps by a scalar log(t_mul);
    the two log paths differ in the last bit (log 3 does), which here puts
    step 8 just short of the restart for t_mul = 3.
    """
    keras_fn = KS.CosineDecayRestarts(F64(0.2), 8, F64(t_mul), F64(m_mul), F64(alpha))
    theirs = _keras_values(keras_fn, STEPS)
    ours = _ours(S.CosineRestarts(0.2, 8, t_mul=t_mul, m_mul=m_mul, alpha=alpha), STEPS)
    off = ~np.isclose(ours, theirs, rtol=1e-12, atol=1e-15)
    restarts = _restart_steps(8, t_mul, STEPS.max())
    assert all(s in restarts for s in STEPS[off]), STEPS[off]
    assert np.allclose(theirs[off], 0.2 * alpha, rtol=1e-12, atol=1e-15)
    if (t_mul, alpha) == (3.0, 0.05):
        assert 8 in STEPS[off]  # the case this tolerates does occur


def test_cosine_restarts_float32():
    theirs = _keras_values(KS.CosineDecayRestarts(0.2, 8, 2.0, 0.5, 0.1), STEPS[:100])
    ours = _ours(S.CosineRestarts(0.2, 8, t_mul=2.0, m_mul=0.5, alpha=0.1), STEPS[:100])
    _assert_close(ours, theirs, 1e-6, 1e-7)


OFFSET_PAIRS = [
    (lambda o: S.Stepwise([10, 40, 90], [1.0, 0.5, 0.25, 0.1], offset=o),
     lambda: KS.PiecewiseConstantDecay([10, 40, 90], [F64(v) for v in (1.0, 0.5, 0.25, 0.1)])),
    (lambda o: S.Exponential(0.5, 12, 0.8, offset=o),
     lambda: KS.ExponentialDecay(F64(0.5), 12, F64(0.8))),
    (lambda o: S.Exponential(0.5, 12, 0.8, staircase=True, offset=o),
     lambda: KS.ExponentialDecay(F64(0.5), 12, F64(0.8), staircase=True)),
    (lambda o: S.Polynomial(0.5, 60, end=0.01, power=0.5, offset=o),
     lambda: KS.PolynomialDecay(F64(0.5), 60, end_learning_rate=F64(0.01), power=F64(0.5))),
    (lambda o: S.Polynomial(0.5, 25, end=0.02, power=2.0, cycle=True, offset=o),
     lambda: KS.PolynomialDecay(F64(0.5), 25, end_learning_rate=F64(0.02), power=F64(2.0),
                                cycle=True)),
    (lambda o: S.Cosine(0.5, 70, alpha=0.3, offset=o),
     lambda: KS.CosineDecay(F64(0.5), 70, alpha=0.3)),
]


@pytest.mark.parametrize("offset", [0, 17])
@pytest.mark.parametrize("ours, theirs", OFFSET_PAIRS)
def test_model_garden_offset_classes_are_keras_shifted(ours, theirs, offset):
    steps = STEPS[STEPS >= offset]
    keras_values = np.asarray(theirs()(tf.constant(steps - offset, tf.int64)), np.float64)
    got = _ours(ours(offset), steps)
    assert np.allclose(got, keras_values, rtol=1e-12, atol=1e-15), (got - keras_values)
