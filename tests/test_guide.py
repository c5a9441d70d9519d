"""The guide's code, reproduced correctly (../shared/seed: "Optimizers with Core APIs")."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt


def quartic(x):
    return 2 * x**4 + 3 * x**3 + 2


def guide_convergence(opt, max_iters=2000):
    """The guide's convergence test: exact equality between steps, NaN gradient."""
    x = tf.Variable(2.0)
    for it in range(1, max_iters + 1):
        with tf.GradientTape() as tape:
            loss = quartic(x)
        g = tape.gradient(loss, x)
        if tf.math.is_nan(g):
            return "diverged", it
        old = x.numpy()
        opt.apply_gradients([g], [x])
        if x.numpy() == old:
            return "converged", it
    return "max_iters", max_iters


# The outcomes the guide's own code prints (run ../shared/seed/seed_reference.py).
GUIDE = {
    ("gd", 1e-3): ("max_iters", 2000), ("gd", 1e-2): ("max_iters", 2000),
    ("gd", 1e-1): ("diverged", 6), ("momentum", 1e-3): ("max_iters", 2000),
    ("momentum", 1e-2): ("converged", 80), ("momentum", 1e-1): ("diverged", 6),
    ("adam", 1e-3): ("max_iters", 2000), ("adam", 1e-2): ("max_iters", 2000),
    ("adam", 1e-1): ("converged", 1156),
}


def guide_rows():
    """GUIDE's rows; those that run all 2000 iterations in the slow tier (the tour's test
    checks the whole table by default: tests/cli/test_tour.py)."""
    return [pytest.param(name, lr, marks=(pytest.mark.slow,) if status == "max_iters" else ())
            for (name, lr), (status, _) in GUIDE.items()]


@pytest.mark.parametrize("name, lr", guide_rows())
def test_guide_outcomes(name, lr):
    assert guide_convergence(coreopt.get(name, learning_rate=lr)) == GUIDE[(name, lr)]


def test_two_variables_keep_independent_momentum():
    a, b = tf.Variable(1.0), tf.Variable(1.0)
    opt = coreopt.Momentum(learning_rate=0.1, momentum=0.5)
    grads = [(1.0, -2.0), (0.5, 3.0), (0.0, 0.0)]
    for ga, gb in grads:
        opt.apply_gradients([tf.constant(ga), tf.constant(gb)], [a, b])

    def alone(gs):  # the guide's Delta recursion for one variable, by hand
        x, delta = 1.0, 0.0
        for g in gs:
            delta = 0.1 * g + 0.5 * delta
            x -= delta
        return x

    assert a.numpy() == pytest.approx(alone([g[0] for g in grads]), rel=1e-6)
    assert b.numpy() == pytest.approx(alone([g[1] for g in grads]), rel=1e-6)


def test_adam_state_survives_a_checkpoint(tmp_path):
    x = tf.Variable([2.0, -1.0])
    opt = coreopt.Adam(0.1)
    for _ in range(3):
        opt.apply_gradients([tf.constant([1.0, -0.5])], [x])
    path = tf.train.Checkpoint(opt=opt, x=x).save(str(tmp_path / "c"))
    fresh_x, fresh = tf.Variable([0.0, 0.0]), coreopt.Adam(0.1)
    tf.train.Checkpoint(opt=fresh, x=fresh_x).restore(path)
    fresh.build([fresh_x])  # slots made after the restore take the saved values
    assert int(fresh.iterations.numpy()) == 3
    for slot in ("m", "v"):
        np.testing.assert_array_equal(fresh.get_slot(fresh_x, slot).numpy(),
                                      opt.get_slot(x, slot).numpy())
