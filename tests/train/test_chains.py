"""Chains of wrappers in the Trainer: SAM by `minimize`, EMA evaluated on its averages,
folder names; oracles: the same steps written out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.train import data, folders, loop, model, results

SPLIT = data.load("digits")
SIZES = (64, 24, 10)
BATCH = 100


def _trainer(optimizer, **kw):
    mlp = model.MLP(SIZES, seed=0)
    return loop.Trainer(mlp, optimizer, SPLIT, batch_size=BATCH, seed=5, verbose=0, **kw)


def _weights(module):
    return [v.numpy() for v in module.trainable_variables]


def _by_hand(optimizer, epochs):
    """Oracle: `minimize` on the mean batch loss of the Trainer's batches, written out.

    Returns (final weights, per-epoch example-weighted mean losses).
    """
    mlp = model.MLP(SIZES, seed=0)

    @tf.function
    def step(x, y):
        return optimizer.minimize(lambda: model.cross_entropy(mlp(x), y),
                                  mlp.trainable_variables)

    losses = []
    for epoch in range(epochs):
        total, seen = 0.0, 0
        for x, y in data.pipeline(SPLIT.x_train, SPLIT.y_train, batch_size=BATCH, seed=5,
                                  epoch=epoch):
            total += float(step(x, y)) * len(x)
            seen += len(x)
        losses.append(total / seen)
    return _weights(mlp), losses


def test_a_closure_chain_steps_by_minimize_on_the_batch_loss():
    trainer = _trainer("sam(rho=0.1):momentum(learning_rate=0.05, momentum=0.9)")
    assert trainer.optimizer.chain_needs_closure
    history = trainer.fit(2)
    expected, losses = _by_hand(coreopt.get("sam(rho=0.1):momentum", learning_rate=0.05,
                                            momentum=0.9), 2)
    for a, b in zip(_weights(trainer.model), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert [r["loss"] for r in history] == pytest.approx(losses, rel=1e-5)
    assert int(trainer.optimizer.iterations.numpy()) == 2 * 15
    assert int(trainer.optimizer.inner.iterations.numpy()) == 2 * 15
    plain = _trainer(coreopt.get("momentum", learning_rate=0.05, momentum=0.9))
    plain.fit(2)
    assert not np.allclose(_weights(plain.model)[0], expected[0], atol=1e-4)


def test_a_closure_chain_compiles_into_an_xla_step():
    trainer = _trainer(coreopt.get("sam:gd", learning_rate=0.1), jit_compile=True)
    history = trainer.fit(1)
    expected, losses = _by_hand(coreopt.get("sam:gd", learning_rate=0.1), 1)
    for a, b in zip(_weights(trainer.model), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert history[0]["loss"] == pytest.approx(losses[0], rel=1e-5)


def test_a_loss_scale_chain_differentiates_the_scaled_loss():
    """A power-of-two scale is exact: the chain trains as its inner optimizer does."""
    expected = _trainer(coreopt.get("adam", learning_rate=1e-2))
    expected_history = expected.fit(1)
    trainer = _trainer(coreopt.get("loss_scale(initial_scale=1024.0):adam", learning_rate=1e-2))
    history = trainer.fit(1)
    for a, b in zip(_weights(trainer.model), _weights(expected.model), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert float(trainer.optimizer.state_variables()["scale"]) == 1024.0
    assert history[0]["loss"] == pytest.approx(expected_history[0]["loss"], rel=1e-6)


def _evaluated(weights, x, y):
    mlp = model.MLP(SIZES, seed=0)
    for var, value in zip(mlp.trainable_variables, weights):
        var.assign(value)
    logits = mlp(tf.constant(x))
    return float(model.cross_entropy(logits, tf.constant(y))), float(model.accuracy(logits, y))


@pytest.mark.parametrize("name", ["ema(momentum=0.9):adam", "lookahead:ema(momentum=0.9):adam"])
def test_an_ema_chain_is_evaluated_on_its_averaged_weights(name):
    trainer = _trainer(coreopt.get(name, learning_rate=1e-2))
    history = trainer.fit(2)
    ema = loop.averaging_level(trainer.optimizer)
    assert isinstance(ema, coreopt.EMA)
    trained = _weights(trainer.model)
    averages = [ema.get_slot(v, "average").numpy() for v in trainer.model.trainable_variables]
    assert not np.allclose(trained[0], averages[0], atol=1e-4)
    loss, acc = _evaluated(averages, SPLIT.x_test, SPLIT.y_test)
    assert history[-1]["test_loss"] == pytest.approx(loss, rel=1e-5)
    assert history[-1]["test_accuracy"] == pytest.approx(acc, abs=1e-6)
    assert trainer.evaluate(SPLIT.x_test, SPLIT.y_test, averaged=False) == pytest.approx(
        _evaluated(trained, SPLIT.x_test, SPLIT.y_test), rel=1e-5)
    for a, b in zip(_weights(trainer.model), trained, strict=True):
        np.testing.assert_array_equal(a, b)  # the trained weights are back after evaluating
    assert all(r["test_weights"] == results.AVERAGED for r in history)


def test_a_chain_without_ema_is_evaluated_on_its_trained_weights():
    trainer = _trainer(coreopt.get("lookahead:adam", learning_rate=1e-2))
    history = trainer.fit(1)
    assert loop.averaging_level(trainer.optimizer) is None and "test_weights" not in history[0]
    assert history[0]["test_loss"] == pytest.approx(
        _evaluated(_weights(trainer.model), SPLIT.x_test, SPLIT.y_test)[0], rel=1e-5)


def test_an_ema_chain_under_a_strategy_matches_one_device():
    expected = _trainer(coreopt.get("ema:adam", learning_rate=1e-2)).fit(2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        mlp = model.MLP(SIZES, seed=0)
    trainer = loop.Trainer(mlp, "ema:adam(learning_rate=0.01)", SPLIT, batch_size=BATCH,
                           seed=5, verbose=0, strategy=strategy)
    history = trainer.fit(2)
    for got, want in zip(history, expected, strict=True):
        assert got["test_weights"] == results.AVERAGED
        assert got["test_loss"] == pytest.approx(want["test_loss"], rel=1e-4)


@pytest.mark.slow  # by default: SAM itself under MirroredStrategy, tests/wrappers/test_sam.py
def test_a_closure_chain_under_a_strategy_matches_one_device():
    """SAM steps by `minimize` inside `strategy.run` on the replica's global-batch loss."""
    name = "sam(rho=0.1):momentum(learning_rate=0.05, momentum=0.9)"
    expected = _trainer(name)
    expected_history = expected.fit(1)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        mlp = model.MLP(SIZES, seed=0)
    trainer = loop.Trainer(mlp, name, SPLIT, batch_size=BATCH, seed=5, verbose=0,
                           strategy=strategy)
    history = trainer.fit(1)
    for a, b in zip(_weights(mlp), _weights(expected.model), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert history[0]["loss"] == pytest.approx(expected_history[0]["loss"], rel=1e-5)
    assert int(trainer.optimizer.iterations.numpy()) == 15


# Slow tier: by default a killed Trainer resumes bit-identically in tests/train/test_loop.py,
# every wrapper's checkpoint in tests/wrappers/test_common.py, chains resume through the CLI.
@pytest.mark.slow
def test_a_chain_resumes_bit_identically(tmp_path):
    def run(folder, epochs, resume=False, kill_at=None):
        trainer = _trainer("sam:ema(momentum=0.9):momentum(learning_rate=0.05)",
                           checkpoint_dir=folder, checkpoint_every=10, meta={"run": 1})

        def on_step(step):
            if step == kill_at:
                raise KeyboardInterrupt

        history = trainer.fit(epochs, resume=resume, on_step=on_step)
        return _weights(trainer.model), history, trainer.optimizer

    expected, expected_history, _ = run(tmp_path / "whole", 2)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "cut", 2, kill_at=24)
    got, history, opt = run(tmp_path / "cut", 2, resume=True)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(opt.inner.iterations.numpy()) == 30
    assert [r["test_loss"] for r in history] == [r["test_loss"] for r in expected_history]


