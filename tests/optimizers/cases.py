"""One case per registered optimizer: how the common suite configures it.

Each case lists coreopt configurations (hyperparameters chosen to exercise the
options, not only the defaults) and the Keras 3 optimizers that `from_keras`
must follow step for step. `test_every_registered_optimizer_has_a_case`
fails when a registered name has no entry here.
"""

from __future__ import annotations

import dataclasses

import keras


@dataclasses.dataclass(frozen=True)
class Case:
    configs: tuple[dict, ...]
    keras: tuple = ()  # factories: () -> keras optimizer


K = keras.optimizers

CASES = {
    "gd": Case(({"learning_rate": 0.05},), (lambda: K.SGD(0.05),)),
    "momentum": Case(
        ({"learning_rate": 0.05, "momentum": 0.9},
         {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}),
        (lambda: K.SGD(0.05, momentum=0.9), lambda: K.SGD(0.05, momentum=0.8, nesterov=True)),
    ),
    "adam": Case(
        ({"learning_rate": 0.01}, {"learning_rate": 0.01, "amsgrad": True},
         {"learning_rate": 0.01, "epsilon_hat": True, "epsilon": 1e-3}),
        (lambda: K.Adam(0.01), lambda: K.Adam(0.01, amsgrad=True, epsilon=1e-3)),
    ),
    "adamw": Case(
        ({"learning_rate": 0.01, "weight_decay": 0.1},),
        (lambda: K.AdamW(0.01, weight_decay=0.1),),
    ),
    "adamax": Case(({"learning_rate": 0.01},), (lambda: K.Adamax(0.01),)),
    "nadam": Case(
        ({"learning_rate": 0.01}, {"learning_rate": 0.01, "momentum_decay": 1.0}),
        (lambda: K.Nadam(0.01),),
    ),
    "rmsprop": Case(
        ({"learning_rate": 0.01},
         {"learning_rate": 0.01, "momentum": 0.5, "centered": True},
         {"learning_rate": 0.01, "momentum": 0.5, "epsilon_inside_sqrt": False,
          "lr_inside_momentum": False}),
        (lambda: K.RMSprop(0.01), lambda: K.RMSprop(0.01, momentum=0.5, centered=True)),
    ),
    "adagrad": Case(
        ({"learning_rate": 0.05}, {"learning_rate": 0.05, "initial_accumulator_value": 0.1,
                                   "epsilon_inside_sqrt": True}),
        (lambda: K.Adagrad(0.05),),
    ),
    "adadelta": Case(({"learning_rate": 1.0, "rho": 0.9},), (lambda: K.Adadelta(1.0, rho=0.9),)),
    "adafactor": Case(({"learning_rate": 0.05},), (lambda: K.Adafactor(0.05),)),
    "ftrl": Case(
        ({"learning_rate": 0.05, "l1_regularization_strength": 0.001,
          "l2_regularization_strength": 0.01, "l2_shrinkage_regularization_strength": 0.01,
          "beta": 0.1},),
        (lambda: K.Ftrl(0.05, l1_regularization_strength=0.001, l2_regularization_strength=0.01,
                        l2_shrinkage_regularization_strength=0.01, beta=0.1),),
    ),
    "lion": Case(({"learning_rate": 0.003},), (lambda: K.Lion(0.003),)),
    "lamb": Case(
        ({"learning_rate": 0.01}, {"learning_rate": 0.01, "weight_decay": 0.05}),
        (lambda: K.Lamb(0.01),),
    ),
    "radam": Case(
        ({"learning_rate": 0.01},
         {"learning_rate": 0.01, "epsilon_hat": False, "epsilon": 1e-3},
         {"learning_rate": 0.01, "beta_2": 0.9, "threshold": 4.5}),
    ),
    "adabelief": Case(
        ({"learning_rate": 0.01}, {"learning_rate": 0.01, "epsilon": 1e-3, "epsilon_root": 1e-4}),
    ),
    "yogi": Case(
        ({"learning_rate": 0.01},
         {"learning_rate": 0.01, "epsilon_hat": True, "zero_initial_m": True,
          "initial_accumulator_value": 0.1}),
    ),
    "adan": Case(
        ({"learning_rate": 0.01},
         {"learning_rate": 0.01, "difference_weight": "one_minus_beta_2", "epsilon_root": 1e-8,
          "weight_decay": 0.05}),
    ),
    "novograd": Case(
        ({"learning_rate": 0.01}, {"learning_rate": 0.01, "weight_decay": 0.05,
                                   "grad_averaging": True}),
    ),
}


def config_params(every_config_fast=False):
    """(name, config) pairs for pytest parametrization, with readable ids.

    Beyond each optimizer's first config the rows are in the slow tier, unless
    `every_config_fast` (the NumPy oracle, which is cheap, runs them all).
    """
    import pytest

    return [
        pytest.param(name, cfg, id=f"{name}-{i}",
                     marks=() if i == 0 or every_config_fast else (pytest.mark.slow,))
        for name, case in CASES.items()
        for i, cfg in enumerate(case.configs)
    ]


def keras_params():
    """(name, factory) pairs for pytest parametrization."""
    import pytest

    return [
        pytest.param(name, factory, id=f"{name}-{i}")
        for name, case in CASES.items()
        for i, factory in enumerate(case.keras)
    ]
