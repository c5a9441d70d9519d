"""Schedules of the step for a learning rate, or any other hyperparameter.

A schedule is called on the number of steps already taken (0 before the
first update; an optimizer reads `lr(state["iterations"])`) and returns a
float64 tensor shaped like the step. The arithmetic is TensorFlow ops only,
in float64, element by element, without a Python branch on the step: the
same trace serves every step eagerly, in `tf.function`, under XLA and under
`tf.vectorized_map` (a batch of steps gives a batch of values).

=======================  ======================  ==========================================
name                     class                   source
=======================  ======================  ==========================================
constant                 `Constant`              Model Garden `constant`
stepwise                 `Stepwise`              Model Garden `stepwise`; Keras piecewise
exponential              `Exponential`           Model Garden `exponential`; Keras
polynomial               `Polynomial`            Model Garden `polynomial`; Keras
cosine                   `Cosine`                Model Garden `cosine`; Keras `CosineDecay`
power                    `Power`                 Model Garden `power`
power_linear             `PowerLinear`           Model Garden `power_linear`
power_with_offset        `PowerWithOffset`       Model Garden `power_with_offset`
step_cosine_with_offset  `StepCosineWithOffset`  Model Garden (same name)
linear_warmup            `LinearWarmup`          Model Garden `linear` warmup
polynomial_warmup        `PolynomialWarmup`      Model Garden `polynomial` warmup
cosine_restarts          `CosineRestarts`        Keras `CosineDecayRestarts`
wsd                      `WarmupStableDecay`     Hu et al. 2024; Hägele et al. 2024
one_cycle                `OneCycle`              torch `OneCycleLR` (learning rate)
one_cycle_momentum       `OneCycleMomentum`      torch `OneCycleLR` (momentum)
join                     `Join`                  optax `join_schedules`
=======================  ======================  ==========================================

The Model Garden sources are tensorflow/models `official/modeling/optimization/`
(`lr_schedule.py` as of commit 00b830c7, `configs/learning_rate_config.py`,
`optimizer_factory.py`); each class's docstring gives its formula, its
sources and where it departs from them.

Configs are JSON-able: `to_config(s)` gives `{"schedule": name, "config":
{...}}` (inner schedules nested the same way) and `from_config` rebuilds
it; `from_model_garden` reads a Model Garden learning-rate config.

Example:
    >>> import json
    >>> from coreopt import schedules
    >>> lr = schedules.LinearWarmup(schedules.Cosine(0.1, decay_steps=1000), warmup_steps=100)
    >>> text = json.dumps(schedules.to_config(lr))
    >>> again = schedules.from_config(json.loads(text))
    >>> again == lr, round(float(again(50)), 6)
    (True, 0.048776)
"""

from coreopt.schedules.base import (
    Constant,
    Schedule,
    as_step,
    from_config,
    names,
    schedule_class,
    to_config,
)
from coreopt.schedules.cosine import Cosine, CosineRestarts, StepCosineWithOffset
from coreopt.schedules.cycles import OneCycle, OneCycleMomentum
from coreopt.schedules.decays import Exponential, Polynomial, Stepwise
from coreopt.schedules.join import Join
from coreopt.schedules.model_garden import from_model_garden
from coreopt.schedules.power import Power, PowerLinear, PowerWithOffset
from coreopt.schedules.warmup import LinearWarmup, PolynomialWarmup, WarmupStableDecay

WSD = WarmupStableDecay

__all__ = [
    "Constant", "Cosine", "CosineRestarts", "Exponential", "Join", "LinearWarmup",
    "OneCycle", "OneCycleMomentum", "Polynomial", "PolynomialWarmup", "Power",
    "PowerLinear", "PowerWithOffset", "Schedule", "StepCosineWithOffset", "Stepwise",
    "WSD", "WarmupStableDecay", "as_step", "from_config", "from_model_garden", "names",
    "schedule_class", "to_config",
]