@pytest.mark.parametrize("name, folder", [
    ("adam", "adam"),
    ("sam:momentum", "sam+momentum"),
    ("EMA( momentum = 0.999 ):Adam", "ema.momentum=0.999+adam"),
    ("polyak:sgd", "ema+gd"),
    ("sam(rho=0.1, adaptive=True):momentum(momentum=0.9)",
     "sam.rho=0.1.adaptive=True+momentum.momentum=0.9"),
    ("loss_scale(initial_scale=1e+20):adam(learning_rate=-0.0)",
     "loss_scale.initial_scale=1e+20+adam.learning_rate=-0.0"),
])
def test_folder_names(name, folder):
    assert folders.folder_name(name) == folder


def test_folder_names_of_other_values_and_long_names_are_distinct():
    a = folders.folder_name("ema(momentum='a b'):adam")
    b = folders.folder_name("ema(momentum='a/c'):adam")
    assert a.startswith("ema.momentum=_+adam-") and len(a) == len("ema.momentum=_+adam-") + 8
    assert a != b
    long = "clip_by_norm(clipnorm=1.0):" * 8 + "adam"
    names = {folders.folder_name(long), folders.folder_name(long.replace("1.0", "2.0", 1))}
    assert len(names) == 2 and all(len(n) == folders.FOLDER_MAX + 9 for n in names)
    for n in names:
        assert set(n) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._=+-")
    with pytest.raises(ValueError, match="Unknown optimizer"):
        folders.folder_name("adma")
