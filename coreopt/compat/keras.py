"""Conversion from Keras 3 optimizers: `from_keras(keras_optimizer)`.

Given a configured `keras.optimizers.X`, returns the coreopt optimizer whose
trajectory is the same. Where Keras's convention differs from the paper, the
coreopt optimizer is configured through its named option (see each optimizer's
Notes). Keras's base-optimizer options become wrappers, nested so that they
act in the order of Keras's `apply` and `_backend_apply_gradients`, outermost
first:

    LossScale             loss_scale_factor (fixed), or a LossScaleOptimizer (dynamic)
    EMA                   use_ema, ema_momentum, ema_overwrite_frequency
    GradientAccumulation  gradient_accumulation_steps
    ClipByNorm, ...       clipnorm, global_clipnorm, clipvalue
    DecoupledWeightDecay  weight_decay, exclude_from_weight_decay
    the optimizer

`exclude_from_weight_decay(var_names=...)` becomes the `exclude` pattern;
`var_list=...`, which names variables by identity, a `mask` (an optimizer with
a mask has no JSON config). With gradient accumulation Keras calls a
learning-rate schedule with its micro-step count; the conversion calls it at
the same count (`MicroStepSchedule`). A learning rate given as a callable of
no arguments is called at every step, as Keras does (`NoArgumentSchedule`);
coreopt compiles the step, so the callable runs when the step is traced: one
that reads a `tf.Variable` follows it, one that returns a Python number is
fixed then, as in a compiled Keras `fit`.

Example:
    >>> import keras, coreopt.compat
    >>> coreopt.compat.from_keras(keras.optimizers.SGD(0.1, momentum=0.9))  # doctest: +ELLIPSIS
    Momentum(learning_rate=0.10000000149011612, momentum=0.8999999761581421, nesterov=False, ...)
    >>> coreopt.compat.from_keras(keras.optimizers.AdamW(
    ...     1e-3, clipnorm=1.0, gradient_accumulation_steps=4, loss_scale_factor=128.0)).chain_name
    'loss_scale:accumulate:clip_by_norm:decay:adam'

The learning rate shows float32 rounding because Keras keeps it in a float32
variable; coreopt takes that value exactly. Keras's TensorFlow backend also
casts some Python-float hyperparameters through float32 (`ops.cast`, which is
`tf.cast` of a float32 constant), for float64 variables too. Where Keras uses
only the rounded value, the conversion passes that value: SGD's momentum, the
weight decay, Adagrad's and Ftrl's initial accumulator. Where Keras uses both
(the rounded value in some terms, the Python float in others), an option of
the optimizer does the rounding in those terms only:
`float32_correction_betas=True` for Adam, AdamW, Adamax and Lamb (the betas of
the bias corrections), `float32_constants=True` for Nadam (beta_1, beta_2 and
0.96 in the step, not in the running product). So in float64 the converted
optimizer follows Keras to rounding error (1e-12 over 100 steps in the tests).
"""

from __future__ import annotations

import keras
import numpy as np

import coreopt.optimizers as o
from coreopt.wrappers import (
    ClipByGlobalNorm,
    ClipByNorm,
    ClipByValue,
    DecoupledWeightDecay,
    GradientAccumulation,
    LossScale,
)


def _float32(value) -> float:
    """`value` rounded to float32, as Keras's `ops.cast` of a Python float rounds it."""
    return float(np.float32(value))


def _sgd(k, lr):
    if k.momentum == 0:
        return o.GradientDescent(lr)
    return o.Momentum(lr, _float32(k.momentum), nesterov=k.nesterov)


def _adam(k, lr):
    return o.Adam(lr, k.beta_1, k.beta_2, k.epsilon, amsgrad=k.amsgrad, epsilon_hat=True,
                  float32_correction_betas=True)


def _rmsprop(k, lr):
    return o.RMSprop(lr, k.rho, k.momentum, k.epsilon, centered=k.centered,
                     epsilon_inside_sqrt=True, lr_inside_momentum=True)


def _adagrad(k, lr):
    return o.Adagrad(lr, _float32(k.initial_accumulator_value), k.epsilon,
                     epsilon_inside_sqrt=True)


def _ftrl(k, lr):
    return o.Ftrl(lr, k.learning_rate_power, _float32(k.initial_accumulator_value),
                  k.l1_regularization_strength, k.l2_regularization_strength,
                  k.l2_shrinkage_regularization_strength, k.beta)


