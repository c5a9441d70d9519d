"""Mixed precision: coreopt's LossScale through `model.fit` (the adapter's `scale_loss`) and
in a custom loop; Keras's mixed_bfloat16 with a plain coreopt optimizer."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.train import data
from coreopt.train.keras_adapter import KerasOptimizer

SPLIT = data.load("digits")
X, Y = SPLIT.x_train[:256], SPLIT.y_train[:256]


@pytest.fixture
def policy(request):
    """Sets Keras's global dtype policy for one test and restores the one before."""
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy(before)


def _model(width=32):
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((64,)), keras.layers.Dense(width, activation="relu"),
        keras.layers.Dense(10), keras.layers.Activation("linear", dtype="float32")])


def _loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _fit(optimizer, x=X, y=Y, epochs=1, batch_size=64, width=32):
    model = _model(width)
    # auto_scale_loss=False: the chain's LossScale scales, not a Keras LossScaleOptimizer.
    model.compile(optimizer=KerasOptimizer(optimizer), loss=_loss(), jit_compile=False,
                  auto_scale_loss=False, metrics=["accuracy"])
    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    return model


def _weights(model):
    return [v.numpy() for v in model.trainable_variables]


def _state(adapter, key):
    """The LossScale level's state variable `key` among the adapter's own variables."""
    return adapter._state[key].numpy()


def test_scale_loss_reads_the_adapters_own_scale_at_any_depth():
    adapter = KerasOptimizer(coreopt.get("ema:loss_scale(initial_scale=8.0):adam"))
    loss = tf.constant(3.0)
    assert float(adapter.scale_loss(loss)) == 24.0  # before build: the initial scale
    adapter.build([keras.Variable(np.zeros(2, np.float32))])
    adapter._state["inner"]["scale"].assign(0.5)
    assert float(adapter.scale_loss(loss)) == 1.5
    plain = KerasOptimizer(coreopt.Adam())
    assert float(plain.scale_loss(loss)) == 3.0


def test_fit_with_loss_scale_follows_the_unscaled_optimizer():
    """A power-of-two scale is exact in float32: scaling, then dividing, changes nothing."""
    expected = _weights(_fit(coreopt.Adam(0.01), epochs=2))
    model = _fit(coreopt.LossScale(coreopt.Adam(0.01), initial_scale=2.0**12), epochs=2)
    start = _weights(_model())
    for a, b, s in zip(_weights(model), expected, start, strict=True):
        assert np.max(np.abs(b - s)) > 1e-3
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert _state(model.optimizer, "scale") == 2.0**12
    assert _state(model.optimizer, "good_steps") == 8


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_keras_own_loss_scaling_on_top_is_refused_before_a_step(policy):
    model = _model()
    adapter = KerasOptimizer(coreopt.get("loss_scale:adam"))
    model.compile(optimizer=adapter, loss=_loss(), jit_compile=False)  # auto_scale_loss=True
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    before = _weights(model)
    with pytest.raises(ValueError, match="auto_scale_loss=False"):
        model.fit(X, Y, batch_size=64, epochs=1, verbose=0)
    for a, b in zip(_weights(model), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_fit_skips_a_step_whose_float16_gradient_overflows(policy):
    """Scale 2**100: the float16 gradients are Inf, so fit skips each step and halves it."""
    model = _fit(coreopt.LossScale(coreopt.Adam(0.01), initial_scale=2.0**100), epochs=1)
    assert model.layers[0].compute_dtype == "float16"
    for a, b in zip(_weights(model), _weights(_model()), strict=True):
        np.testing.assert_array_equal(a, b)
    adapter = model.optimizer
    assert _state(adapter, "scale") == 2.0**96  # four batches, four halvings
    assert _state(adapter, "good_steps") == 0 and _state(adapter, "iterations") == 4
    assert int(adapter._state["inner"]["iterations"].numpy()) == 0  # Adam never stepped
    assert float(adapter.scale_loss(tf.constant(1.0))) == 2.0**96


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_fit_recovers_from_a_too_large_scale(policy):
    """From 2**24 (float16 gradients overflow) the scale halves until the steps are finite."""
    model = _fit(coreopt.LossScale(coreopt.Adam(0.01), initial_scale=2.0**24), epochs=4)
    scale = _state(model.optimizer, "scale")
    assert 1.0 <= scale < 2.0**24
    assert int(model.optimizer._state["inner"]["iterations"].numpy()) > 0
    moved = [np.max(np.abs(a - b)) for a, b in zip(_weights(model), _weights(_model()))]
    assert min(moved) > 1e-4 and all(np.isfinite(w).all() for w in _weights(model))


def _accuracy(model):
    logits = model(SPLIT.x_test)
    return float(np.mean(np.argmax(np.asarray(logits), -1) == SPLIT.y_test))


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_fit_trains_digits_in_mixed_float16(policy):
    model = _fit(coreopt.LossScale(coreopt.Adam(3e-3)), SPLIT.x_train, SPLIT.y_train,
                 epochs=10, batch_size=32, width=128)
    assert model.layers[0].compute_dtype == "float16"
    accuracy = _accuracy(model)
    print(f"test accuracy {accuracy:.4f}")
    assert accuracy >= 0.96


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_bfloat16"], indirect=True)
def test_fit_trains_digits_in_mixed_bfloat16_without_loss_scaling(policy):
    model = _fit(coreopt.Adam(3e-3), SPLIT.x_train, SPLIT.y_train, epochs=10, batch_size=32,
                 width=128)
    assert model.layers[0].compute_dtype == "bfloat16"
    accuracy = _accuracy(model)
    print(f"test accuracy {accuracy:.4f}")
    assert accuracy >= 0.96


def custom_loop(optimizer, epochs, batch_size=32, width=128):
    """Trains `_model(width)` on the digits by `optimizer.minimize`; returns the model."""
    model, loss_fn = _model(width), _loss()

    @tf.function
    def step(x, y):
        return optimizer.minimize(lambda: loss_fn(y, model(x)), model.trainable_variables)

    for epoch in range(epochs):
        batches = data.pipeline(SPLIT.x_train, SPLIT.y_train, batch_size=batch_size, seed=0,
                                epoch=epoch)
        for x, y in batches:
            step(x, y)
    return model


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_custom_loop_minimize_scales_and_skips(policy):
    opt = coreopt.LossScale(coreopt.Adam(0.01), initial_scale=2.0**100)
    model = _model()
    x, y = tf.constant(X[:64]), tf.constant(Y[:64])
    start = _weights(model)
    loss = opt.minimize(lambda: _loss()(y, model(x)), model.trainable_variables)
    assert np.isfinite(float(loss))
    for a, b in zip(_weights(model), start, strict=True):
        np.testing.assert_array_equal(a, b)
    assert float(opt.state_variables()["scale"]) == 2.0**99
    assert int(opt.inner.iterations.numpy()) == 0


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_custom_loop_trains_digits_in_mixed_float16(policy):
    opt = coreopt.LossScale(coreopt.Adam(3e-3))
    model = custom_loop(opt, epochs=10)
    assert model.layers[0].compute_dtype == "float16"
    assert int(opt.inner.iterations.numpy()) == 10 * 45
    accuracy = _accuracy(model)
    print(f"test accuracy {accuracy:.4f}")
    assert accuracy >= 0.96
