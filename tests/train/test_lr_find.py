from __future__ import annotations

import json
import math

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.train import data, lr_suggest
from coreopt.train.loop import Trainer
from coreopt.train.lr_find import LRFindResult, lr_find
from coreopt.train.model import MLP

SPLIT = data.load("digits")
SMALL = {"hidden": [8], "batch_size": 64}


# ------------------------------------------------------------------ the ramp
def test_exponential_ramp_is_the_closed_form():
    lrs = lr_suggest.ramp(1e-7, 10.0, 100, "exp")
    expected = [1e-7 * (10.0 / 1e-7) ** (i / 99) for i in range(100)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-13)
    assert lrs[0] == 1e-7 and math.isclose(lrs[-1], 10.0, rel_tol=1e-13)
    ratios = lrs[1:] / lrs[:-1]  # one constant factor, (end / start) ** (1 / 99)
    np.testing.assert_allclose(ratios, 1e8 ** (1 / 99), rtol=1e-12)


def test_linear_ramp_is_the_closed_form():
    lrs = lr_suggest.ramp(0.0, 1.0, 5, "linear")
    np.testing.assert_allclose(lrs, [0.0, 0.25, 0.5, 0.75, 1.0], rtol=0, atol=1e-15)


def test_lr_find_records_the_ramp_it_ran():
    result = lr_find("adam", SPLIT, start_lr=1e-5, end_lr=1e-1, steps=5, **SMALL)
    assert result.stopped == "completed"
    np.testing.assert_allclose(result.lrs, [1e-5 * 1e4 ** (i / 4) for i in range(5)],
                               rtol=1e-13)


def test_each_step_is_gradient_descent_at_its_ramp_rate():
    """The losses are those of plain SGD written here by hand at lr_0, lr_1, ..."""
    steps, batch = 4, 64
    result = lr_find(coreopt.GradientDescent(), SPLIT, start_lr=0.1, end_lr=2.0, steps=steps,
                     mode="linear", smoothing=0.0, hidden=[8], batch_size=batch, seed=3)
    mlp = MLP([64, 8, 10], seed=3)
    batches = data.pipeline(SPLIT.x_train, SPLIT.y_train, batch_size=batch, seed=3, epoch=0,
                            drop_remainder=True)
    expected = []
    for lr, (x, y) in zip(np.linspace(0.1, 2.0, steps), batches):
        with tf.GradientTape() as tape:
            logits = mlp(x)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        for var, grad in zip(mlp.trainable_variables,
                             tape.gradient(loss, mlp.trainable_variables)):
            var.assign_sub(lr * grad)
        expected.append(float(loss))
    np.testing.assert_allclose(result.losses, expected, rtol=1e-5)
    assert result.smoothed == result.losses  # beta = 0: the raw curve


# ------------------------------------------------------------- the smoothing
def test_smoothing_is_the_bias_corrected_average_by_hand():
    # beta 0.5: a = 1, 2.5, 1.75; corrections 0.5, 0.75, 0.875
    np.testing.assert_allclose(lr_suggest.smooth([2.0, 4.0, 1.0], 0.5),
                               [2.0, 2.5 / 0.75, 1.75 / 0.875], rtol=1e-15)
    assert lr_suggest.smooth([3.0, 5.0], 0.0).tolist() == [3.0, 5.0]


def test_lr_find_smooths_its_losses_with_the_bias_corrected_average():
    result = lr_find("adam", SPLIT, steps=6, smoothing=0.9, **SMALL)
    average, expected = 0.0, []
    for i, loss in enumerate(result.losses, start=1):
        average = 0.9 * average + 0.1 * loss
        expected.append(average / (1 - 0.9**i))
    np.testing.assert_allclose(result.smoothed, expected, rtol=1e-14)


def test_stops_once_the_smoothed_loss_passes_diverge_times_its_best():
    result = lr_find(coreopt.GradientDescent(), SPLIT, start_lr=1.0, end_lr=1e6, steps=40,
                     smoothing=0.5, **SMALL)
    assert result.stopped in ("diverged", "non-finite") and len(result.lrs) < 40
    s = np.asarray(result.smoothed)
    best = np.minimum.accumulate(s)
    assert np.all(s[:-1] <= 4 * best[:-1])  # no earlier step passed the bound
    if result.stopped == "diverged":
        assert s[-1] > 4 * best[-1]


# -------------------------------------------------------- the suggestions
U0 = math.log(1e-3)
LRS = np.exp(np.linspace(math.log(1e-6), 0.0, 61))  # log lr in steps of log(10) / 10


def test_steepest_is_where_the_loss_falls_fastest_against_log_lr():
    """1 - tanh(u - u0) falls fastest at u = u0 (its derivative, -sech^2, peaks there)."""
    losses = 1.0 - np.tanh(np.log(LRS) - U0)
    found = lr_suggest.steepest(LRS, losses)
    assert math.isclose(found["lr"], 1e-3, rel_tol=1e-12) and found["index"] == 30