def _muon(k, lr):
    """Keras's Muon as `muon.with_adamw`: a Route, with its two weight decays inside.

    Keras orthogonalizes the 2-D variables whose path neither contains "embedding"
    (any case; `exclude_embeddings`) nor matches an `exclude_layers` pattern
    (`re.search`): those go to the nested Route's AdamW group, as the other
    ranks go to the default group. Keras's AdamW is Adam in the epsilon-hat form
    at lr * adam_lr_ratio; each group decays by its own rate times the (unscaled)
    learning rate, with the exclusions of `exclude_from_weight_decay`.
    """
    from coreopt.optimizers.muon import with_adamw

    if (k.muon_a, k.muon_b, k.muon_c) != (3.4445, -4.7750, 2.0315):
        raise ValueError(
            f"from_keras: Muon's muon_a, muon_b, muon_c ({k.muon_a}, {k.muon_b}, {k.muon_c}) are "
            "not Keller Jordan's (3.4445, -4.7750, 2.0315), the only Keras coefficients that "
            "coreopt's Muon presets hold.")
    ratio = float(k.adam_lr_ratio)
    if ratio != 1.0 and not isinstance(lr, float):
        raise TypeError("from_keras: Muon with adam_lr_ratio != 1 needs a constant learning "
                        f"rate; received {lr!r}.")
    exclusions = _exclusions(k)

    def decayed(opt, rate, lr_ratio=1.0):
        if not rate:
            return opt
        # Keras decays by rate * lr (its TF backend casts the Python float through float32).
        return DecoupledWeightDecay(opt, float(np.float32(rate)) / lr_ratio, **exclusions)

    muon = o.Muon(lr, k.momentum, 1e-7, 0.2 if k.rms_rate is None else k.rms_rate,
                  nesterov=k.nesterov, momentum_form="sum", ns_steps=int(k.ns_steps),
                  ns_dtype="variable", scale="none" if k.rms_rate is None else "moonlight")
    patterns = (["(?i:embedding)"] if k.exclude_embeddings else []) + [
        f"(?:{p})" for p in k.exclude_layers]
    return with_adamw(decayed(muon, k.weight_decay), lambda: decayed(
        o.Adam(lr * ratio if ratio != 1.0 else lr, k.adam_beta_1, k.adam_beta_2, k.epsilon,
               epsilon_hat=True, float32_correction_betas=True), k.adam_weight_decay, ratio),
        exclude="|".join(patterns))


def _schedule_free_adamw(k, lr):
    """Keras's ScheduleFreeAdamW: uniform averaging (c_t = 1 / t), the paper's warmup, x_t
    recovered with the updated z (its `momentum_old = momentum.value` reads the variable after
    `assign_sub`); its TF backend rounds beta_1, beta_2 and epsilon to float32 (`ops.cast`)."""
    return o.ScheduleFreeAdamW(lr, _float32(k.beta_1), _float32(k.beta_2), _float32(k.epsilon),
                               warmup_steps=float(k.warmup_steps), weight_lr_power=0.0,
                               x_from_new_z=True)


_CONVERTERS = {
    "SGD": _sgd,
    "Adam": _adam,
    "AdamW": _adam,  # Keras's AdamW is Adam plus its base-class weight decay.
    "RMSprop": _rmsprop,
    "Adagrad": _adagrad,
    "Ftrl": _ftrl,
    "Adamax": lambda k, lr: o.Adamax(lr, k.beta_1, k.beta_2, k.epsilon,
                                     float32_correction_betas=True),
    "Nadam": lambda k, lr: o.Nadam(lr, k.beta_1, k.beta_2, k.epsilon, momentum_decay=1.0,
                                   float32_constants=True),
    "Adadelta": lambda k, lr: o.Adadelta(lr, k.rho, k.epsilon),
    "Adafactor": lambda k, lr: o.Adafactor(lr, k.beta_2_decay, k.epsilon_1, k.epsilon_2,
                                           k.clip_threshold),
    "Lion": lambda k, lr: o.Lion(lr, k.beta_1, k.beta_2),
    "Lamb": lambda k, lr: o.Lamb(lr, k.beta_1, k.beta_2, k.epsilon,
                                 float32_correction_betas=True),
    "Muon": _muon,  # a Route; its weight decays are inside (`_wrap` adds none)
    # Keras decays y (the variable) before the step, z not: the DecoupledWeightDecay of `_wrap`.
    "ScheduleFreeAdamW": _schedule_free_adamw,
}


def from_keras(keras_optimizer):
    """The coreopt optimizer that follows the same trajectory as `keras_optimizer`.

    Args:
        keras_optimizer: an instance of one of the Keras 3 classes SGD, RMSprop,
            Adam, AdamW, Adadelta, Adagrad, Adamax, Adafactor, Nadam, Ftrl,
            Lion, Lamb, Muon, ScheduleFreeAdamW, or a `LossScaleOptimizer` around
            one. Its configuration is converted; its state (slots, iterations,
            loss scale) is not. Muon becomes a `coreopt.Route` (see
            `coreopt.optimizers.muon.with_adamw`): Muon on the matrices Keras
            orthogonalizes, Adam on the rest.

    Returns:
        A coreopt optimizer, inside the wrappers the Keras options ask for (see
        the module docstring for their order).

    Raises:
        TypeError: for another class (a subclass of a supported one included).
        ValueError: for a value a coreopt wrapper refuses, such as
            `ema_momentum=1.0` (the wrapper's error names its own argument),
            or Muon coefficients (`muon_a`, ...) other than Keras's defaults.
            The Keras optimizer is never changed.
    """
    if _is_keras(keras_optimizer, "LossScaleOptimizer"):
        k = keras_optimizer
        return LossScale(from_keras(k.inner_optimizer), float(k.initial_scale),
                         growth_steps=int(k.dynamic_growth_steps))
    kind = type(keras_optimizer).__name__
    converter = _CONVERTERS.get(kind)
    if converter is None or not _is_keras(keras_optimizer, kind):
        raise TypeError(
            f"from_keras does not support {type(keras_optimizer).__qualname__}; supported: "
            f"{', '.join(sorted(_CONVERTERS))} from `keras.optimizers`, and "
            "LossScaleOptimizer around one of them."
        )
    optimizer = converter(keras_optimizer, _learning_rate(keras_optimizer))
    return _wrap(optimizer, keras_optimizer)


