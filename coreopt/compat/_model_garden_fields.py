"""Model Garden's optimizer config fields and their defaults, one table per `type`.

From `official/modeling/optimization/configs/optimizer_config.py` (tensorflow/models):
every optimizer config also has `BaseOptimizerConfig`'s clipnorm, clipvalue and
global_clipnorm (None). `OPTIMIZER_FIELDS[type]` is the type's own fields;
`REFUSED_TYPES[type]` the reason a type defined upstream is not converted.

Example:
    >>> OPTIMIZER_FIELDS["adam"]["epsilon"], OPTIMIZER_FIELDS["lamb"]["epsilon"]
    (1e-07, 1e-06)
"""

from __future__ import annotations

CLIP_FIELDS = {"clipnorm": None, "clipvalue": None, "global_clipnorm": None}

_ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}

OPTIMIZER_FIELDS: dict[str, dict] = {
    "sgd": {"name": "SGD", "decay": 0.0, "nesterov": False, "momentum": 0.0},
    "sgd_experimental": {"name": "SGD", "nesterov": False, "momentum": 0.0,
                         "jit_compile": False},
    "adam": {"name": "Adam", **_ADAM},
    "adam_experimental": {"name": "Adam", **_ADAM, "jit_compile": False},
    "adamw": {"name": "AdamWeightDecay", **_ADAM, "weight_decay_rate": 0.0,
              "include_in_weight_decay": None, "exclude_from_weight_decay": None,
              "gradient_clip_norm": 1.0},
    # Its own global_clipnorm default (1.0) overrides the base config's None.
    "adamw_experimental": {"name": "AdamWeightDecayExperimental", **_ADAM, "weight_decay": 0.0,
                           "global_clipnorm": 1.0, "jit_compile": False},
    "lamb": {"name": "LAMB", "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-6,
             "weight_decay_rate": 0.0, "exclude_from_weight_decay": None,
             "exclude_from_layer_adaptation": None},
    "rmsprop": {"name": "RMSprop", "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                "centered": False},
    "lars": {"name": "LARS", "momentum": 0.9, "eeta": 0.001, "weight_decay_rate": 0.0,
             "nesterov": False, "classic_momentum": True, "exclude_from_weight_decay": None,
             "exclude_from_layer_adaptation": None},
    "adagrad": {"name": "Adagrad", "initial_accumulator_value": 0.1, "epsilon": 1e-7},
}

REFUSED_TYPES: dict[str, str] = {
    "slide": "Model Garden leaves it unimplemented: slide_optimizer.py defines SLIDE as the "
             "string \"Unimplemented\" ('Details coming soon'), so no formula exists to "
             "reproduce; use 'lamb' (coreopt.Lamb) for a layer-adaptive Adam",
    "adafactor": "Model Garden leaves it unimplemented: its factory maps 'adafactor' to "
                 "adafactor_optimizer.Adafactor, which upstream defines as the string "
                 "\"Unimplemented\", so no formula exists to reproduce (its AdafactorConfig "
                 "keys are placeholders); build coreopt.Adafactor directly (its options give "
                 "the Keras, torch and optax forms)",
}

EMA_FIELDS = {"name": "ExponentialMovingAverage", "trainable_weights_only": True,
              "average_decay": 0.99, "start_step": 0, "dynamic_decay": True, **CLIP_FIELDS}
