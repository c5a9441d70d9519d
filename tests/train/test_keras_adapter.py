"""The Keras adapter; oracles: the coreopt optimizer in a custom loop, and Keras's own Adam."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.compat import from_keras
from coreopt.train import data
from coreopt.train.keras_adapter import KerasOptimizer

SPLIT = data.load("digits")
X, Y = SPLIT.x_train[:512], SPLIT.y_train[:512]
BATCH = 64


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10)])
    return model


def _loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _fit(optimizer, epochs=2, model=None):
    model = model or _model()
    model.compile(optimizer=optimizer, loss=_loss(), jit_compile=False)
    model.fit(X, Y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    return model


def _custom_loop(optimizer, epochs=2):
    model, loss_fn = _model(), _loss()
    variables = [v.value for v in model.trainable_variables]

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        optimizer.apply_gradients(tape.gradient(loss, variables), variables)

    for _ in range(epochs):
        for start in range(0, len(X), BATCH):
            step(tf.constant(X[start:start + BATCH]), tf.constant(Y[start:start + BATCH]))
    return model


def _weights(model):
    return [v.numpy() for v in model.trainable_variables]


def _clipped(lr):
    return coreopt.ClipByGlobalNorm(coreopt.Adam(learning_rate=lr), 0.5)


@pytest.mark.parametrize("make", [
    lambda lr: coreopt.Adam(learning_rate=lr), lambda lr: coreopt.Momentum(learning_rate=lr),
    lambda lr: coreopt.Lion(learning_rate=lr), lambda lr: coreopt.Adagrad(learning_rate=lr),
    _clipped,
], ids=["adam", "momentum", "lion", "adagrad", "clip-global-norm(adam)"])
def test_fit_follows_the_coreopt_optimizer_in_a_custom_loop(make):
    lr = float(np.float32(0.01))  # Keras keeps the rate in float32
    got = _weights(_fit(KerasOptimizer(make(lr))))
    expected = _weights(_custom_loop(make(lr)))
    start = _weights(_model())
    for a, b, s in zip(got, expected, start, strict=True):
        assert np.max(np.abs(b - s)) > 1e-3
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_adapter_of_from_keras_equals_keras_adam_in_fit():
    keras_adam = keras.optimizers.Adam(learning_rate=0.01)
    expected = _weights(_fit(keras.optimizers.Adam(learning_rate=0.01)))
    got = _weights(_fit(KerasOptimizer(from_keras(keras_adam))))
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_state_saves_and_loads_with_the_model(tmp_path):
    model = _fit(KerasOptimizer(coreopt.Adam(learning_rate=0.01)), epochs=1)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.optimizer, KerasOptimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    saved = [v.numpy() for v in model.optimizer.variables]
    assert len(saved) == 2 + 2 * 4 + 1 and int(loaded.optimizer.iterations.numpy()) == 8
    for a, b in zip([v.numpy() for v in loaded.optimizer.variables], saved, strict=True):
        np.testing.assert_array_equal(a, b)
    for m in (model, loaded):
        m.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(_weights(loaded), _weights(model), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    fresh = _model()
    fresh.compile(optimizer=KerasOptimizer(coreopt.Adam(learning_rate=0.01)), loss=_loss())
    fresh.set_weights(keras.models.load_model(path).get_weights())
    fresh.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert not np.allclose(_weights(fresh)[0], _weights(model)[0], rtol=1e-6, atol=1e-7)


def test_bad_input():
    with pytest.raises(TypeError, match="coreopt optimizer"):
        KerasOptimizer(keras.optimizers.Adam())
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        KerasOptimizer(coreopt.Adam(learning_rate=lambda step: 0.1))
    with pytest.raises(TypeError, match="not registered"):
        KerasOptimizer(coreopt.ClipByNorm(_Unregistered(), 1.0)).get_config()


class _Unregistered(coreopt.GradientDescent):
    registry_name = None


def test_schedule_is_passed_on():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    adapter = KerasOptimizer(coreopt.GradientDescent(learning_rate=schedule))
    x = keras.Variable(np.zeros(2, np.float32))
    adapter.apply([tf.ones(2)], [x])
    np.testing.assert_allclose(x.numpy(), [-0.1, -0.1], rtol=1e-6)


def _saving_rows():
    """Every registered optimizer (the slow tier) and every wrapper row around Adam whose chain
    a Keras optimizer can run (no loss closure; by default, so Adam's slots are saved there)."""
    from tests.optimizers.cases import CASES as OPTIMIZERS
    from tests.wrappers.cases import collect

    for name in coreopt.names():
        entry = coreopt.entry(name)
        if entry.steps_rank(1) and not entry.needs_closure:  # the model has biases
            yield pytest.param(lambda n=name: coreopt.get(n, **OPTIMIZERS[n].configs[0]),
                               id=name, marks=(pytest.mark.slow,))
    for name, case in sorted(collect().items()):
        if not coreopt.entry(name).needs_closure:
            yield pytest.param(lambda n=name, c=case.configs[0]: coreopt.entry(n).cls(
                coreopt.Adam(learning_rate=0.01), **c), id=f"{name}:adam")


@pytest.mark.parametrize("make", _saving_rows())
def test_every_chain_saves_loads_and_continues_identically(make, tmp_path):
    path = tmp_path / "model.keras"
    model = _model()
    model.compile(optimizer=KerasOptimizer(make()), loss=_loss(), jit_compile=False)
    model.fit(X[:256], Y[:256], batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(str(path))])  # saves each epoch
    loaded = keras.models.load_model(path)  # no custom_objects: the adapter is registered
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for m in (model, loaded):
        m.fit(X[:256], Y[:256], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(_weights(loaded), _weights(model), strict=True):
        np.testing.assert_array_equal(a, b)
