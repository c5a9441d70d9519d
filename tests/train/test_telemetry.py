"""Training telemetry (`coreopt.train.telemetry`); oracles: NumPy norms of gradients we
compute ourselves, SGD's and Adam's closed forms, the files written."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.cli.main import main
from coreopt.train import data, loop, model, telemetry

ROOT = str(Path(__file__).resolve().parents[2])
RNG = np.random.default_rng(0)
TINY = data.Split("tiny", RNG.normal(size=(40, 5)).astype(np.float32),
                  RNG.integers(0, 3, 40).astype(np.int64),
                  RNG.normal(size=(10, 5)).astype(np.float32),
                  RNG.integers(0, 3, 10).astype(np.int64), 3)
LAYERS = ["dense_0/b", "dense_0/w"]  # trainable_variables: sorted by attribute


def _train(name, split=TINY, sizes=(5, 3), epochs=1, batch_size=40, **kw):
    """(weights before, weights after, history) of a telemetry run."""
    mlp = model.MLP(list(sizes), seed=0)
    before = [v.numpy() for v in mlp.trainable_variables]
    trainer = loop.Trainer(mlp, coreopt.get(name, **kw), split, batch_size=batch_size,
                           verbose=0, telemetry=True)
    history = trainer.fit(epochs)
    return before, [v.numpy() for v in mlp.trainable_variables], history


def _numpy_grads(w, b, x, y):
    """The softmax cross-entropy (batch mean) gradient of the linear model x w + b."""
    z = x.astype(np.float64) @ w + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return {"w": x.T @ p / len(y), "b": p.mean(0)}


def _oracle(before, after):
    """NumPy's measures of one full-batch step on TINY from the weights before and after."""
    params = {"w": before[1], "b": before[0]}  # trainable_variables sorts b before w
    moved = {"w": after[1] - before[1], "b": after[0] - before[0]}
    grads = _numpy_grads(params["w"], params["b"], TINY.x_train, TINY.y_train)
    norm = np.linalg.norm
    out = {}
    for key in ("w", "b"):
        theta = norm(params[key])
        out[f"dense_0/{key}"] = {
            "grad_norm": norm(grads[key]),
            "update_ratio": norm(moved[key]) / theta if theta > 0 else None,
            "effective_lr": norm(moved[key]) / norm(grads[key])}
    return out, grads


@pytest.mark.parametrize("name", ["momentum", "sam:gd", "ema:adam", "loss_scale:adam"])
def test_one_step_matches_numpy_norms_of_our_own_gradient(name):
    """Full batch, one step: the epoch's measures are that step's; the update is whatever
    changed the variables (SAM's step, an EMA's trained weights, unscaled gradients)."""
    before, after, history = _train(name, learning_rate=0.1)
    got = history[0]["telemetry"]
    assert list(got) == LAYERS
    want, _ = _oracle(before, after)
    for layer in LAYERS:
        for measure, value in want[layer].items():
            if value is None:  # the bias starts at 0 and moves: x / 0 is undefined
                assert got[layer][measure] is None
            else:
                assert got[layer][measure] == pytest.approx(value, rel=1e-5), (layer, measure)


def test_sgd_effective_learning_rate_is_its_learning_rate():
    _, _, history = _train("gd", split=data.load("digits"), sizes=(64, 16, 10),
                           batch_size=200, learning_rate=0.05)
    values = [v["effective_lr"] for v in history[0]["telemetry"].values()]
    # float32 rounding of theta - lr g: relative error ~ 6e-8 ||theta|| / ||lr g||
    assert values == pytest.approx([0.05] * 4, rel=1e-4)


def test_adam_first_step_effective_lr_is_the_closed_form():
    """First step: m_hat = g, v_hat = g^2, so Delta = -lr g / (|g| + eps)."""
    lr, eps = 1e-3, 1e-7
    before, _, history = _train("adam", learning_rate=lr, epsilon=eps)
    _, grads = _oracle(before, before)
    for key in ("w", "b"):
        g = grads[key]
        want = lr * np.linalg.norm(g / (np.abs(g) + eps)) / np.linalg.norm(g)
        got = history[0]["telemetry"][f"dense_0/{key}"]["effective_lr"]
        assert got == pytest.approx(want, rel=1e-5)
        assert got != pytest.approx(lr, rel=0.1)  # not SGD's: the adaptive rate differs


def test_telemetry_changes_no_number_of_the_training():
    mlp_off = model.MLP([5, 4, 3], seed=0)
    off = loop.Trainer(mlp_off, coreopt.get("adam"), TINY, batch_size=8, verbose=0).fit(2)
    _, after, on = _train("adam", sizes=(5, 4, 3), epochs=2, batch_size=8)
    assert "telemetry" not in off[0]
    assert [{k: v for k, v in r.items() if k not in ("time_s", "telemetry")} for r in on] == \
        [{k: v for k, v in r.items() if k != "time_s"} for r in off]
    for a, b in zip(after, [v.numpy() for v in mlp_off.trainable_variables], strict=True):
        np.testing.assert_array_equal(a, b)