def _is_keras(obj, name) -> bool:
    cls = type(obj)
    return cls.__name__ == name and cls.__module__.split(".")[0] == "keras"


def _learning_rate(k):
    """A Keras learning rate as coreopt takes it: a schedule of the step, or its float value."""
    lr = k._learning_rate
    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        steps = k.gradient_accumulation_steps
        return MicroStepSchedule(lr, steps) if steps else lr
    if callable(lr):
        return NoArgumentSchedule(lr)
    return float(keras.ops.convert_to_numpy(lr))


def _wrap(optimizer, k):
    if k.weight_decay and not _is_keras(k, "Muon"):  # Muon decays per group (`_muon`)
        # Keras's TF backend casts the Python float with tf.cast, through float32.
        decay = _float32(k.weight_decay)
        optimizer = DecoupledWeightDecay(optimizer, decay, **_exclusions(k))
    if k.clipnorm:
        optimizer = ClipByNorm(optimizer, float(k.clipnorm))
    elif k.global_clipnorm:
        optimizer = ClipByGlobalNorm(optimizer, float(k.global_clipnorm))
    elif k.clipvalue:
        optimizer = ClipByValue(optimizer, float(k.clipvalue))
    if k.gradient_accumulation_steps:
        optimizer = GradientAccumulation(optimizer, steps=int(k.gradient_accumulation_steps))
    if k.use_ema:
        from coreopt.wrappers.ema import EMA

        optimizer = EMA(optimizer, momentum=float(k.ema_momentum),
                        overwrite_frequency=int(k.ema_overwrite_frequency or 0),
                        accumulation_steps=int(k.gradient_accumulation_steps or 1))
    if k.loss_scale_factor is not None:
        optimizer = LossScale(optimizer, float(k.loss_scale_factor), dynamic=False)
    return optimizer


def _exclusions(k) -> dict:
    """Keras's `exclude_from_weight_decay` as DecoupledWeightDecay's `exclude` and `mask`.

    `var_names` is a pattern searched in the variable's name, as `exclude` is;
    `var_list` names variables by identity (Keras's `_var_key`), which becomes
    a `mask` (the converted optimizer then has no JSON config).
    """
    out = {}
    pattern = getattr(k, "_exclude_from_weight_decay_pattern", None)
    if pattern is not None:
        out["exclude"] = pattern.pattern
    excluded = frozenset(getattr(k, "_exclude_from_weight_decay", None) or ())
    if excluded:
        out["mask"] = _KeepUnlisted(k._var_key, excluded)
    return out


class _KeepUnlisted:
    """True for a variable not in Keras's `exclude_from_weight_decay(var_list=...)`."""

    def __init__(self, key, excluded):
        self.key, self.excluded = key, excluded

    def __call__(self, variable) -> bool:
        return self.key(variable) not in self.excluded

    def __repr__(self):
        return f"<not among the {len(self.excluded)} variables of Keras's var_list>"


@keras.saving.register_keras_serializable(package="coreopt")
class MicroStepSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A Keras schedule read at Keras's micro-step count under gradient accumulation.

    Keras calls its schedule with `_iterations`, which counts micro-steps; the
    n-th applied step (0-based n, as coreopt's inner optimizer counts it) is
    micro-step n * steps + steps - 1, where this calls `schedule`. Keras finds
    registered classes only: a JSON config holding one loads once
    `coreopt.compat` has been imported.
    """

    def __init__(self, schedule, steps):
        self.schedule, self.steps = schedule, int(steps)

    def __call__(self, step):
        return self.schedule(step * self.steps + (self.steps - 1))

    def get_config(self):
        return {"schedule": keras.saving.serialize_keras_object(self.schedule),
                "steps": self.steps}

    @classmethod
    def from_config(cls, config):
        return cls(keras.saving.deserialize_keras_object(config["schedule"]), config["steps"])

    def __repr__(self):
        return f"MicroStepSchedule({self.schedule!r}, steps={self.steps})"


class NoArgumentSchedule:
    """Keras's callable learning rate of no arguments, as a schedule that ignores the step."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, step):
        return self.fn()

    def __repr__(self):
        return f"NoArgumentSchedule({self.fn!r})"