def test_steepest_reads_the_slope_against_log_lr_on_a_linear_ramp():
    """On lr = 1..10 (linear), L = -atan(log lr - log 3) falls fastest against log lr at
    lr = 3; against lr itself it falls fastest at lr = 1 (|dL/dlr| = 1 / (lr (1 + ...)))."""
    lrs = np.linspace(1.0, 10.0, 901)
    found = lr_suggest.steepest(lrs, -np.arctan(np.log(lrs) - math.log(3.0)))
    assert abs(found["lr"] - 3.0) <= 0.01


def test_minimum_is_a_tenth_of_the_rate_of_the_smallest_loss():
    losses = (np.log(LRS) - math.log(1e-2)) ** 2 + 0.5  # smallest at lr = 1e-2 (index 40)
    found = lr_suggest.minimum(LRS, losses)
    assert math.isclose(found["lr"], 1e-3, rel_tol=1e-12) and found["index"] == 40
    assert math.isclose(found["loss"], losses[30], rel_tol=1e-9)  # L drawn at lr = 1e-3


def test_valley_is_the_middle_of_the_longest_decreasing_run():
    losses = np.concatenate([
        5.0 + 0.01 * np.arange(10),      # 0..9: a slow rise (one point of it can start a run)
        np.linspace(6.0, 1.0, 31),       # 10..40: the valley, falling all the way
        np.linspace(1.1, 3.0, 20),       # 41..60: the rise after it
    ])
    assert lr_suggest.longest_valley(losses) == (10, 40)
    found = lr_suggest.valley(LRS, losses)
    assert found["index"] == 25 and found["lr"] == LRS[25]


def test_a_valley_is_as_long_as_its_decreasing_points_not_their_span():
    """The run 5 > 4 > 3 > 2 > 1 > 0.5 > 0.4 (positions 0, 2, 4, 6, 7, 8, 9) skips the 9s:
    its valley is its 7 points up to its end, positions 3..9, not 0..9."""
    losses = np.array([5, 9, 4, 9, 3, 9, 2, 1, 0.5, 0.4, 6, 7], dtype=np.float64)
    assert lr_suggest.longest_valley(losses) == (3, 9)
    assert lr_suggest.valley(LRS[:12], losses)["index"] == 6


def test_suggestions_leave_out_the_ends_and_unusable_points():
    losses = 1.0 - np.tanh(np.log(LRS) - U0)
    losses[0] = -50.0  # a drop at the start that skip_start hides
    found = lr_suggest.suggest(LRS, losses, skip_start=1, skip_end=0)
    assert found["steepest"]["index"] == 30
    assert lr_suggest.suggest(LRS, losses)["minimum"]["index"] == 0
    nan = np.array([2.0, np.nan, 1.0])
    assert lr_suggest.minimum([1.0, 2.0, 3.0], nan)["index"] == 2
    assert lr_suggest.suggest([1e-3], [2.0]) == dict.fromkeys(lr_suggest.NAMES)


# ------------------------------------------------------------- the restore
def _snapshot(variables):
    return [np.array(v.numpy(), copy=True) for v in variables]


def _adam_state(opt, mlp):
    return [opt.iterations, opt.learning_rate,
            *(opt.get_slot(v, s) for v in mlp.trainable_variables for s in ("m", "v"))]


@pytest.mark.parametrize("chain", ["adam", "ema:adam"])
def test_model_and_optimizer_state_are_restored_bit_for_bit(chain):
    mlp = MLP([64, 8, 10], seed=1)
    opt = coreopt.get(chain, learning_rate=3e-3)
    Trainer(mlp, opt, SPLIT, batch_size=64, verbose=0).fit(1)  # nonzero slots and counters
    adam = opt.inner if chain == "ema:adam" else opt
    state = [*mlp.variables, *_adam_state(adam, mlp)]
    if chain == "ema:adam":
        state += [opt.iterations, *(opt.get_slot(v, "average") for v in mlp.trainable_variables)]
    before = _snapshot(state)
    result = lr_find(opt, SPLIT, model=mlp, steps=6, start_lr=1e-3, end_lr=10.0, batch_size=64)
    assert len(result.lrs) >= 2 and int(adam.iterations) == math.ceil(1438 / 64)
    after = _snapshot(state)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert float(opt.learning_rate.numpy()) == 3e-3


def test_slots_the_test_built_are_dropped():
    opt = coreopt.get("ema:adam")
    lr_find(opt, SPLIT, steps=3, **SMALL)
    assert not opt.built and not opt.inner.built
    assert int(opt.iterations) == 0 and int(opt.inner.iterations) == 0


def test_state_is_restored_after_an_error(monkeypatch):
    mlp, opt = MLP([64, 8, 10], seed=0), coreopt.Adam()
    before = _snapshot(mlp.variables)
    calls, original = [], lr_suggest.smooth_step

    def failing(*args):  # the third step is interrupted
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(lr_suggest, "smooth_step", failing)
    with pytest.raises(KeyboardInterrupt):
        lr_find(opt, SPLIT, model=mlp, steps=5, batch_size=64)
    assert all(np.array_equal(a, b) for a, b in zip(before, _snapshot(mlp.variables)))
    assert int(opt.iterations) == 0 and not opt.built