def test_zero_denominators_and_missing_gradients():
    assert [float(telemetry.ratio(a, b)) for a, b in [(2.0, 4.0), (0.0, 0.0)]] == [0.5, 0.0]
    assert math.isnan(float(telemetry.ratio(1.0, 0.0)))
    x = tf.Variable([0.0, 0.0], name="x")
    m = telemetry.step_measures([None], [tf.constant([0.0, 0.0])], [x]).numpy()
    assert m.tolist() == [[0.0, 0.0, 0.0]]  # nothing moved: 0 / 0 = 0
    t = telemetry.Telemetry([x])
    t.add(tf.constant([[1.0, math.nan, 3.0]], tf.float64))
    t.add(tf.constant([[3.0, math.inf, 5.0]], tf.float64))
    assert t.result() == {"x": {"grad_norm": 2.0, "update_ratio": None, "effective_lr": 4.0}}
    assert "Telemetry(layers=['x']" in repr(t)
    with pytest.raises(ValueError, match="at least one trainable variable"):
        telemetry.Telemetry([])


def test_layer_names_are_distinct_and_name_the_layer():
    assert telemetry.layer_names(model.MLP([3, 2, 2]).trainable_variables,
                                 model.MLP([3, 2, 2])) == ["b", "w", "b_1", "w_1"]
    mlp = model.MLP([3, 2, 2])
    assert telemetry.layer_names(mlp.trainable_variables, mlp) == [
        "dense_0/b", "dense_0/w", "dense_1/b", "dense_1/w"]


def test_tensorboard_gets_the_telemetry_scalars(tmp_path):
    mlp = model.MLP([5, 3], seed=0)
    history = loop.Trainer(mlp, coreopt.get("adam"), TINY, batch_size=10, verbose=0,
                           telemetry=True, logdir=tmp_path).fit(2)
    scalars = {}
    for name in os.listdir(tmp_path):
        for event in tf.compat.v1.train.summary_iterator(str(tmp_path / name)):
            for v in event.summary.value:
                scalars[(v.tag, event.step)] = float(tf.make_ndarray(v.tensor))
    for record in history:
        for layer in LAYERS:
            for measure in telemetry.MEASURES:
                want = record["telemetry"][layer][measure]
                assert scalars[(f"telemetry/{layer}/{measure}", record["epoch"])] == \
                    pytest.approx(want, rel=1e-6)


def test_report_history_csv_and_figure(tmp_path):
    from coreopt.report.training import write_results

    histories = {"adam": _train("adam", epochs=2, batch_size=10)[2],
                 "gd": _train("gd", learning_rate=0.1)[2]}
    write_results(tmp_path, histories, split=TINY, sizes=[5, 3], rates={"adam": "default"},
                  seed=0, batch_size=10, strategy="none")
    report = (tmp_path / "report.md").read_text()
    assert "## Telemetry" in report and "![telemetry](telemetry.png)" in report
    assert "| gd | dense_0/w |" in report and "| gd | dense_0/b | " in report
    assert (tmp_path / "telemetry.png").stat().st_size > 10_000
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    assert float(rows[1]["telemetry/dense_0/w/grad_norm"]) == pytest.approx(
        histories["adam"][1]["telemetry"]["dense_0/w"]["grad_norm"])
    assert rows[2]["telemetry/dense_0/b/update_ratio"] == ""  # gd's one step: undefined
    plain = {n: [{k: v for k, v in r.items() if k != "telemetry"} for r in h]
             for n, h in histories.items()}
    write_results(tmp_path / "plain" / "new", plain, split=TINY, sizes=[5, 3], rates={},
                  seed=0, batch_size=10, strategy="none")  # the folders are created
    assert "Telemetry" not in (tmp_path / "plain" / "new" / "report.md").read_text()
    assert not (tmp_path / "plain" / "new" / "telemetry.png").exists()


def test_cli_train_with_telemetry(tmp_path):
    out = tmp_path / "out"
    assert main(["train", "digits", "--epochs", "1", "--telemetry", "--optimizers", "adam,gd",
                 "--out", str(out), "--hidden", "8", "--batch-size", "256", "--quiet"]) == 0
    histories = json.loads((out / "history.json").read_text())
    gd = histories["gd"][0]["telemetry"]
    assert set(gd) == {"dense_0/w", "dense_0/b", "dense_1/w", "dense_1/b"}
    assert [v["effective_lr"] for v in gd.values()] == pytest.approx([0.1] * 4, rel=1e-4)
    assert "## Telemetry" in (out / "report.md").read_text()
    assert (out / "telemetry.png").is_file()


MIRRORED = """
import contextlib
import json
from coreopt.train import distribute
distribute.split_logical_cpus(2)
import coreopt
from coreopt.train import data, loop, model
split, out = data.load("digits"), {}
for strategy in (None, distribute.make_strategy("mirrored")):
    with strategy.scope() if strategy else contextlib.nullcontext():
        mlp, opt = model.MLP([64, 8, 10], seed=0), coreopt.get("sam:momentum")
    trainer = loop.Trainer(mlp, opt, split, batch_size=300, verbose=0, strategy=strategy,
                           telemetry=True)
    out[str(strategy is not None)] = trainer.fit(1)[0]["telemetry"]
print(json.dumps(out))
"""


@pytest.mark.slow  # a subprocess with two logical CPUs: ~15 s
def test_mirrored_telemetry_is_that_of_one_device():
    """Two replicas: the gradients are summed over them, so the norms are one device's."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for layer, values in out["False"].items():
        for measure, value in values.items():
            if value is not None:
                assert out["True"][layer][measure] == pytest.approx(value, rel=1e-5)
