"""Schedule-Free's evaluation point: eval_params, swapped and finalize give the oracle's x."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from tests.helpers import gradient, initial_values, make_variables, relative_error, run_steps

CONFIG = {"learning_rate": 0.05, "beta_1": 0.8, "warmup_steps": 5.0, "weight_decay": 0.01}


def _trained(name, steps=30):
    values = initial_values()
    variables = make_variables(values, tf.float64)
    opt = coreopt.get(name, **CONFIG)
    run_steps(opt, variables, steps)
    ref, params = reference.REFERENCES[name](**CONFIG), [v.copy() for v in values]
    for step in range(steps):
        params = ref.step([gradient(p, step) for p in params], params)
    return opt, variables, [ref.state[i]["x"] for i in range(len(values))]


@pytest.mark.parametrize("name", ["schedule_free_sgd", "schedule_free_adamw"])
def test_eval_params_swapped_and_finalize_give_x(name):
    opt, variables, xs = _trained(name)
    trained = [v.numpy() for v in variables]
    for got, want in zip(opt.eval_params(variables), xs):
        assert relative_error(got.numpy(), want) <= 1e-9
    with opt.swapped(variables):
        for var, want in zip(variables, xs):
            assert relative_error(var.numpy(), want) <= 1e-9
    for var, y in zip(variables, trained):
        np.testing.assert_array_equal(var.numpy(), y)
    opt.finalize(variables)
    for var, want in zip(variables, xs):
        assert relative_error(var.numpy(), want) <= 1e-9


def test_x_is_y_before_any_step_and_unbuilt_variables_are_named():
    x = tf.Variable([1.0, 2.0])
    opt = coreopt.ScheduleFreeSGD()
    opt.build([x])
    np.testing.assert_array_equal(opt.eval_params([x])[0].numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match="never built"):
        opt.eval_params([tf.Variable(1.0)])


def test_a_wrapped_schedule_free_is_evaluated_at_x_by_the_training_loop():
    from coreopt.train.loop import averaging_level

    inner = coreopt.ScheduleFreeAdamW()
    assert averaging_level(coreopt.DecoupledWeightDecay(inner, 0.01)) is inner


@pytest.mark.parametrize("name, argument, value", [
    ("schedule_free_sgd", "beta_1", 0.0), ("schedule_free_adamw", "warmup_steps", -1.0),
    ("schedule_free_sgd", "schedule_form", "torch"), ("prodigy", "d0", 0.0),
    ("prodigy", "state_dtype", "float16")])
def test_bad_hyperparameters_name_the_argument(name, argument, value):
    with pytest.raises((ValueError, TypeError), match=argument):
        coreopt.get(name, **{argument: value})
