"""ApplyIfFinite: a NumPy oracle, skips that change nothing, give-up, raise, configs, saving."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from tests.helpers import gradient, initial_values, make_variables
from tests.wrappers.cases import WrapperCase

NAN = float("nan")


class IfFiniteReference:
    """Skips a step whose gradients are not all finite; with K > 0 gives up after K in a row."""

    def __init__(self, inner, policy="skip", max_consecutive_errors=0):
        self.inner, self.limit = inner, max_consecutive_errors if policy == "skip" else 0
        self.consecutive = self.nonfinite = self.skipped = 0

    def step(self, grads, params, grad_fn=None):
        finite = all(np.all(np.isfinite(g)) for g in grads)
        self.consecutive = 0 if finite else self.consecutive + 1
        self.nonfinite += not finite
        if finite or (self.limit and self.consecutive > self.limit):
            return self.inner.step(grads, params)
        self.skipped += 1
        return [np.array(p, np.float64) for p in params]


CASES = {"apply_if_finite": WrapperCase(
    configs=({"policy": "skip"}, {"policy": "skip", "max_consecutive_errors": 2},
             {"policy": "raise"}),
    oracle=IfFiniteReference, inners=("adam",))}

BAD = {3: (0, NAN), 4: (1, float("inf")), 9: (0, NAN)}  # step: (variable, value at [0...])


def _grads(variables, step):
    grads = [gradient(v.value(), step) for v in variables]
    if step in BAD:
        i, value = BAD[step]
        g = np.array(grads[i].numpy())
        g.flat[0] = value
        grads[i] = tf.constant(g)
    return grads


def _stepper(opt, variables, mode):
    """opt.apply_gradients eager, in a tf.function, or in a tf.function(jit_compile=True)."""
    if mode == "eager":
        return lambda grads: opt.apply_gradients(grads, variables)
    return tf.function(lambda grads: opt.apply_gradients(grads, variables),
                       jit_compile=mode == "xla")


def _everything(opt, variables) -> list:
    """Every variable of the chain, and the parameters, as arrays."""
    slots = [opt.slot_variables(v) for v in variables]
    return [x.numpy() for x in tf.nest.flatten([variables, slots, opt.state_variables()])]


def _chain():
    return coreopt.ApplyIfFinite(coreopt.EMA(coreopt.Adam(0.05), momentum=0.9))


def test_oracle_skips_counts_and_gives_up():
    oracle = IfFiniteReference(reference.GD(learning_rate=0.5), max_consecutive_errors=1)
    x = [np.float64(1.0)]
    for g in (1.0, NAN, 1.0, NAN, NAN):
        x = oracle.step([np.float64(g)], x)
    assert np.isnan(x[0]) and (oracle.consecutive, oracle.nonfinite, oracle.skipped) == (2, 3, 2)


@pytest.mark.parametrize("mode", ["eager", "function", "xla"])
def test_a_skipped_step_changes_nothing_but_the_counters(mode):
    variables = make_variables(initial_values())
    opt = _chain()
    step = _stepper(opt, variables, mode)
    for i in range(3):
        step(_grads(variables, i))
    before = _everything(opt, variables)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a skipped step is not applied: no warning
        step(_grads(variables, 3))
    after = _everything(opt, variables)
    counters = {k: int(v) for k, v in opt.state_variables().items() if k != "inner"}
    assert counters == {"iterations": 4, "consecutive": 1, "nonfinite": 1, "skipped": 1}
    own = {id(v) for v in opt._state_vars.values()} | {id(opt.iterations)}
    flat = tf.nest.flatten([variables, [opt.slot_variables(v) for v in variables],
                            opt.state_variables()])
    for var, a, b in zip(flat, before, after):
        if id(var) not in own:
            np.testing.assert_array_equal(a, b, err_msg=var.name)
    assert int(opt.inner.iterations) == int(opt.inner.inner.iterations) == 3


def _skip_rows():
    """Every mode with and without clipping; the inner's own jit_compile=True in the slow tier
    but for one eager row."""
    for jit in (False, True):
        for clip in (False, True):
            for mode in ("eager", "function", "xla"):
                slow = jit and not (mode == "eager" and clip)
                yield pytest.param(mode, clip, jit, id=f"{jit}-{clip}-{mode}",
                                   marks=(pytest.mark.slow,) if slow else ())


@pytest.mark.parametrize("mode, clip, jit", _skip_rows())
def test_skipped_then_finite_steps_equal_the_run_without_the_bad_steps(mode, clip, jit):
    def make():
        inner = coreopt.Adam(0.05, jit_compile=jit)
        return coreopt.ClipByGlobalNorm(inner, 0.5) if clip else inner

    ours, alone = make_variables(initial_values()), make_variables(initial_values())
    opt, oracle = coreopt.ApplyIfFinite(make()), make()
    step, oracle_step = _stepper(opt, ours, mode), _stepper(oracle, alone, mode)
    for i in range(14):
        step(_grads(ours, i))
        if i not in BAD:
            oracle_step(_grads(alone, i))
    for a, b in zip(ours, alone):  # XLA may fuse the step inside the skip's conditional
        if jit or mode == "xla":  # another way than alone: an ulp or so
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
        else:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(opt.skipped_count) == int(opt.nonfinite_count) == len(BAD)
    assert int(opt.inner.iterations) == int(oracle.iterations) == 14 - len(BAD)


def test_without_the_wrapper_one_nan_through_global_clipping_poisons_every_coordinate():
    x = tf.Variable([1.0, 2.0, 3.0])
    opt = coreopt.ClipByGlobalNorm(coreopt.Adam(0.1), 1.0)
    with pytest.warns(RuntimeWarning, match="non-finite"):
        opt.apply_gradients([tf.constant([1.0, NAN, 1.0])], [x])
    assert np.all(np.isnan(x.numpy()))


def test_max_consecutive_errors_applies_after_that_many_in_a_row_and_warns():
    x = tf.Variable([1.0, 1.0])
    opt = coreopt.ApplyIfFinite(coreopt.GradientDescent(0.5), max_consecutive_errors=2)
    bad, good = tf.constant([1.0, NAN]), tf.constant([1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.apply_gradients([bad], [x])
        opt.apply_gradients([bad], [x])
    assert x.numpy().tolist() == [1.0, 1.0] and int(opt.inner.iterations) == 0
    with pytest.warns(RuntimeWarning, match="non-finite"):
        opt.apply_gradients([bad], [x])  # the third in a row is applied, as optax does
    assert x.numpy()[0] == 0.5 and np.isnan(x.numpy()[1])
    assert (int(opt.consecutive_count), int(opt.skipped_count), int(opt.nonfinite_count)) == \
        (3, 2, 3)
    opt.apply_gradients([good], [x])
    assert int(opt.consecutive_count) == 0 and int(opt.inner.iterations) == 2


def test_raise_refuses_before_any_change_naming_the_variables():
    a, b, c = (tf.Variable([1.0, 2.0], name=n) for n in "abc")
    opt = coreopt.ApplyIfFinite(coreopt.Adam(0.1), policy="raise")
    opt.apply_gradients([tf.ones(2)] * 3, [a, b, c])
    before = _everything(opt, [a, b, c])
    with pytest.raises(ValueError, match=r"\['b:0', 'c:0'\]; nothing was changed"):
        opt.apply_gradients([tf.ones(2), tf.constant([NAN, 0.0]),
                             tf.constant([0.0, float("inf")])], [a, b, c])
    for x, y in zip(before, _everything(opt, [a, b, c])):
        np.testing.assert_array_equal(x, y)


def test_raise_nested_under_another_wrapper_still_raises():
    x = tf.Variable([1.0, 2.0], name="x")
    opt = coreopt.EMA(coreopt.ApplyIfFinite(coreopt.Adam(0.1), policy="raise"))
    with pytest.raises(ValueError, match="x:0"):
        opt.apply_gradients([tf.constant([NAN, 0.0])], [x])
    assert int(opt.iterations) == 0 and x.numpy().tolist() == [1.0, 2.0]


def test_raise_in_a_tf_function_fails_the_call_and_changes_no_parameter_or_slot():
    x = tf.Variable([1.0, 2.0], name="x")
    opt = coreopt.ApplyIfFinite(coreopt.Adam(0.1, jit_compile=False), policy="raise")
    step = _stepper(opt, [x], "function")
    step([tf.ones(2)])
    before = [x.numpy(), opt.get_slot(x, "m").numpy(), opt.get_slot(x, "v").numpy()]
    with pytest.raises(tf.errors.InvalidArgumentError, match="x:0"):
        step([tf.constant([NAN, 0.0])])
    after = [x.numpy(), opt.get_slot(x, "m").numpy(), opt.get_slot(x, "v").numpy()]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert int(opt.inner.iterations) == 1


def test_raise_under_xla_skips_and_counts():
    x = tf.Variable([1.0, 2.0])
    opt = coreopt.ApplyIfFinite(coreopt.Adam(0.1), policy="raise")
    step = _stepper(opt, [x], "xla")
    step([tf.constant([NAN, 0.0])])  # XLA drops asserts: no error, but nothing applied
    assert x.numpy().tolist() == [1.0, 2.0] and int(opt.inner.iterations) == 0
    assert int(opt.skipped_count) == 1


def test_minimize_through_sam_skips_a_non_finite_closure_gradient():
    x, y = tf.Variable([1.0, 2.0]), tf.Variable([1.0, 2.0])
    scale = tf.Variable(1.0)
    opt = coreopt.ApplyIfFinite(coreopt.SAM(coreopt.GradientDescent(0.1), rho=0.05))
    alone = coreopt.SAM(coreopt.GradientDescent(0.1), rho=0.05)
    loss, loss_alone = (lambda: tf.reduce_sum(scale * x**2)), (lambda: tf.reduce_sum(y**2))
    opt.minimize(loss, [x])
    scale.assign(NAN)
    opt.minimize(loss, [x])  # skipped
    scale.assign(1.0)
    opt.minimize(loss, [x])
    for _ in range(2):
        alone.minimize(loss_alone, [y])
    np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert int(opt.skipped_count) == 1 and int(opt.inner.iterations) == 2


def test_config_round_trip_and_names():
    opt = coreopt.ApplyIfFinite(coreopt.Adam(0.01), policy="skip", max_consecutive_errors=3)
    rebuilt = coreopt.from_config(json.loads(json.dumps(opt.get_config())))
    assert repr(rebuilt) == repr(opt) == \
        f"ApplyIfFinite({opt.inner!r}, policy='skip', max_consecutive_errors=3)"
    assert rebuilt.options()["apply_if_finite.max_consecutive_errors"] == 3
    named = coreopt.get("if_finite(policy='raise'):adam")
    assert isinstance(named, coreopt.ApplyIfFinite) and named.options()[
        "apply_if_finite.policy"] == "raise"
    with pytest.raises(ValueError, match="policy"):
        coreopt.ApplyIfFinite(coreopt.Adam(), policy="proceed")
    with pytest.raises(ValueError, match="max_consecutive_errors"):
        coreopt.ApplyIfFinite(coreopt.Adam(), max_consecutive_errors=-1)


def test_checkpoint_round_trip_of_the_counters(tmp_path):
    variables = make_variables(initial_values())
    opt = coreopt.ApplyIfFinite(coreopt.Adam(0.05), max_consecutive_errors=5)
    for i in range(5):
        opt.apply_gradients(_grads(variables, i), variables)
    path = tf.train.Checkpoint(opt=opt, vars=variables).save(str(tmp_path / "ckpt"))
    fresh_vars = make_variables([np.zeros_like(v) for v in initial_values()])
    fresh = coreopt.ApplyIfFinite(coreopt.Adam(0.05), max_consecutive_errors=5)
    fresh.build(fresh_vars)
    tf.train.Checkpoint(opt=fresh, vars=fresh_vars).restore(path).assert_consumed()
    want = {"iterations": 5, "consecutive": 2, "nonfinite": 2, "skipped": 2}
    assert {k: int(v) for k, v in fresh.state_variables().items() if k != "inner"} == want
    assert int(fresh.inner.iterations) == 3
