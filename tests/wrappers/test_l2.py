"""Coupled weight decay (L2 regularization): its NumPy oracle, checked against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from tests.helpers import gradient, initial_values, make_variables, relative_error, run_steps
from tests.wrappers.cases import WrapperCase


class L2Reference:
    """The gradient of f(x) + (weight_decay / 2) ||x||^2: g + weight_decay * x, then the inner
    step on it (the penalty's gradient at the parameters the step starts from)."""

    def __init__(self, inner, weight_decay=0.01):
        self.inner, self.wd = inner, weight_decay

    def step(self, grads, params, grad_fn=None):
        penalized = [np.asarray(g, np.float64) + self.wd * np.asarray(x, np.float64)
                     for g, x in zip(grads, params)]
        return self.inner.step(penalized, params)


CASES = {"l2": WrapperCase(configs=({"weight_decay": 0.05}, {"weight_decay": 0.5}),
                           oracle=L2Reference, inners=("adam", "momentum"))}

X0 = np.array([1.0, -2.0, 0.5])


def test_oracle_around_gd_is_the_closed_form_of_a_pure_penalty():
    # zero gradient: x_n = (1 - lr wd)^n x0 (GD on the penalty alone).
    lr, wd, n = 0.1, 0.3, 6
    oracle, x = L2Reference(reference.GD(learning_rate=lr), wd), X0
    for _ in range(n):
        (x,) = oracle.step([np.zeros(3)], [x])
    np.testing.assert_allclose(x, (1 - lr * wd) ** n * X0, rtol=1e-12)


def test_oracle_around_adam_has_the_penalty_inside_the_moments():
    # one Adam step (eps 0) on g + wd x moves by lr sign(g + wd x): the decay can flip the sign.
    g, wd, lr = np.array([0.1, 0.1, -0.1]), 1.0, 0.01
    oracle = L2Reference(reference.Adam(learning_rate=lr, epsilon=0.0), wd)
    (x,) = oracle.step([g], [X0])
    np.testing.assert_allclose(x, X0 - lr * np.sign(g + wd * X0), rtol=1e-12)
    assert np.sign(g + wd * X0)[0] == np.sign(g)[0] and np.sign(g + wd * X0)[1] != np.sign(g)[1]


@pytest.mark.parametrize("inner", ["gd", "momentum"])
def test_around_gd_equals_the_gradient_of_the_penalized_loss(inner):
    # l2 must equal stepping on the gradient of loss + wd/2 ||x||^2, computed by tf.GradientTape.
    wd = 0.2
    values = initial_values()
    ours, theirs = make_variables(values, tf.float64), make_variables(values, tf.float64)
    opt_l2 = coreopt.get(f"l2(weight_decay={wd}):{inner}", learning_rate=0.05)
    plain = coreopt.get(inner, learning_rate=0.05)
    for step in range(10):
        opt_l2.apply_gradients([gradient(v.value(), step) for v in ours], ours)
        with tf.GradientTape() as tape:
            penalty = tf.add_n([0.5 * wd * tf.reduce_sum(tf.square(v)) for v in theirs])
        extra = tape.gradient(penalty, theirs)
        plain.apply_gradients([gradient(v.value(), step) + e for v, e in zip(theirs, extra)],
                              theirs)
    for a, b in zip(ours, theirs):
        assert relative_error(a.numpy(), b.numpy()) <= 1e-14


def test_sam_inside_sees_the_penalty_in_its_second_gradient():
    # sam:gd with the loss's gradient + wd x at the perturbed point: the oracle by hand.
    wd, lr, rho = 0.5, 0.1, 0.05
    x = tf.Variable(X0)
    opt = coreopt.get(f"l2(weight_decay={wd}):sam(rho={rho}):gd", learning_rate=lr)
    opt.minimize(lambda: tf.reduce_sum(tf.square(x)), [x])  # grad 2x
    g = 2 * X0 + wd * X0
    e = rho * g / np.linalg.norm(g)
    np.testing.assert_allclose(x.numpy(), X0 - lr * (2 * (X0 + e) + wd * (X0 + e)), rtol=1e-12)


def test_float32_runs_match_the_oracle():
    values = initial_values()
    variables = make_variables(values, tf.float32)
    ours = run_steps(coreopt.get("l2(weight_decay=0.1):adam", learning_rate=0.01), variables, 20)
    oracle, params = L2Reference(reference.Adam(learning_rate=0.01), 0.1), values
    for step in range(20):
        params = oracle.step([gradient(p, step) for p in params], params)
    for got, want in zip(ours, params):
        assert relative_error(got, want) <= 1e-5
