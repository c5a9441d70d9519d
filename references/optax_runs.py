"""optax configurations and their runs on the reference problem.

Each configuration is the optax function (a name in `optax`, or
`contrib.<name>` in `optax.contrib`) and the exact keyword arguments passed to
it. A learning rate written as {"schedule": "piecewise_constant_schedule",
...} is that optax schedule built from the remaining keys.

A float32 run uses JAX's default configuration (64-bit types disabled, as
most users run it); a float64 run enables `jax_enable_x64`. One step (the
gradient, `update` and `apply_updates`) is one `jax.jit` program.
`polyak_sgd` also receives the loss value (`problem.loss_term`, summed).
"""

from __future__ import annotations

import problem

_HALVED = {"schedule": "piecewise_constant_schedule", "boundaries_and_scales": {"100": 0.5}}

CONFIGS = {
    "sgd": ("sgd", {"learning_rate": 0.05}),
    "sgd_momentum": ("sgd", {"learning_rate": 0.05, "momentum": 0.9}),
    "sgd_nesterov": ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    "sgd_momentum_schedule": ("sgd", {"learning_rate": {**_HALVED, "init_value": 0.05},
                                      "momentum": 0.9}),
    "adam": ("adam", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "adam_eps_root": ("adam", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8,
                               "eps_root": 1e-4}),
    "adam_nesterov": ("adam", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8,
                               "nesterov": True}),
    "adam_schedule": ("adam", {"learning_rate": {**_HALVED, "init_value": 0.01},
                               "b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "adamw": ("adamw", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8,
                        "weight_decay": 0.1}),
    "amsgrad": ("amsgrad", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "adamax": ("adamax", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "adamaxw": ("adamaxw", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8,
                            "weight_decay": 0.1}),
    "nadam": ("nadam", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "nadamw": ("nadamw", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8,
                          "weight_decay": 0.1}),
    "radam": ("radam", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8,
                        "threshold": 5.0}),
    "rmsprop": ("rmsprop", {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-8}),
    "rmsprop_eps_outside": ("rmsprop", {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-8,
                                        "eps_in_sqrt": False}),
    "rmsprop_centered": ("rmsprop", {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-8,
                                     "centered": True}),
    "rmsprop_momentum": ("rmsprop", {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-8,
                                     "momentum": 0.9}),
    "rmsprop_nesterov": ("rmsprop", {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-8,
                                     "momentum": 0.9, "nesterov": True}),
    "rmsprop_initial_scale": ("rmsprop", {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-8,
                                          "initial_scale": 0.1}),
    "rmsprop_bias_correction": ("rmsprop", {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-8,
                                            "bias_correction": True}),
    "adagrad": ("adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.1,
                            "eps": 1e-7}),
    "adadelta": ("adadelta", {"learning_rate": 1.0, "rho": 0.9, "eps": 1e-6}),
    "adafactor": ("adafactor", {"learning_rate": 0.01}),
    "adafactor_factored": ("adafactor", {"learning_rate": 0.01, "min_dim_size_to_factor": 2}),
    "adafactor_momentum": ("adafactor", {"learning_rate": 0.01, "min_dim_size_to_factor": 2,
                                         "momentum": 0.9}),
    "lion": ("lion", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.99, "weight_decay": 0.0}),
    "lion_weight_decay": ("lion", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.99,
                                   "weight_decay": 0.1}),
    "lamb": ("lamb", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-6,
                      "weight_decay": 0.0}),
    "lamb_weight_decay": ("lamb", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-6,
                                   "weight_decay": 0.1}),
    "lars": ("lars", {"learning_rate": 0.1, "weight_decay": 0.0, "trust_coefficient": 0.001,
                      "momentum": 0.9}),
    "yogi": ("yogi", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-3}),
    "adabelief": ("adabelief", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-16,
                                "eps_root": 1e-16}),
    "novograd": ("novograd", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.25, "eps": 1e-6,
                              "weight_decay": 0.0}),
    "sm3": ("sm3", {"learning_rate": 0.1, "momentum": 0.9}),
    "rprop": ("rprop", {"learning_rate": 0.01, "eta_minus": 0.5, "eta_plus": 1.2,
                        "min_step_size": 1e-6, "max_step_size": 50.0}),
    "adan": ("adan", {"learning_rate": 0.01, "b1": 0.98, "b2": 0.92, "b3": 0.99, "eps": 1e-8,
                      "eps_root": 1e-8, "weight_decay": 0.0}),
    "fromage": ("fromage", {"learning_rate": 0.01}),
    "noisy_sgd": ("noisy_sgd", {"learning_rate": 0.01, "eta": 0.01, "gamma": 0.55, "key": 0}),
    "optimistic_gradient_descent": ("optimistic_gradient_descent",
                                    {"learning_rate": 0.05, "alpha": 1.0, "beta": 1.0}),
    "polyak_sgd": ("polyak_sgd", {"max_learning_rate": 0.1, "scaling": 1.0, "f_min": -8.0}),
    "sign_sgd": ("sign_sgd", {"learning_rate": 0.01}),
    "signum": ("signum", {"learning_rate": 0.01, "beta": 0.9}),
    "muon": ("contrib.muon", {"learning_rate": 0.01, "beta": 0.95}),
    "prodigy": ("contrib.prodigy", {"learning_rate": 1.0}),
    "dadapt_adamw": ("contrib.dadapt_adamw", {"learning_rate": 1.0}),
    "dadapt_adamw_weight_decay": ("contrib.dadapt_adamw", {"learning_rate": 1.0,
                                                           "weight_decay": 0.1}),
    "schedule_free_adamw": ("contrib.schedule_free_adamw", {"learning_rate": 0.01,
                                                           "warmup_steps": 10}),
    "schedule_free_sgd": ("contrib.schedule_free_sgd", {"learning_rate": 0.1,
                                                       "warmup_steps": 10}),
}

