"""coreopt against torch.optim on the committed reference trajectories.

TABLE is the one mapping from a torch configuration (a row of
references/data/torch_<dtype>.npz, whose meta names the torch class and the
exact kwargs) to the coreopt optimizer that reproduces it; see
tests/parity/loader.py for the problem, the comparison and the tolerances.
"""

from __future__ import annotations

import pytest

from tests.parity.loader import (
    C,
    cases,
    check_apply_gradients,
    check_case,
    check_table,
    halved,
    inverse_time,
)

LIBRARY = "torch"

# torch's `weight_decay` adds weight_decay * x to the gradient: the `l2` wrapper
# (coupled). Its `decoupled_weight_decay=True` (and AdamW) is the `decay` wrapper; the
# two agree only for plain SGD, where nothing keeps a history of the gradient.
# torch's SGD keeps the learning rate outside the momentum buffer.
SGD = {"lr_inside_momentum": False}
ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
RMSPROP = {"rho": 0.99, "epsilon": 1e-8, "epsilon_inside_sqrt": False,
           "lr_inside_momentum": False}
ADAFACTOR = {"beta_2_decay": -0.8, "epsilon_2": 1e-3, "clip_threshold": 1.0}

TABLE = {
    "sgd": C("gd", learning_rate=0.05),
    "sgd_momentum": C("momentum", learning_rate=0.05, momentum=0.9, **SGD),
    "sgd_nesterov": C("momentum", learning_rate=0.05, momentum=0.9, nesterov=True, **SGD),
    # torch's buffer starts as the first gradient, undamped; so does coreopt's.
    "sgd_dampening": C("momentum", learning_rate=0.05, momentum=0.9, dampening=0.5, **SGD),
    "sgd_weight_decay": C("decay(weight_decay=0.1):gd", learning_rate=0.05),
    "sgd_momentum_weight_decay": C("l2(weight_decay=0.1):momentum", learning_rate=0.05,
                                   momentum=0.9, **SGD),
    # A new learning rate scales the whole buffer in torch: lr_inside_momentum=False.
    "sgd_momentum_lr_change": C("momentum", learning_rate=halved(0.05), momentum=0.9, **SGD),
    "adam": C("adam", learning_rate=0.01, **ADAM),
    "adam_amsgrad": C("adam", learning_rate=0.01, amsgrad=True, **ADAM),
    "adam_weight_decay": C("l2(weight_decay=0.1):adam", learning_rate=0.01, **ADAM),
    "adam_eps": C("adam", learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-3),
    "adam_betas": C("adam", learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-8),
    "adam_lr_change": C("adam", learning_rate=halved(0.01), **ADAM),
    "adamw": C("adamw", learning_rate=0.01, weight_decay=0.1, **ADAM),
    "adamw_amsgrad": C("adamw", learning_rate=0.01, weight_decay=0.1, amsgrad=True, **ADAM),
    # torch adds epsilon to |g| inside the maximum.
    "adamax": C("adamax", learning_rate=0.01, epsilon_inside_max=True, **ADAM),
    "adamax_eps": C("adamax", learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-2,
                    epsilon_inside_max=True),
    "nadam": C("nadam", learning_rate=0.01, momentum_decay=0.004, **ADAM),
    "nadam_momentum_decay": C("nadam", learning_rate=0.01, momentum_decay=0.02, **ADAM),
    "nadam_decoupled_weight_decay": C("decay(weight_decay=0.1):nadam", learning_rate=0.01,
                                      momentum_decay=0.004, **ADAM),
    "nadam_weight_decay": C("l2(weight_decay=0.1):nadam", learning_rate=0.01,
                            momentum_decay=0.004, **ADAM),
    # torch adds epsilon to sqrt(v) before the bias correction (epsilon_hat=True).
    "radam": C("radam", learning_rate=0.01, epsilon_hat=True, **ADAM),
    "radam_decoupled_weight_decay": C("decay(weight_decay=0.1):radam", learning_rate=0.01,
                                      epsilon_hat=True, **ADAM),
    "radam_weight_decay": C("l2(weight_decay=0.1):radam", learning_rate=0.01,
                            epsilon_hat=True, **ADAM),
    "rmsprop": C("rmsprop", learning_rate=0.01, **RMSPROP),
    "rmsprop_momentum": C("rmsprop", learning_rate=0.01, momentum=0.9, **RMSPROP),
    "rmsprop_centered": C("rmsprop", learning_rate=0.01, centered=True, **RMSPROP),
    "rmsprop_momentum_centered": C("rmsprop", learning_rate=0.01, momentum=0.9, centered=True,
                                   **RMSPROP),
    "rmsprop_weight_decay": C("l2(weight_decay=0.1):rmsprop", learning_rate=0.01,
                              **RMSPROP),
    # lr_inside_momentum=False is torch's buffer: the learning-rate change matches.
    "rmsprop_momentum_lr_change": C("rmsprop", learning_rate=halved(0.01), momentum=0.9,
                                    **RMSPROP),
    "adagrad": C("adagrad", learning_rate=0.1, epsilon=1e-10),
    "adagrad_lr_decay": C("adagrad", learning_rate=inverse_time(0.1, 0.01), epsilon=1e-10),
    "adagrad_initial_accumulator": C("adagrad", learning_rate=0.1, epsilon=1e-10,
                                     initial_accumulator_value=0.1),
    "adadelta": C("adadelta", learning_rate=1.0, rho=0.9, epsilon=1e-6),
    "adadelta_weight_decay": C("l2(weight_decay=0.1):adadelta", learning_rate=1.0, rho=0.9,
                               epsilon=1e-6),
    "asgd": C("asgd", learning_rate=0.01, lambd=1e-4, alpha=0.75, t0=1e6),
    "rprop": C("rprop", learning_rate=0.01, eta_minus=0.5, eta_plus=1.2, min_step_size=1e-6,
               max_step_size=50.0),
    "rprop_step_sizes": C("rprop", learning_rate=0.01, eta_minus=0.3, eta_plus=1.5,
                          min_step_size=1e-4, max_step_size=0.05),
    # torch's eps1 (None: the dtype's machine epsilon) clamps v at eps1^2 instead of being
    # added to g^2; no v comes near that clamp here, and coreopt's epsilon_1 = 1e-30 is
    # negligible.
    "adafactor": C("adafactor", learning_rate=0.01, epsilon_1=1e-30, **ADAFACTOR),
    # torch takes the step size from RMS(x), then decays x *= 1 - lr wd: Adafactor's own
    # weight_decay (the decay wrapper would decay first, the step size then from the
    # decayed x).
    "adafactor_weight_decay": C("adafactor", learning_rate=0.01, epsilon_1=1e-30,
                                weight_decay=0.1, **ADAFACTOR),
}


@pytest.mark.parametrize("case", cases(LIBRARY, TABLE, __file__))
def test_row(case):
    check_case(case)


def test_table_names_only_data_rows():
    check_table(LIBRARY, TABLE, __file__)


def test_apply_gradients_path():
    """The rows above run the pure `update` in a graph; apply_gradients (XLA) agrees too."""
    check_apply_gradients(LIBRARY, "float64", "nadam_decoupled_weight_decay", TABLE)
