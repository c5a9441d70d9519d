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
    # The contracts (XLA, retrace, checkpoint, None and sparse gradients, slot order, JSON)
    # run in the default tier for one optimizer of each kind of state (`contracts_first`),
    # for every other one in the slow tier; the oracle runs every config by default.
    contracts_first: bool = False


K = keras.optimizers

CASES = {
    "gd": Case(({"learning_rate": 0.05},), (lambda: K.SGD(0.05),), contracts_first=True),
    "momentum": Case(
        ({"learning_rate": 0.05, "momentum": 0.9},
         {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True},
         {"learning_rate": 0.05, "momentum": 0.9, "dampening": 0.3, "lr_inside_momentum": False},
         {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True, "dampening": 0.2},
         {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True, "lr_inside_momentum": False}),
        (lambda: K.SGD(0.05, momentum=0.9), lambda: K.SGD(0.05, momentum=0.8, nesterov=True)),
        contracts_first=True),
    "adam": Case(
        ({"learning_rate": 0.01}, {"learning_rate": 0.01, "amsgrad": True},
         {"learning_rate": 0.01, "epsilon_hat": True, "epsilon": 1e-3},
         {"learning_rate": 0.01, "amsgrad": True, "amsgrad_bias_corrected": True,
          "epsilon_root": 1e-4},
         {"learning_rate": 0.01, "epsilon_hat": True, "amsgrad": True,
          "amsgrad_bias_corrected": True, "epsilon_root": 1e-4}),
        (lambda: K.Adam(0.01), lambda: K.Adam(0.01, amsgrad=True, epsilon=1e-3)),
        contracts_first=True),
    "adamw": Case(
        ({"learning_rate": 0.01, "weight_decay": 0.1},),
        (lambda: K.AdamW(0.01, weight_decay=0.1),),
    ),
    "adamax": Case(
        ({"learning_rate": 0.01},
         {"learning_rate": 0.01, "epsilon": 1e-2, "epsilon_inside_max": True,
          "float32_correction_betas": True}),
        (lambda: K.Adamax(0.01),),
    ),
    "nadam": Case(
        ({"learning_rate": 0.01}, {"learning_rate": 0.01, "momentum_decay": 1.0},
         {"learning_rate": 0.01, "constant_momentum": True},
         {"learning_rate": 0.01, "momentum_decay": 1.0, "float32_constants": True}),
        (lambda: K.Nadam(0.01),), contracts_first=True),
    "rmsprop": Case(
        ({"learning_rate": 0.01},
         {"learning_rate": 0.01, "momentum": 0.5, "centered": True},
         {"learning_rate": 0.01, "momentum": 0.5, "epsilon_inside_sqrt": False,
          "lr_inside_momentum": False},
         {"learning_rate": 0.01, "momentum": 0.5, "centered": True, "nesterov": True,
          "bias_correction": True, "initial_accumulator_value": 0.1},
         {"learning_rate": 0.01, "momentum": 0.5, "nesterov": True, "lr_inside_momentum": False,
          "initial_accumulator_value": 0.1}),
        (lambda: K.RMSprop(0.01), lambda: K.RMSprop(0.01, momentum=0.5, centered=True)),
    ),
    "adagrad": Case(
        ({"learning_rate": 0.05}, {"learning_rate": 0.05, "initial_accumulator_value": 0.1,
                                   "epsilon_inside_sqrt": True}),
        (lambda: K.Adagrad(0.05),),
    ),
    "adadelta": Case(({"learning_rate": 1.0, "rho": 0.9},), (lambda: K.Adadelta(1.0, rho=0.9),)),
    # min_dim_size_to_factor=4: the (4, 5) variable is factored, the (2, 3, 4) one is not.
    "adafactor": Case(
        ({"learning_rate": 0.05},
         {"learning_rate": 0.05, "weight_decay": 0.1, "momentum": 0.9, "float32_momentum": True,
          "float32_decay_rate": True, "min_dim_size_to_factor": 4},
         {"learning_rate": 0.05, "momentum": 0.5, "min_dim_size_to_factor": 4}),
        (lambda: K.Adafactor(0.05),), contracts_first=True),
    "ftrl": Case(
        ({"learning_rate": 0.05, "l1_regularization_strength": 0.001,
          "l2_regularization_strength": 0.01, "l2_shrinkage_regularization_strength": 0.01,
          "beta": 0.1},),
        (lambda: K.Ftrl(0.05, l1_regularization_strength=0.001, l2_regularization_strength=0.01,
                        l2_shrinkage_regularization_strength=0.01, beta=0.1),),
        contracts_first=True),
    "lion": Case(({"learning_rate": 0.003},), (lambda: K.Lion(0.003),)),
    "polyak_sgd": Case(({"learning_rate": 1.0, "max_learning_rate": 0.5},
                        {"learning_rate": 0.5, "f_min": -1.0, "epsilon": 0.1, "variant": "sps+"})),
    "lamb": Case(
        ({"learning_rate": 0.01}, {"learning_rate": 0.01, "weight_decay": 0.05},
         # a large epsilon keeps the trust ratio from cancelling the corrections' rounding
         {"learning_rate": 0.01, "float32_correction_betas": True, "epsilon": 0.1}),
        (lambda: K.Lamb(0.01), lambda: K.Lamb(0.01, epsilon=0.1)),
    ),
    # Muon steps matrices only (its class's `ranks`): the suite gives it helpers.MATRICES. The
    # oracle is float64, so the iteration runs in the variable's dtype (ns_dtype="variable").
    # from_keras(Muon) is a Route (every rank); unnamed variables: no embedding to exclude.
    # Keras's rms_rate scaling fails on float64 variables (a float32 sqrt times a float64
    # update), so these rows disable it; tests/test_compat.py checks it in float32.
    "muon": Case(
        ({"learning_rate": 0.02, "ns_dtype": "variable"},
         {"learning_rate": 0.02, "ns_dtype": "variable", "nesterov": False, "momentum_form": "sum",
          "scale": "moonlight", "update_rms": 0.3, "coefficients": "polar_express", "ns_steps": 7},
         {"learning_rate": 0.02, "ns_dtype": "variable", "momentum_form": "debiased_ema",
          "scale": "optax", "epsilon": 1e-8, "coefficients": "you", "ns_steps": 6},
         {"learning_rate": 0.02, "ns_dtype": "variable", "momentum": 0.9, "nesterov": False,
          "momentum_form": "debiased_ema", "coefficients": "dion", "scale": "none"}),
        (lambda: K.Muon(0.01, exclude_embeddings=False, rms_rate=None),
         lambda: K.Muon(0.01, exclude_embeddings=False, nesterov=False, rms_rate=None,
                        adam_lr_ratio=0.5, weight_decay=0.01, adam_weight_decay=0.02, ns_steps=6)),
        contracts_first=True),
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
    # The common suite's variables are unnamed: their path is "Variable".
    "lars": Case(
        ({"learning_rate": 1.0, "eeta": 0.01, "weight_decay_rate": 0.01},
         {"learning_rate": 1.0, "eeta": 0.01, "nesterov": True, "classic_momentum": False,
          "epsilon": 1e-3},
         {"learning_rate": 0.5, "eeta": 0.01, "weight_decay_rate": 0.1, "nesterov": True,
          "exclude_from_weight_decay": "Variable", "exclude_from_layer_adaptation": "(?!)"}),
        contracts_first=True),
    "adam_weight_decay": Case(
        ({"learning_rate": 0.01, "weight_decay_rate": 0.05},
         {"learning_rate": 0.01, "weight_decay_rate": 0.05, "bias_correction": False,
          "epsilon": 1e-6, "gradient_clip_norm": 0.0, "amsgrad": True},
         {"learning_rate": 0.01, "weight_decay_rate": 0.05, "gradient_clip_norm": 5.0,
          "include_in_weight_decay": "Variable", "exclude_from_weight_decay": "Var"}),
    ),
    "rprop": Case(
        # stale_update's first step is zero (the None-gradient test needs a move): see
        # rprop.py's example and tests/testing/test_oracle.py.
        ({"learning_rate": 0.01},
         {"learning_rate": 0.05, "eta_minus": 0.3, "eta_plus": 1.5, "min_step_size": 1e-3,
          "max_step_size": 0.02},
         {"learning_rate": 0.05, "clamp_unchanged": False, "max_step_size": 0.02}),
    ),
    "asgd": Case(
        ({"learning_rate": 0.05},
         {"learning_rate": 0.05, "lambd": 0.5, "alpha": 0.6, "t0": 10.0, "weight_decay": 0.01}),
    ),
    "sm3": Case(({"learning_rate": 0.05}, {"learning_rate": 0.05, "momentum": 0.0,
                                             "epsilon": 1e-30})),
    "fromage": Case(({"learning_rate": 0.05}, {"learning_rate": 0.05, "min_norm": 0.0})),
    "noisy_sgd": Case(
        ({"learning_rate": 0.05},
         {"learning_rate": 0.05, "eta": 0.3, "gamma": 1.0, "seed": 12345}), contracts_first=True),
    "optimistic_gd": Case(
        ({"learning_rate": 0.05}, {"learning_rate": 0.05, "alpha": 0.5, "beta": 2.0}),
    ),
    # schedule_form="optax" with a warmup does not move on its first step (the None-gradient
    # contract needs a move): the parity table and tests/testing/test_oracle.py cover it.
    "schedule_free_sgd": Case(
        ({"learning_rate": 0.1},
         {"learning_rate": 0.1, "beta_1": 0.8, "weight_decay": 0.01, "warmup_steps": 5.0,
          "weight_lr_power": 1.0})),
    # Keras's is uniform averaging (from_keras: weight_lr_power=0) with float32-rounded betas.
    "schedule_free_adamw": Case(
        ({"learning_rate": 0.01},
         {"learning_rate": 0.01, "beta_1": 0.95, "beta_2": 0.99, "epsilon": 1e-3,
          "weight_decay": 0.05, "warmup_steps": 10.0, "weight_lr_power": 0.0}),
        (lambda: K.ScheduleFreeAdamW(0.01),
         lambda: K.ScheduleFreeAdamW(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3,
                                     warmup_steps=10)),
    ),
    "prodigy": Case(
        ({"learning_rate": 1.0},
         {"learning_rate": 0.5, "beta_3": 0.9, "d0": 1e-3, "d_coef": 0.8, "weight_decay": 0.01,
          "bias_correction": False, "safeguard_warmup": True, "state_dtype": "variable"}),
    ),
    "dadapt_adamw": Case(
        ({"learning_rate": 1.0},
         {"learning_rate": 0.5, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6, "d0": 1e-3,
          "weight_decay": 0.01, "state_dtype": "variable"}),
    ),
    # Slots of other shapes than the variable's (n x n per axis): Adafactor's kind of state,
    # whose contracts run by default; Shampoo's in the slow tier.
    "shampoo": Case(
        ({"learning_rate": 0.05},
         {"learning_rate": 0.05, "beta_2": 0.9, "graft": "sgd", "preconditioning_frequency": 3,
          "max_preconditioner_dim": 2},
         {"learning_rate": 0.02, "beta_1": 0.0, "graft": "none", "epsilon": 1e-3,
          "statistics_dtype": "variable"}),
    ),
    # precondition_1d on SHAPES' 7-vector would be ambiguous (the first g g^T has a 6-dim null
    # space, whose basis eigh picks freely): it is exercised with max_preconditioner_dim 4
    "soap": Case(
        ({"learning_rate": 0.01},
         {"learning_rate": 0.01, "shampoo_beta": 0.9, "precondition_frequency": 3,
          "precondition_1d": True, "max_preconditioner_dim": 4, "normalize_grads": True},
         {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.99, "weight_decay": 0.0,
          "correct_bias": False, "precondition_frequency": 1, "statistics_dtype": "variable"}),
    ),
}


def config_params(every_optimizer_fast=False):
    """(name, config) pairs for pytest parametrization, with readable ids.

    In the default tier: the first config of every optimizer when
    `every_optimizer_fast` (the NumPy oracle), else the first config of the
    optimizers marked `contracts_first`; the rest in the slow tier.
    """
    import pytest

    def fast(case, i):
        return i == 0 and (every_optimizer_fast or case.contracts_first)

    return [
        pytest.param(name, cfg, id=f"{name}-{i}",
                     marks=() if fast(case, i) else (pytest.mark.slow,))
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
