from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.train import data, loop, model

SPLIT = data.load("digits")


class Killed(Exception):
    """Stands for the process dying."""


def _run(folder=None, *, optimizer="adam", sizes=(64, 24, 10), epochs=3, kill_at=None,
         resume=False, every=10, **kw):
    mlp = model.MLP(sizes, seed=0)
    opt = coreopt.get(optimizer, learning_rate=1e-2)
    meta = {"sizes": list(sizes), "optimizer": optimizer, **opt.get_config()}
    trainer = loop.Trainer(mlp, opt, SPLIT, batch_size=100, seed=5, verbose=0,
                           checkpoint_dir=folder, checkpoint_every=every, meta=meta, **kw)

    def on_step(step):
        if step == kill_at:
            raise Killed

    history = trainer.fit(epochs, resume=resume, on_step=on_step)
    return [v.numpy() for v in mlp.trainable_variables], history, opt


def test_resume_after_a_kill_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    expected, expected_history, _ = _run(tmp_path / "whole")
    with pytest.raises(Killed):
        _run(tmp_path / "cut", kill_at=27)  # after the checkpoint of step 20, mid-epoch 2
    assert tf.train.latest_checkpoint(str(tmp_path / "cut")).endswith("ckpt-20")
    got, history, opt = _run(tmp_path / "cut", resume=True)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(opt.iterations.numpy()) == 3 * 15
    strip = [{k: v for k, v in r.items() if k != "time_s"} for r in history]
    assert strip == [{k: v for k, v in r.items() if k != "time_s"} for r in expected_history]


def test_resume_without_optimizer_state_would_differ(tmp_path):
    """The resume test can fail: restoring only the weights does not give the same end."""
    expected, _, _ = _run(tmp_path / "whole")
    with pytest.raises(Killed):
        _run(tmp_path / "cut", kill_at=20)
    mlp = model.MLP((64, 24, 10), seed=0)
    tf.train.Checkpoint(model=mlp).restore(
        tf.train.latest_checkpoint(str(tmp_path / "cut"))).expect_partial()
    fresh = coreopt.get("adam", learning_rate=1e-2)
    trainer = loop.Trainer(mlp, fresh, SPLIT, batch_size=100, seed=5, verbose=0)
    trainer.step.assign(20)
    trainer.fit(3)
    assert not np.array_equal(mlp.trainable_variables[0].numpy(), expected[0])


def test_history_records_each_epoch_and_tensorboard_gets_scalars(tmp_path):
    _, history, _ = _run(logdir=tmp_path / "logs", epochs=2)
    assert [r["epoch"] for r in history] == [1, 2] and history[1]["step"] == 30
    assert history[1]["loss"] < history[0]["loss"]
    assert set(history[0]) == {"epoch", "step", "loss", "accuracy", "test_loss",
                               "test_accuracy", "time_s"}
    events = [f for f in os.listdir(tmp_path / "logs") if "tfevents" in f]
    assert events
    scalars = {}
    for event in tf.compat.v1.train.summary_iterator(str(tmp_path / "logs" / events[0])):
        for v in event.summary.value:
            assert v.metadata.plugin_data.plugin_name == "scalars" or not v.metadata.plugin_data
            scalars[(v.tag, event.step)] = tf.make_ndarray(v.tensor)
    for record in history:
        for key in ("loss", "accuracy", "test_loss", "test_accuracy"):
            assert scalars[(key, record["epoch"])] == pytest.approx(record[key], rel=1e-6)


def test_test_accuracy_is_the_models_own(tmp_path):
    weights, history, _ = _run(epochs=1)
    mlp = model.MLP((64, 24, 10), seed=0)
    for v, w in zip(mlp.trainable_variables, weights):
        v.assign(w)
    logits = mlp(tf.constant(SPLIT.x_test)).numpy()
    assert history[0]["test_accuracy"] == pytest.approx(
        np.mean(logits.argmax(1) == SPLIT.y_test), abs=1e-6)


