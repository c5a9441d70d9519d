"""`from_model_garden` builds what Model Garden's `OptimizerFactory.build_learning_rate` builds."""

from __future__ import annotations

import numpy as np
import pytest

from coreopt import schedules as S
from coreopt.schedules.model_garden import LEARNING_RATE_TYPES, WARMUP_TYPES
from tests.schedules import reference as R

# Upstream's `LrConfig` types (`constant` plus `optimizer_factory.LR_CLS`), with fields
# as `configs/learning_rate_config.py` names them, and the schedule each should give.
UPSTREAM = {
    "constant": ({"name": "Constant", "learning_rate": 0.2}, S.Constant(0.2)),
    "stepwise": ({"name": "PiecewiseConstantDecay", "boundaries": [10, 20],
                  "values": [0.1, 0.01, 0.001], "offset": 3},
                 S.Stepwise([10, 20], [0.1, 0.01, 0.001], offset=3)),
    "exponential": ({"name": "ExponentialDecay", "initial_learning_rate": 0.1,
                     "decay_steps": 10, "decay_rate": 0.9, "staircase": None, "offset": 0},
                    S.Exponential(0.1, 10, 0.9, staircase=False)),
    "polynomial": ({"initial_learning_rate": 0.1, "decay_steps": 50,
                    "end_learning_rate": 0.001, "power": 2.0, "cycle": True, "offset": 4},
                   S.Polynomial(0.1, 50, end=0.001, power=2.0, cycle=True, offset=4)),
    "cosine": ({"name": "CosineDecay", "initial_learning_rate": 0.1, "decay_steps": 100,
                "alpha": 0.1, "offset": 5}, S.Cosine(0.1, 100, alpha=0.1, offset=5)),
    "power": ({"initial_learning_rate": 1.0, "power": -0.5}, S.Power(1.0, -0.5)),
    "power_linear": ({"initial_learning_rate": 1.0, "total_decay_steps": 100, "power": -0.5,
                      "linear_decay_fraction": 0.1, "offset": 0},
                     S.PowerLinear(1.0, 100, -0.5, 0.1)),
    "power_with_offset": ({"initial_learning_rate": 1.0, "power": -0.5, "offset": 10,
                           "pre_offset_learning_rate": 0.5},
                          S.PowerWithOffset(1.0, -0.5, 10, 0.5)),
    "step_cosine_with_offset": ({"boundaries": [0, 100], "values": [1.0, 0.5], "offset": 0},
                                S.StepCosineWithOffset([0, 100], [1.0, 0.5])),
}


def test_every_upstream_type_is_read():
    assert set(LEARNING_RATE_TYPES) == set(UPSTREAM)
    assert set(WARMUP_TYPES) == {"linear", "polynomial"}


@pytest.mark.parametrize("kind", sorted(UPSTREAM))
def test_types(kind):
    fields, want = UPSTREAM[kind]
    assert S.from_model_garden({"type": kind, kind: dict(fields)}) == want
    assert S.from_model_garden({"type": kind, kind: dict(fields)},
                               {"type": None, "linear": {"warmup_steps": 5}}) == want


def test_factory_docstring_example():
    """optimizer_factory.py's example: stepwise with a linear warmup of 500 steps from 0.01."""
    lr = S.from_model_garden(
        {"type": "stepwise", "stepwise": {"boundaries": [10000, 20000],
                                          "values": [0.1, 0.01, 0.001]}},
        {"type": "linear", "linear": {"name": "linear", "warmup_steps": 500,
                                      "warmup_learning_rate": 0.01}})
    assert lr == S.LinearWarmup(S.Stepwise([10000, 20000], [0.1, 0.01, 0.001]), 500, 0.01)
    ref = R.mg_linear_warmup(R.keras_piecewise([10000, 20000], [0.1, 0.01, 0.001]), 500, 0.01)
    steps = [0, 1, 250, 499, 500, 501, 10000, 10001, 20000, 20001, 10**6]
    np.testing.assert_allclose(lr(np.array(steps)).numpy(), [ref(s) for s in steps], rtol=1e-12)


def test_polynomial_warmup_of_a_constant():
    lr = S.from_model_garden({"type": "constant", "constant": {"learning_rate": 0.4}},
                             {"type": "polynomial", "polynomial": {"power": 1, "warmup_steps": 8}})
    assert lr == S.PolynomialWarmup(S.Constant(0.4), 8, 1.0)


@pytest.mark.parametrize("lr, warmup, message", [
    ({"type": "cosin", "cosin": {}}, None, r"`learning_rate` must be a dict whose 'type' is one"),
    ({"cosine": {}}, None, r"`learning_rate` must be a dict"),
    ({"type": "cosine", "cosine": {"initial_learning_rate": 0.1, "decay_steps": 5,
                                   "warmup": 3}}, None,
     r"unknown Model Garden fields \['warmup'\] in `learning_rate.cosine`"),
    ({"type": "constant", "constant": {"learning_rate": 0.1}}, {"type": "exponential"},
     r"`warmup` must be a dict whose .type."),
])
def test_bad_model_garden_configs(lr, warmup, message):
    with pytest.raises(ValueError, match=message):
        S.from_model_garden(lr, warmup)
