"""coreopt's NumPy oracle: float64 reference implementations of its optimizers.

Written directly from the papers' update rules, independently of coreopt and of other optimizer
libraries.  Conventions shared by every class:

* ``g`` is the gradient, ``x`` the parameter, ``t`` the step count (1 on the first step); all
  operations are elementwise unless a docstring says otherwise.
* State (moments, accumulators, ...) is kept per variable, keyed by its index in the list passed
  to :meth:`Reference.step`, and starts at zero unless a docstring says otherwise.
* ``step`` never modifies its inputs; it returns new float64 arrays.

`REFERENCES` maps each registered optimizer's name to its class; the
hyperparameters are the optimizer's own names (and its convention options).
The test suite checks every optimizer against it, and `coreopt.testing.verify`
takes it as a reference: `verify(MyAdam, "oracle:adam(epsilon_hat=true)")`.
The modules: `base` (the class, and the wrappers' gradient transformations),
`classic`, `adaptive` (the Adam family, Lion), `layerwise` (reductions over a
whole array), `matrix` (full-matrix preconditioners) and `free` (schedule-free
and parameter-free).

Example:
    >>> import numpy as np
    >>> from coreopt.testing import oracle
    >>> adam = oracle.REFERENCES["adam"](learning_rate=0.1)
    >>> [round(float(x), 6) for x in adam.step([np.array(0.5)], [np.array(1.0)])]
    [0.9]
"""

from __future__ import annotations

from coreopt.testing.oracle.adaptive import (
    AdaBelief,
    Adam,
    Adamax,
    AdamW,
    Adan,
    Lion,
    Nadam,
    NovoGrad,
    RAdam,
    Yogi,
)
from coreopt.testing.oracle.base import (
    Reference,
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    decay,
)
from coreopt.testing.oracle.classic import (
    ASGD,
    FTRL,
    GD,
    Adadelta,
    Adagrad,
    Momentum,
    NoisySGD,
    OptimisticGD,
    PolyakSGD,
    RMSprop,
    Rprop,
    gaussian_noise,
)
from coreopt.testing.oracle.free import (
    DAdaptAdamW,
    Prodigy,
    ScheduleFreeAdamW,
    ScheduleFreeSGD,
)
from coreopt.testing.oracle.layerwise import (
    LAMB,
    LARS,
    MUON_COEFFICIENTS,
    SM3,
    Adafactor,
    AdamWeightDecay,
    Fromage,
    Muon,
    newton_schulz,
)
from coreopt.testing.oracle.matrix import SOAP, Shampoo

__all__ = [
    "MUON_COEFFICIENTS",
    "REFERENCES",
    "Reference",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "decay",
    "gaussian_noise",
    "newton_schulz",
]

REFERENCES: dict[str, type[Reference]] = {
    "gd": GD,
    "momentum": Momentum,
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": Nadam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adafactor": Adafactor,
    "ftrl": FTRL,
    "lion": Lion,
    "lamb": LAMB,
    "muon": Muon,
    "radam": RAdam,
    "adabelief": AdaBelief,
    "yogi": Yogi,
    "adan": Adan,
    "novograd": NovoGrad,
    "lars": LARS,
    "adam_weight_decay": AdamWeightDecay,
    "rprop": Rprop,
    "asgd": ASGD,
    "sm3": SM3,
    "fromage": Fromage,
    "noisy_sgd": NoisySGD,
    "optimistic_gd": OptimisticGD,
    "polyak_sgd": PolyakSGD,
    "schedule_free_sgd": ScheduleFreeSGD,
    "schedule_free_adamw": ScheduleFreeAdamW,
    "prodigy": Prodigy,
    "dadapt_adamw": DAdaptAdamW,
    "shampoo": Shampoo,
    "soap": SOAP,
}