def test_resume_refuses_another_shape_or_optimizer(tmp_path):
    _run(tmp_path / "ck", epochs=1)
    before = sorted(os.listdir(tmp_path / "ck"))
    with pytest.raises(ValueError, match=r"sizes: checkpoint has \[64, 24, 10\], this run "
                                         r"\[64, 16, 10\]"):
        _run(tmp_path / "ck", sizes=(64, 16, 10), resume=True)
    with pytest.raises(ValueError, match="optimizer: checkpoint has 'adam', this run 'lion'"):
        _run(tmp_path / "ck", optimizer="lion", resume=True)
    assert sorted(os.listdir(tmp_path / "ck")) == before


def test_existing_checkpoints_are_never_overwritten(tmp_path):
    _run(tmp_path / "ck", epochs=1)
    before = {f: (tmp_path / "ck" / f).stat().st_mtime_ns for f in os.listdir(tmp_path / "ck")}
    with pytest.raises(ValueError, match="already holds checkpoints"):
        _run(tmp_path / "ck", epochs=1)
    with pytest.raises(ValueError, match="nothing to resume"):
        _run(tmp_path / "empty", resume=True)
    assert before == {f: (tmp_path / "ck" / f).stat().st_mtime_ns
                      for f in os.listdir(tmp_path / "ck")}


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folders_are_refused_early_as_user(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(PermissionError, match="cannot write"):
        _run(logdir=locked / "logs")


def test_unwritable_folders_are_refused_early(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    for key in ("logdir", "checkpoint_dir"):
        with pytest.raises(PermissionError, match="cannot write to the folder"):
            loop.Trainer(model.MLP([64, 10]), coreopt.Adam(), SPLIT,
                         **{key: blocker / "sub"})
    assert blocker.read_text() == "keep me"


def test_bad_arguments():
    mlp, opt = model.MLP([64, 10]), coreopt.Adam()
    with pytest.raises(ValueError, match="batch_size"):
        loop.Trainer(mlp, opt, SPLIT, batch_size=len(SPLIT.x_train) + 1)
    with pytest.raises(ValueError, match="checkpoint_every"):
        loop.Trainer(mlp, opt, SPLIT, checkpoint_every=0)
    with pytest.raises(ValueError, match="epochs"):
        loop.Trainer(mlp, opt, SPLIT, verbose=0).fit(0)
    assert "Trainer(model=MLP(sizes=[64, 10], seed=0)" in repr(loop.Trainer(mlp, opt, SPLIT))


def test_keras_optimizer_in_the_loop_matches_its_coreopt_conversion():
    """Oracle: Keras's Adam trains the Core-API MLP as coreopt's from_keras twin does."""
    import keras

    from coreopt.compat import from_keras

    weights = {}
    for library in ("keras", "coreopt"):
        mlp = model.MLP([64, 24, 10], seed=0)
        keras_adam = keras.optimizers.Adam(learning_rate=1e-2)
        opt = keras_adam if library == "keras" else from_keras(keras_adam)
        loop.Trainer(mlp, opt, SPLIT, batch_size=100, seed=5, verbose=0).fit(2)
        weights[library] = [v.numpy() for v in mlp.trainable_variables]
    for a, b in zip(weights["coreopt"], weights["keras"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fit_again_continues_the_same_run(tmp_path):
    expected, _, _ = _run(tmp_path / "whole", epochs=3)
    mlp = model.MLP((64, 24, 10), seed=0)
    opt = coreopt.get("adam", learning_rate=1e-2)
    trainer = loop.Trainer(mlp, opt, SPLIT, batch_size=100, seed=5, verbose=0,
                           checkpoint_dir=tmp_path / "steps", checkpoint_every=10)
    trainer.fit(1)
    history = trainer.fit(3)
    assert [r["epoch"] for r in history] == [1, 2, 3]
    for a, b in zip([v.numpy() for v in mlp.trainable_variables], expected, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, label", [("schedule_free_sgd", "schedule-free x"),
                                         ("ema:gd", "ema average")])
def test_records_name_the_weights_they_were_tested_on(name, label):
    trainer = loop.Trainer(model.MLP((64, 8, 10), seed=0), coreopt.get(name, learning_rate=0.1),
                           SPLIT, batch_size=500, verbose=0)
    assert [r["test_weights"] for r in trainer.fit(1)] == [label]
