"""Conversion from Keras 3 optimizers: `from_keras(keras_optimizer)`.

Given a configured `keras.optimizers.X`, returns the coreopt optimizer whose
trajectory is the same. Where Keras's convention differs from the paper, the
coreopt optimizer is configured through its named option (see each optimizer's
Notes); Keras's `weight_decay` becomes `DecoupledWeightDecay` and its
`clipnorm`, `clipvalue` and `global_clipnorm` the clipping wrappers, applied
in Keras's order (clip the gradients, decay the weights, step).

Example:
    >>> import keras, coreopt.compat
    >>> coreopt.compat.from_keras(keras.optimizers.SGD(0.1, momentum=0.9))
    Momentum(learning_rate=0.10000000149011612, momentum=0.9, nesterov=False)

The learning rate shows float32 rounding because Keras keeps it in a float32
variable; coreopt takes that value exactly.
"""

from __future__ import annotations

import keras

import coreopt.optimizers as o
from coreopt.wrappers import ClipByGlobalNorm, ClipByNorm, ClipByValue, DecoupledWeightDecay

_UNSUPPORTED = {
    "use_ema": "exponential moving average of the weights",
    "gradient_accumulation_steps": "gradient accumulation",
    "loss_scale_factor": "loss scaling",
}


def _sgd(k, lr):
    if k.momentum == 0:
        return o.GradientDescent(lr)
    return o.Momentum(lr, k.momentum, nesterov=k.nesterov)


def _adam(k, lr):
    return o.Adam(lr, k.beta_1, k.beta_2, k.epsilon, amsgrad=k.amsgrad, epsilon_hat=True,
                  float32_correction_betas=True)


def _rmsprop(k, lr):
    return o.RMSprop(lr, k.rho, k.momentum, k.epsilon, centered=k.centered,
                     epsilon_inside_sqrt=True, lr_inside_momentum=True)


def _adagrad(k, lr):
    return o.Adagrad(lr, k.initial_accumulator_value, k.epsilon, epsilon_inside_sqrt=True)


def _ftrl(k, lr):
    return o.Ftrl(lr, k.learning_rate_power, k.initial_accumulator_value,
                  k.l1_regularization_strength, k.l2_regularization_strength,
                  k.l2_shrinkage_regularization_strength, k.beta)


_CONVERTERS = {
    "SGD": _sgd,
    "Adam": _adam,
    "AdamW": _adam,  # Keras's AdamW is Adam plus its base-class weight decay.
    "RMSprop": _rmsprop,
    "Adagrad": _adagrad,
    "Ftrl": _ftrl,
    "Adamax": lambda k, lr: o.Adamax(lr, k.beta_1, k.beta_2, k.epsilon),
    "Nadam": lambda k, lr: o.Nadam(lr, k.beta_1, k.beta_2, k.epsilon, momentum_decay=1.0),
    "Adadelta": lambda k, lr: o.Adadelta(lr, k.rho, k.epsilon),
    "Adafactor": lambda k, lr: o.Adafactor(lr, k.beta_2_decay, k.epsilon_1, k.epsilon_2,
                                           k.clip_threshold),
    "Lion": lambda k, lr: o.Lion(lr, k.beta_1, k.beta_2),
    "Lamb": lambda k, lr: o.Lamb(lr, k.beta_1, k.beta_2, k.epsilon),
}


def from_keras(keras_optimizer):
    """The coreopt optimizer that follows the same trajectory as `keras_optimizer`.

    Args:
        keras_optimizer: an instance of one of the Keras 3 classes SGD, RMSprop,
            Adam, AdamW, Adadelta, Adagrad, Adamax, Adafactor, Nadam, Ftrl,
            Lion, Lamb. Its configuration is converted; its state (slots,
            iterations) is not.

    Returns:
        A coreopt optimizer, wrapped in `DecoupledWeightDecay` and a clipping
        wrapper where the Keras optimizer sets them.

    Raises:
        TypeError: for another class (a subclass of a supported one included).
        ValueError: for an option coreopt does not support (`use_ema`,
            `gradient_accumulation_steps`, `loss_scale_factor`,
            `exclude_from_weight_decay`).
    """
    kind = type(keras_optimizer).__name__
    converter = _CONVERTERS.get(kind)
    if converter is None or type(keras_optimizer).__module__.split(".")[0] != "keras":
        raise TypeError(
            f"from_keras does not support {type(keras_optimizer).__qualname__}; supported: "
            f"{', '.join(sorted(_CONVERTERS))} from `keras.optimizers`."
        )
    for option, what in _UNSUPPORTED.items():
        if getattr(keras_optimizer, option, None):
            raise ValueError(
                f"from_keras: the Keras option `{option}` ({what}) is not supported yet; "
                f"received {option}={getattr(keras_optimizer, option)!r}."
            )
    if getattr(keras_optimizer, "_exclude_from_weight_decay", None) or getattr(
            keras_optimizer, "_exclude_from_weight_decay_pattern", None):
        raise ValueError(
            "from_keras: `exclude_from_weight_decay` is not supported yet; the converted "
            "optimizer would decay every variable."
        )
    optimizer = converter(keras_optimizer, _learning_rate(keras_optimizer))
    return _wrap(optimizer, keras_optimizer)


def _learning_rate(k):
    """A Keras learning rate: its schedule or callable as is, else its float value."""
    lr = k._learning_rate
    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule) or callable(lr):
        return lr
    return float(keras.ops.convert_to_numpy(lr))


def _wrap(optimizer, k):
    if k.weight_decay:
        optimizer = DecoupledWeightDecay(optimizer, float(k.weight_decay))
    if k.clipnorm:
        optimizer = ClipByNorm(optimizer, float(k.clipnorm))
    elif k.global_clipnorm:
        optimizer = ClipByGlobalNorm(optimizer, float(k.global_clipnorm))
    elif k.clipvalue:
        optimizer = ClipByValue(optimizer, float(k.clipvalue))
    return optimizer
