"""`convergence_test`: the guide's test, for any optimizer with `apply_gradients`."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt import functions, lab
from tests.test_guide import GUIDE, guide_rows


class GuideStyleMomentum(tf.Module):
    """A user's optimizer in the guide's style: Python state, `apply_gradients(grads, vars)`."""

    def __init__(self, learning_rate=1e-3, momentum=0.7):
        self.learning_rate, self.momentum, self.change = learning_rate, momentum, 0.0

    def apply_gradients(self, grads, vars):
        for grad, var in zip(grads, vars):
            self.change = self.learning_rate * grad + self.momentum * self.change
            var.assign_sub(self.change)


def quartic(x):
    return 2 * x**4 + 3 * x**3 + 2


def tape_grad(f, x):  # the guide's grad_fn
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


@pytest.mark.parametrize("name, lr", guide_rows())
def test_the_guide_outcomes_on_the_library_quartic(name, lr):
    run = lab.convergence_test(coreopt.get(name, learning_rate=lr), "seed_quartic", init_val=2.0)
    assert (run.status, run.iteration) == GUIDE[(name, lr)]


@pytest.mark.parametrize("name, lr", [row for row in guide_rows() if row.values[0] == "momentum"])
def test_a_guide_style_optimizer_runs_unchanged(name, lr):
    run = lab.convergence_test(GuideStyleMomentum(learning_rate=lr), loss_fn=quartic,
                               grad_fn=tape_grad, init_val=2.0, max_iters=2000)
    assert (run.status, run.iteration) == GUIDE[("momentum", lr)]
    assert run.optimizer == "GuideStyleMomentum"
    assert run.config == {"learning_rate": lr, "momentum": 0.7}


def test_the_record_holds_path_curves_and_distances():
    run = lab.convergence_test(coreopt.Momentum(1e-2), "seed_quartic")
    f = functions.get("seed_quartic")
    assert run.steps == run.iteration == 80
    assert len(run.path) == len(run.loss) == len(run.grad_norm) == 81
    assert run.path[0] == [2.0] and run.path[-1] == run.final
    np.testing.assert_allclose(run.loss, f(np.array(run.path)).numpy(), rtol=1e-6)
    assert run.distance == pytest.approx(abs(run.final[0] + 9 / 8))
    assert run.gap == pytest.approx(run.final_loss - f.minimum)
    assert run.wall_time > 0 and run.engine == "single"


def test_a_diverged_run_keeps_its_path_up_to_the_blow_up():
    run = lab.convergence_test(coreopt.GradientDescent(0.1), "seed_quartic")
    assert (run.status, run.iteration, run.steps) == ("diverged", 6, 5)
    assert run.path[1] == [-8.0] and math.isinf(run.path[-1][0])


def test_keep_path_false_and_float64():
    run = lab.convergence_test(coreopt.Adam(0.1), "rosenbrock", keep_path=False,
                               dtype="float64", max_iters=50)
    assert run.path is None and run.loss is None and run.dtype == "float64"
    assert run.steps == 50 and len(run.final) == 2


def test_verbose_prints_the_guide_line(capsys):
    lab.convergence_test(coreopt.Momentum(1e-2), quartic, verbose=True)
    assert capsys.readouterr().out.strip() == "Converged in 80 iterations"


def test_record_round_trips_through_json():
    run = lab.convergence_test(coreopt.GradientDescent(0.1), "seed_quartic")
    back = lab.Run.from_json(run.to_json())
    assert back.to_json() == run.to_json() and back.key == run.key  # NaN != NaN, so by text
    assert math.isnan(back.final_loss) and math.isinf(back.final[0])
    assert "Infinity" in run.to_json() and "NaN" in run.to_json()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"max_iters": 0}, ValueError, "max_iters"),
    ({"max_iters": 2.5}, ValueError, "max_iters"),
    ({"init_val": [1.0, 2.0]}, ValueError, "dim"),
    ({"loss_fn": "rosenbrok"}, ValueError, "rosenbrock"),
    ({"optimizer": object()}, TypeError, "apply_gradients"),
    ({"optimizer": "adamm"}, ValueError, "adam"),
    ({"dtype": "float16"}, ValueError, "dtype"),
    ({"loss_fn": lambda x: tf.stack([x, x])}, ValueError, "one scalar"),
    ({"optimizer": coreopt.GradientDescent(0.0)}, ValueError, "zero learning rate cannot"),
    ({"optimizer": "gd", "config": {"learning_rate": 0.0}}, ValueError, "zero learning rate"),
    ({"optimizer": GuideStyleMomentum(learning_rate=0)}, ValueError, "zero learning rate"),
    ({"loss_fn": lambda x: 2 * np.asarray(x) ** 4}, TypeError, "`loss_fn`.*TensorFlow ops"),
])
def test_bad_input_is_named(kwargs, error, match):
    args = {"optimizer": coreopt.Adam(), "loss_fn": "seed_quartic", **kwargs}
    with pytest.raises(error, match=match):
        lab.convergence_test(**args)


def test_a_numpy_loss_runs_with_its_own_gradient():
    def numpy_quartic(x):
        x = np.asarray(x)
        return 2 * x**4 + 3 * x**3 + 2

    def numpy_gradient(loss_fn, x):  # d/dx (2x^4 + 3x^3 + 2), in closed form
        x = np.asarray(x)
        return tf.constant(8 * x**3 + 9 * x**2)

    run = lab.convergence_test(coreopt.Momentum(learning_rate=1e-2), numpy_quartic,
                               grad_fn=numpy_gradient)
    same = lab.convergence_test(coreopt.Momentum(learning_rate=1e-2), quartic)
    assert (run.status, run.iteration) == (same.status, same.iteration) == GUIDE[("momentum", 1e-2)]
    assert run.final == pytest.approx(same.final, rel=1e-6)
