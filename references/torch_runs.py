"""torch.optim configurations and their runs on the reference problem.

Each configuration is the class name in `torch.optim`, the exact keyword
arguments passed to it (tuples such as `betas` are written as lists in the data
files) and, for some, a learning-rate change: `lr_change = (step, lr)` sets
every parameter group's `lr` after that many steps.

Runs use the single-tensor code path (`foreach=False`), one thread, and
`torch.set_default_dtype(dtype)`, so torch's own scalar state (the step
counters, NAdam's `mu_product`) is kept in the run's dtype.
"""

from __future__ import annotations

import problem

CONFIGS = {
    # SGD
    "sgd": ("SGD", {"lr": 0.05}),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "sgd_dampening": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    "sgd_weight_decay": ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    "sgd_momentum_weight_decay": ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    "sgd_momentum_lr_change": ("SGD", {"lr": 0.05, "momentum": 0.9}, (100, 0.025)),
    # Adam, AdamW
    "adam": ("Adam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8}),
    "adam_amsgrad": ("Adam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": True}),
    "adam_weight_decay": ("Adam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                                   "weight_decay": 0.1}),
    "adam_eps": ("Adam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-3}),
    "adam_betas": ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-8}),
    "adam_lr_change": ("Adam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8}, (100, 0.005)),
    "adamw": ("AdamW", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}),
    "adamw_amsgrad": ("AdamW", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                                "weight_decay": 0.1, "amsgrad": True}),
    # Adamax
    "adamax": ("Adamax", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8}),
    "adamax_eps": ("Adamax", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-2}),
    # NAdam
    "nadam": ("NAdam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                        "momentum_decay": 0.004}),
    "nadam_momentum_decay": ("NAdam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                                       "momentum_decay": 0.02}),
    "nadam_decoupled_weight_decay": ("NAdam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                                               "weight_decay": 0.1,
                                               "decoupled_weight_decay": True}),
    "nadam_weight_decay": ("NAdam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                                     "weight_decay": 0.1}),
    # RAdam
    "radam": ("RAdam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8}),
    "radam_decoupled_weight_decay": ("RAdam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                                               "weight_decay": 0.1,
                                               "decoupled_weight_decay": True}),
    "radam_weight_decay": ("RAdam", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                                     "weight_decay": 0.1}),
    # RMSprop
    "rmsprop": ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0.9}),
    "rmsprop_centered": ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "centered": True}),
    "rmsprop_momentum_centered": ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8,
                                              "momentum": 0.9, "centered": True}),
    "rmsprop_weight_decay": ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8,
                                         "weight_decay": 0.1}),
    "rmsprop_momentum_lr_change": ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8,
                                               "momentum": 0.9}, (100, 0.005)),
    # Adagrad
    "adagrad": ("Adagrad", {"lr": 0.1, "eps": 1e-10}),
    "adagrad_lr_decay": ("Adagrad", {"lr": 0.1, "eps": 1e-10, "lr_decay": 0.01}),
    "adagrad_initial_accumulator": ("Adagrad", {"lr": 0.1, "eps": 1e-10,
                                                "initial_accumulator_value": 0.1}),
    # Adadelta
    "adadelta": ("Adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6}),
    "adadelta_weight_decay": ("Adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6,
                                           "weight_decay": 0.1}),
    # ASGD, Rprop
    "asgd": ("ASGD", {"lr": 0.01, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6}),
    "rprop": ("Rprop", {"lr": 0.01, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0)}),
    "rprop_step_sizes": ("Rprop", {"lr": 0.01, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.05)}),
    # Adafactor
    "adafactor": ("Adafactor", {"lr": 0.01, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0}),
    "adafactor_weight_decay": ("Adafactor", {"lr": 0.01, "beta2_decay": -0.8,
                                             "eps": (None, 1e-3), "d": 1.0,
                                             "weight_decay": 0.1}),
}


def versions() -> dict:
    import torch

    return {"torch": torch.__version__}


def run(dtype_name: str, consts: dict, forcing: list) -> dict:
    """{row id: {"trajectory": [array per parameter, (len(RECORDED), *shape)], "config"}}."""
    import numpy as np
    import torch

    dtype = getattr(torch, dtype_name)
    torch.set_default_dtype(dtype)
    torch.set_num_threads(1)
    tensors = {k: [torch.tensor(v, dtype=dtype) for v in consts[k]] for k in ("a", "b", "c")}
    s_all = [torch.tensor(s, dtype=torch.float64).to(dtype) for s in forcing]
    out = {}
    for row_id, entry in CONFIGS.items():
        cls_name, kwargs = entry[0], entry[1]
        lr_change = entry[2] if len(entry) > 2 else None
        params = [torch.tensor(v, dtype=dtype, requires_grad=True) for v in consts["x0"]]
        opt = getattr(torch.optim, cls_name)(params, foreach=False, **kwargs)
        record = [[p.detach().clone().numpy()] for p in params]
        for k in range(1, problem.STEPS + 1):
            if lr_change is not None and k == lr_change[0] + 1:
                for group in opt.param_groups:
                    group["lr"] = lr_change[1]
            with torch.no_grad():
                for p, a, b, c in zip(params, tensors["a"], tensors["b"], tensors["c"]):
                    p.grad = problem.gradient(p.detach(), a, b, c, s_all[k - 1])
            opt.step()
            if k in problem.RECORDED:
                for r, p in zip(record, params):
                    r.append(p.detach().clone().numpy())
        trajectory = [np.stack(r) for r in record]
        if not all(np.isfinite(t).all() for t in trajectory):
            raise RuntimeError(f"torch row {row_id!r} ({dtype_name}) is not finite")
        config = {
            "optimizer": f"torch.optim.{cls_name}",
            "kwargs": {**kwargs, "foreach": False},
            "resolved": _plain(opt.defaults),
        }
        if lr_change is not None:
            config["lr_change"] = {"after_step": lr_change[0], "lr": lr_change[1]}
        out[row_id] = {"trajectory": trajectory, "config": config}
    return out


def _plain(defaults: dict) -> dict:
    """The optimizer's resolved defaults, JSON-safe (tensors and others as text)."""
    out = {}
    for key, value in defaults.items():
        if isinstance(value, (bool, int, float, str, type(None))):
            out[key] = value
        elif isinstance(value, (tuple, list)) and all(
                isinstance(v, (bool, int, float, type(None))) for v in value):
            out[key] = list(value)
        else:
            out[key] = repr(value)
    return out