# --------------------------------------------------------------- the record
def test_record_is_json_able_and_shows_its_suggestions():
    result = lr_find("adam", SPLIT, steps=12, **SMALL)
    text = json.dumps(result.to_dict())
    again = LRFindResult.from_dict(json.loads(text))
    assert again == result and sorted(result.suggestions) == sorted(lr_suggest.NAMES)
    assert again.suggested("valley") == result.suggestions["valley"]["lr"]
    assert repr(result).startswith("LRFindResult(optimizer='adam', data='digits'")
    assert f"valley={result.suggested('valley'):.3g}" in repr(result)


# ------------------------------------------------------------- bad input
BAD = [
    ({"start_lr": 1.0, "end_lr": 1.0}, "`start_lr` must be below `end_lr`"),
    ({"start_lr": 0.0}, "`start_lr` must be > 0 for the exponential ramp"),
    ({"start_lr": -1.0, "mode": "linear"}, "`start_lr` must be >= 0"),
    ({"steps": 1}, "`steps` must be an integer >= 2"),
    ({"mode": "cosine"}, "`mode` must be one of exp, linear"),
    ({"smoothing": 1.0}, "`smoothing` must be in [0, 1)"),
    ({"diverge": 1.0}, "`diverge` must be a number > 1"),
    ({"data": "digitz"}, "Unknown data set 'digitz'"),
    ({"batch_size": 100_000}, "`batch_size` must be an integer in [1, 1438]"),
    ({"skip_end": -1}, "`skip_end` must be an integer >= 0"),
    ({"hidden": [0]}, "`hidden` widths must be >= 1"),
]


@pytest.mark.parametrize("kwargs, message", BAD, ids=[m.split(" ")[0] for _, m in BAD])
def test_bad_input_is_refused_before_anything_runs(kwargs, message):
    opt = coreopt.Adam()
    kwargs = {"data": "digits", **kwargs}
    with pytest.raises(ValueError) as error:
        lr_find(opt, kwargs.pop("data"), **kwargs)
    assert message in str(error.value)
    assert not opt.built and int(opt.iterations) == 0


def test_unknown_optimizer_and_schedules_are_refused():
    with pytest.raises(ValueError, match="Did you mean 'adamax' or 'adan' or 'adam'"):
        lr_find("adma", SPLIT)
    scheduled = coreopt.Adam(learning_rate=lambda step: 0.1)
    with pytest.raises(ValueError, match="`optimizer`: the learning rate .* is a schedule"):
        lr_find(scheduled, SPLIT)
    with pytest.raises(TypeError, match="`optimizer` must be a coreopt optimizer"):
        lr_find(object(), SPLIT)


# -------------------------------------------------------------- slow tier
@pytest.mark.slow
@pytest.mark.parametrize("rule", ["minimum", "valley"])
def test_training_at_the_suggestion_reaches_97_percent(rule):
    # The steepest-descent point (0.045 here) is not held to it: 30 epochs of Adam there end
    # at 94% test accuracy after a best epoch of 98.6%.
    lr = lr_find("adam", "digits").suggested(rule)
    mlp = MLP([64, 128, 10], seed=0)
    history = Trainer(mlp, coreopt.Adam(learning_rate=lr), SPLIT, batch_size=32,
                      verbose=0).fit(30)
    print(f"{rule} lr {lr:.4g}: test accuracy {history[-1]['test_accuracy']:.4f}")
    assert history[-1]["test_accuracy"] >= 0.97


@pytest.mark.slow
def test_every_suggestion_lies_in_the_range_where_30_epochs_reach_97_percent():
    # "Reaches": the validation accuracy gets to the digits MLP's target, 0.97, at some epoch
    # (AlgoPerf's time-to-target, the reading of coreopt bench). The range: from the lowest to
    # the highest of the rates that reach it, among 16 log-spaced from 1e-4 to 0.3 trained as
    # one population; they must form one unbroken run.
    from coreopt.train.population import population

    rates = np.geomspace(1e-4, 0.3, 16)
    result = population("digits-mlp", "adam", {"learning_rate": list(rates)}, seeds=0,
                        epochs=30)
    best = np.array([max((e["metric"] for e in h), default=0.0) for h in result.history])
    reached = np.flatnonzero(best >= 0.97)
    print(" ".join(f"{r:.2g}:{b:.3f}" for r, b in zip(rates, best)))
    assert len(reached) >= 2 and np.all(np.diff(reached) == 1), best  # one unbroken run
    low, high = rates[reached[0]], rates[reached[-1]]
    suggestions = lr_find("adam", "digits").suggestions
    for name in lr_suggest.NAMES:
        lr = lr_suggest.suggested(suggestions, name)
        print(f"{name}: {lr:.4g} in [{low:.4g}, {high:.4g}]")
        assert low <= lr <= high, name