NEEDS_VALUE = ("polyak_sgd",)
# optax's scale_by_sm3 keeps one accumulator per axis and fails on a 0-d array
# (it indexes the first one): there the scalar parameter is passed with shape (1,),
# for which SM3's one accumulator is the elementwise one, and recorded as shape ().
SCALAR_AS_1D = ("sm3",)


def versions() -> dict:
    import jax
    import jaxlib
    import optax

    return {"optax": optax.__version__, "jax": jax.__version__, "jaxlib": jaxlib.__version__}


def _function(path: str):
    import optax
    import optax.contrib  # noqa: F401

    obj = optax
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _kwargs(kwargs: dict) -> dict:
    """The kwargs with schedules built."""
    import optax

    out = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and "schedule" in value:
            args = {k: v for k, v in value.items() if k != "schedule"}
            if "boundaries_and_scales" in args:
                args["boundaries_and_scales"] = {
                    int(k): v for k, v in args["boundaries_and_scales"].items()}
            value = getattr(optax, value["schedule"])(**args)
        out[key] = value
    return out


def run(dtype_name: str, consts: dict, forcing: list) -> dict:
    """{row id: {"trajectory": [array per parameter, (len(RECORDED), *shape)], "config"}}."""
    import jax

    jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_enable_x64", dtype_name == "float64")
    import jax.numpy as jnp
    import numpy as np
    import optax

    dtype = getattr(jnp, dtype_name)
    arrays = {k: [jnp.asarray(np.asarray(v, np.float64).astype(dtype_name)) for v in consts[k]]
              for k in ("a", "b", "c")}
    s_all = [jnp.asarray(np.float64(s).astype(dtype_name)) for s in forcing]
    out = {}
    for row_id, (path, kwargs) in CONFIGS.items():
        tx = optax.with_extra_args_support(_function(path)(**_kwargs(kwargs)))
        params = [jnp.asarray(np.asarray(v, np.float64).astype(dtype_name)) for v in consts["x0"]]
        lift = row_id in SCALAR_AS_1D
        if lift:
            params = [p.reshape(1) if p.ndim == 0 else p for p in params]
        state = tx.init(params)
        with_value = row_id in NEEDS_VALUE

        def step(params, state, s, tx=tx, with_value=with_value):
            grads = [problem.gradient(p, a, b, c, s)
                     for p, a, b, c in zip(params, arrays["a"], arrays["b"], arrays["c"])]
            extra = {}
            if with_value:
                extra["value"] = sum(jnp.sum(problem.loss_term(p, a, b, c, s))
                                     for p, a, b, c in zip(params, arrays["a"], arrays["b"],
                                                           arrays["c"]))
            updates, state = tx.update(grads, state, params, **extra)
            return optax.apply_updates(params, updates), state

        step = jax.jit(step)
        shapes = [np.shape(v) for v in consts["x0"]]
        record = [[np.asarray(p).reshape(shape)] for p, shape in zip(params, shapes)]
        for k in range(1, problem.STEPS + 1):
            params, state = step(params, state, s_all[k - 1])
            if k in problem.RECORDED:
                for r, p, shape in zip(record, params, shapes):
                    r.append(np.asarray(p).reshape(shape))
        trajectory = [np.stack(r) for r in record]
        if any(t.dtype != np.dtype(dtype) for t in trajectory):
            raise RuntimeError(f"optax row {row_id!r} changed the dtype to {trajectory[0].dtype}")
        if not all(np.isfinite(t).all() for t in trajectory):
            raise RuntimeError(f"optax row {row_id!r} ({dtype_name}) is not finite")
        config = {"optimizer": f"optax.{path}", "kwargs": kwargs,
                  "jax_enable_x64": dtype_name == "float64"}
        if lift:
            config["note"] = "the 0-d parameter is passed with shape (1,)"
        if with_value:
            config["extra_args"] = "value = sum(problem.loss_term(x, a, b, c, s_k))"
        out[row_id] = {"trajectory": trajectory, "config": config}
    return out
