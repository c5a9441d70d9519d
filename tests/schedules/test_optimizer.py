"""A schedule as an optimizer's learning rate: the k-th update uses `schedule(k)`."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

import coreopt
from coreopt import schedules


def test_gradient_descent_follows_the_schedule():
    lr = schedules.WarmupStableDecay(0.1, total_steps=12, warmup_steps=3, decay_steps=4,
                                     shape="cosine")
    x = tf.Variable(0.0, dtype=tf.float64)
    opt = coreopt.GradientDescent(learning_rate=lr)
    seen = []
    for _ in range(14):
        seen.append(float(opt.current_learning_rate()))
        opt.apply_gradients([tf.constant(1.0, tf.float64)], [x])
    want = [float(lr(k)) for k in range(14)]
    np.testing.assert_allclose(seen, want, rtol=1e-15)
    np.testing.assert_allclose(float(x.numpy()), -sum(want), rtol=1e-12)


def _one_cycle():
    return coreopt.Momentum(
        learning_rate=schedules.OneCycle(0.1, total_steps=20),
        momentum=schedules.OneCycleMomentum(total_steps=20))


def test_learning_rate_and_momentum_schedules_round_trip_through_json():
    import json

    opt = coreopt.EMA(_one_cycle(), momentum=schedules.LinearWarmup(
        schedules.Constant(0.9), warmup_steps=5, initial=0.0))
    config = json.loads(json.dumps(opt.get_config()))
    rebuilt = coreopt.from_config(config)
    assert repr(rebuilt) == repr(opt)
    paths = []
    for o in (opt, rebuilt):
        x = tf.Variable([1.0, -2.0], dtype=tf.float64)
        for k in range(25):
            o.apply_gradients([x * 1.0 + np.sin(k)], [x])
        paths.append(x.numpy())
    np.testing.assert_array_equal(*paths)


def test_keras_fit_reads_a_coreopt_schedule_and_saves_it(tmp_path):
    import keras

    from coreopt.train.keras_adapter import KerasOptimizer

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    adapter = KerasOptimizer(_one_cycle())
    model.compile(optimizer=adapter, loss="mse", jit_compile=False)
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    model.fit(x, x[:, :1], epochs=3, batch_size=4, verbose=0)  # 12 steps
    lr = schedules.OneCycle(0.1, total_steps=20)
    np.testing.assert_allclose(float(adapter.learning_rate), float(lr(12)), rtol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert repr(loaded.optimizer.inner) == repr(adapter.inner)
    np.testing.assert_allclose(float(loaded.optimizer.learning_rate), float(lr(12)), rtol=1e-6)
