"""Lookahead: its NumPy oracle (checked against a closed form) and the sync behaviour."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from tests.helpers import gradient, initial_values, make_variables, relative_error, run_steps
from tests.wrappers.cases import WrapperCase


class LookaheadReference:
    """Algorithm 1 of Zhang et al. (2019) around an inner oracle.

    Slow weights phi start at the first params seen; after the inner step t (1-based), when
    t % sync_period == 0: phi <- phi + alpha (x_t - phi) and x_t <- phi.
    """

    def __init__(self, inner, sync_period=6, alpha=0.5):
        self.inner, self.k, self.alpha = inner, sync_period, alpha
        self.t, self.slow = 0, None

    def step(self, grads, params, grad_fn=None):
        if self.slow is None:
            self.slow = [np.array(p, np.float64) for p in params]
        new = self.inner.step(grads, params)
        self.t += 1
        if self.t % self.k == 0:
            self.slow = [s + self.alpha * (x - s) for s, x in zip(self.slow, new)]
            new = [s.copy() for s in self.slow]
        return new


CASES = {"lookahead": WrapperCase(
    configs=({"sync_period": 3, "alpha": 0.5}, {"sync_period": 1, "alpha": 0.8}),
    oracle=LookaheadReference, inners=("momentum",))}

X0, G, LR = np.array([1.0, -2.0]), np.array([0.5, 1.5]), 0.1


def test_oracle_matches_closed_form_for_constant_gradient():
    # GD moves by c = lr*g a step: after n syncs and j more steps, x = x0 - (n alpha k + j) c.
    k, alpha, c = 4, 0.3, LR * G
    oracle, x = LookaheadReference(reference.GD(learning_rate=LR), k, alpha), X0
    for t in range(1, 20):
        x = oracle.step([G], [x])[0]
        n, j = divmod(t, k)
        np.testing.assert_allclose(x, X0 - (n * alpha * k + j) * c, rtol=1e-12)
        np.testing.assert_allclose(oracle.slow[0], X0 - n * alpha * k * c, rtol=1e-12)


@pytest.mark.parametrize("config", CASES["lookahead"].configs)
def test_matches_oracle_weights_and_slow_weights(config):
    values = initial_values()
    variables = make_variables(values, tf.float64)
    opt = coreopt.Lookahead(coreopt.Adam(0.01), **config)
    oracle, params = LookaheadReference(reference.Adam(learning_rate=0.01), **config), values
    for step in range(10):
        opt.apply_gradients([gradient(v.value(), step) for v in variables], variables)
        params = oracle.step([gradient(p, step) for p in params], params)
    for v, p, s in zip(variables, params, oracle.slow):
        assert relative_error(v.numpy(), p) <= 1e-12
        assert relative_error(opt.get_slot(v, "slow").numpy(), s) <= 1e-12


def test_slow_weights_move_only_every_k_steps_and_fast_resets_to_them():
    x = tf.Variable([1.0, -1.0, 0.5])
    opt = coreopt.Lookahead(coreopt.Adam(0.05), sync_period=3, alpha=0.5)
    opt.build([x])
    np.testing.assert_array_equal(opt.get_slot(x, "slow").numpy(), [1.0, -1.0, 0.5])
    slow = opt.get_slot(x, "slow").numpy()
    for t in range(1, 10):
        fast_before = x.numpy()
        opt.apply_gradients([tf.constant([1.0, -2.0, 3.0])], [x])
        new_slow = opt.get_slot(x, "slow").numpy()
        if t % 3:
            np.testing.assert_array_equal(new_slow, slow)
            assert not np.array_equal(x.numpy(), fast_before)
        else:
            assert not np.array_equal(new_slow, slow)
            np.testing.assert_array_equal(x.numpy(), new_slow)
        slow = new_slow
    assert int(opt.inner.iterations.numpy()) == 9  # the inner state carries on


@pytest.mark.parametrize("k", [1, 4])
def test_alpha_1_is_the_inner_optimizer_exactly(k):
    values = initial_values()
    ours, plain = make_variables(values), make_variables(values)
    opt = coreopt.Lookahead(coreopt.Adam(0.05), sync_period=k, alpha=1.0)
    for a, b in zip(run_steps(opt, ours, 15), run_steps(coreopt.Adam(0.05), plain, 15)):
        np.testing.assert_array_equal(a, b)


def test_repr_and_registry():
    opt = coreopt.get("lookahead(sync_period=5):gd", learning_rate=0.1)
    assert repr(opt) == "Lookahead(GradientDescent(learning_rate=0.1), sync_period=5, alpha=0.5)"


@pytest.mark.parametrize("bad, match", [({"sync_period": 0}, "sync_period"),
                                        ({"sync_period": 2.0}, "sync_period"),
                                        ({"alpha": 0.0}, "alpha"),
                                        ({"alpha": 1.5}, "alpha")])
def test_bad_arguments(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        coreopt.Lookahead(coreopt.Adam(), **bad)
