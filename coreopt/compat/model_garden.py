"""Conversion from TensorFlow Model Garden optimization configs: `from_model_garden(config)`.

Takes an `OptimizationConfig` (`official/modeling/optimization/configs/
optimization_config.py`) as a plain dict, `{"optimizer": {"type": t, t: {...}},
"learning_rate": {...}, "warmup": {...}, "ema": {...}}`, and returns the coreopt
optimizer that `OptimizerFactory.build_optimizer` (`optimizer_factory.py`) would
build, with the schedule of `coreopt.schedules.model_garden.from_model_garden`.
Fields and defaults are upstream's (`configs/optimizer_config.py`, tabled in
`coreopt.compat._model_garden_fields`); `name` and `jit_compile` are ignored.

    type                class upstream builds          coreopt chain
    sgd                 keras legacy SGD               GradientDescent, or Momentum
    sgd_experimental    keras SGD                      the same
    adam                keras legacy Adam              Adam(epsilon_hat=True)
    adam_experimental   keras Adam                     Adam(epsilon_hat=True)
    adamw               legacy_adamw.AdamWeightDecay   AdamWeightDecay
    adamw_experimental  keras AdamW                    ClipByGlobalNorm(DecoupledWeightDecay(Adam))
    rmsprop             keras legacy RMSprop           RMSprop (epsilon outside the root
                                                       when momentum is 0, as legacy Keras)
    adagrad             keras legacy Adagrad           Adagrad(epsilon_inside_sqrt=False)
    lamb                tensorflow_addons LAMB         Lamb (weight decay inside the ratio);
                                                       with exclusions a Route to Adam groups
    lars                lars_optimizer.LARS            LARS
    slide, adafactor    refused: unimplemented upstream (see REFUSED_TYPES)

`use_legacy_optimizer=False` is upstream's other path: sgd is refused there
(upstream raises on SGDConfig's `decay`), adam is Keras's Adam, rmsprop and
adagrad are Keras 3's (epsilon inside the root), EMA is refused (upstream raises).
Base-config clipping becomes ClipByValue, ClipByNorm, ClipByGlobalNorm, outermost
first (legacy Keras's order, AdamWeightDecay's own `gradient_clip_norm` before
them); the Keras classes take one. `ema` becomes `coreopt.EMA` with Model Garden's
conventions (`ExponentialMovingAverage`, `ema_optimizer.py`: from zero, decay 0 before
`start_step`, the dynamic decay, float32 arithmetic).

Model Garden's defaults differ from Keras's: Adam's and RMSprop's epsilon 1e-7
(as Keras), Adagrad's initial accumulator 0.1 and epsilon 1e-7, AdamW's
`weight_decay_rate` 0 with `gradient_clip_norm` 1.0, the experimental AdamW's
`weight_decay` 0 with `global_clipnorm` 1.0 (Keras: 0.004, none), LAMB's
epsilon 1e-6 (Keras 1e-7), LARS's lr 0.01, momentum 0.9, eeta 0.001. Variable
lists become one regular expression searched in the variable's path (its name
without ":0"). In float64 the hyperparameters are rounded as Keras 3 rounds them
(`coreopt.compat.keras`); legacy Keras keeps them in float32 variables.

Example:
    >>> import coreopt.compat
    >>> opt = coreopt.compat.from_model_garden({
    ...     "optimizer": {"type": "adamw", "adamw": {"weight_decay_rate": 0.01,
    ...                   "exclude_from_weight_decay": ["LayerNorm", "bias"]}},
    ...     "learning_rate": {"type": "polynomial", "polynomial": {
    ...         "initial_learning_rate": 1e-4, "decay_steps": 1000}},
    ...     "warmup": {"type": "linear", "linear": {"warmup_steps": 100}}})
    >>> type(opt).__name__, opt.get_config()["config"]["exclude_from_weight_decay"]
    ('AdamWeightDecay', '(?:LayerNorm)|(?:bias)')
"""

from __future__ import annotations

import difflib

import numpy as np

import coreopt.optimizers as o
from coreopt.compat._model_garden_fields import (
    CLIP_FIELDS,
    EMA_FIELDS,
    OPTIMIZER_FIELDS,
    REFUSED_TYPES,
)
from coreopt.schedules import model_garden as schedules
from coreopt.wrappers import (
    ClipByGlobalNorm,
    ClipByNorm,
    ClipByValue,
    DecoupledWeightDecay,
    Route,
)

__all__ = ["from_model_garden"]

_PARTS = ("optimizer", "learning_rate", "warmup", "ema")
_KERAS_NEW = {"sgd_experimental", "adam_experimental", "adamw_experimental"}


def from_model_garden(config: dict, *, use_legacy_optimizer: bool = True):
    """The coreopt optimizer a Model Garden optimization config describes.

    Args:
        config: `{"optimizer": ..., "learning_rate": ..., "warmup": ..., "ema": ...}`
            (the last two optional), upstream's field names and defaults.
        use_legacy_optimizer: `build_optimizer`'s argument of that name (upstream's
            default True: the legacy Keras classes).

    Returns:
        A coreopt optimizer, inside the wrappers the config asks for.

    Raises:
        ValueError: an unknown part, type or field (with the accepted ones), or a
            type, field or value coreopt does not reproduce (saying why).
    """
    if not isinstance(config, dict):
        raise TypeError(f"from_model_garden: config must be a dict; received {config!r:.80}.")
    _check_names("the config", config, _PARTS)
    kind, fields = _optimizer_fields(config.get("optimizer"))
    if "learning_rate" not in config:
        raise ValueError("from_model_garden: `learning_rate` is required ({'type': ..., ...}).")
    lr = schedules.from_model_garden(config["learning_rate"], config.get("warmup"))
    new = kind in _KERAS_NEW or not use_legacy_optimizer
    optimizer = _BUILDERS[kind](fields, lr, new)
    optimizer = _clip(optimizer, fields, kind, new, lr)
    if config.get("ema") is not None:
        if not use_legacy_optimizer:
            raise ValueError("from_model_garden: `ema` needs use_legacy_optimizer=True "
                             "(Model Garden's OptimizerFactory raises otherwise).")
        optimizer = _ema(config["ema"], optimizer)
    return optimizer


def _check_names(where: str, given, accepted) -> None:
    unknown = [k for k in given if k not in accepted]
    if unknown:
        hints = [f"{k!r} (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(
            k, list(accepted), 1)) else repr(k) for k in unknown]
        raise ValueError(f"from_model_garden: unknown field(s) {', '.join(hints)} in {where}; "
                         f"Model Garden defines: {', '.join(accepted)}.")


def _optimizer_fields(part) -> tuple[str, dict]:
    kind = part.get("type") if isinstance(part, dict) else None
    known = sorted([*OPTIMIZER_FIELDS, *REFUSED_TYPES])
    if kind in REFUSED_TYPES:
        raise ValueError(f"from_model_garden: optimizer type {kind!r} is not converted: "
                         f"{REFUSED_TYPES[kind]}.")
    if kind not in OPTIMIZER_FIELDS:
        close = difflib.get_close_matches(str(kind), known, 1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"from_model_garden: unknown optimizer type {kind!r}.{hint} "
                         f"Model Garden's types: {', '.join(known)}.")
    _check_names("`optimizer`", part, ["type", kind])
    defaults = {**CLIP_FIELDS, **OPTIMIZER_FIELDS[kind]}
    given = dict(part.get(kind) or {})
    _check_names(f"`optimizer.{kind}`", given, list(defaults))
    return kind, {**defaults, **given}


def _float32(value) -> float:
    """`value` rounded through float32, as Keras 3's TensorFlow backend casts it."""
    return float(np.float32(value))


def _pattern(names) -> str:
    """Upstream's list of regular expressions (each `re.search`ed) as one pattern."""
    if isinstance(names, str):
        names = [names]
    return "|".join(f"(?:{n})" for n in names or ())


def _sgd(f, lr, new):
    if f.get("decay", 0.0):
        raise ValueError("from_model_garden: `optimizer.sgd.decay` (legacy Keras's inverse-time "
                         "decay of the learning rate) is not mapped; leave it 0 and put the "
                         "decay in `learning_rate`.")
    if new and "decay" in f:
        raise ValueError("from_model_garden: type 'sgd' with use_legacy_optimizer=False: Model "
                         "Garden raises there (SGDConfig always has `decay`); use "
                         "'sgd_experimental'.")
    if not f["momentum"]:
        return o.GradientDescent(lr)
    return o.Momentum(lr, _float32(f["momentum"]), nesterov=bool(f["nesterov"]))


def _adam(f, lr, new=True):
    return o.Adam(lr, f["beta_1"], f["beta_2"], f["epsilon"], amsgrad=bool(f["amsgrad"]),
                  epsilon_hat=True, float32_correction_betas=True)


def _adamw_experimental(f, lr, new):
    adam = _adam(f, lr)
    return DecoupledWeightDecay(adam, _float32(f["weight_decay"])) if f["weight_decay"] else adam


def _adam_weight_decay(f, lr, new, clip=True):
    return o.AdamWeightDecay(
        lr, f["beta_1"], f["beta_2"], f["epsilon"], f["weight_decay_rate"],
        max(float(f["gradient_clip_norm"]), 0.0) if clip else 0.0, amsgrad=bool(f["amsgrad"]),
        include_in_weight_decay=_pattern(f["include_in_weight_decay"]),
        exclude_from_weight_decay=_pattern(f["exclude_from_weight_decay"]))


def _rmsprop(f, lr, new):
    # Legacy Keras without momentum: lr * g / (sqrt(v) + eps); with it (ResourceApplyRMSProp)
    # and in Keras 3: lr * g / sqrt(v + eps).
    inside = new or f["momentum"] > 0
    return o.RMSprop(lr, f["rho"], f["momentum"], f["epsilon"], centered=bool(f["centered"]),
                     epsilon_inside_sqrt=inside, lr_inside_momentum=True)


def _adagrad(f, lr, new):
    initial = _float32(f["initial_accumulator_value"]) if new else f["initial_accumulator_value"]
    return o.Adagrad(lr, initial, f["epsilon"], epsilon_inside_sqrt=new)


def _lars(f, lr, new):
    return o.LARS(lr, f["momentum"], f["weight_decay_rate"], f["eeta"], 0.0,
                  nesterov=bool(f["nesterov"]), classic_momentum=bool(f["classic_momentum"]),
                  exclude_from_weight_decay=_pattern(f["exclude_from_weight_decay"]),
                  exclude_from_layer_adaptation=_pattern(f["exclude_from_layer_adaptation"]))


def _lamb(f, lr, new):
    """TFA's LAMB: its exclusions route variables to Lamb without decay, or to Adam (no trust
    ratio), decayed as LAMB decays them (lr * rate * x, the same as decoupled decay)."""
    wd = float(f["weight_decay_rate"])
    no_decay = _pattern(f["exclude_from_weight_decay"])
    no_ratio = _pattern(f["exclude_from_layer_adaptation"]) or no_decay  # TFA's fallback

    def lamb(rate):
        return o.Lamb(lr, f["beta_1"], f["beta_2"], f["epsilon"], weight_decay=rate,
                      float32_correction_betas=True)

    def adam(rate):
        plain = o.Adam(lr, f["beta_1"], f["beta_2"], f["epsilon"])  # epsilon after the correction
        return DecoupledWeightDecay(plain, wd) if rate else plain

    if not no_ratio:
        return lamb(wd)
    decays = f"(?!.*(?:{no_decay}))" if no_decay else ""
    groups = {"no_ratio": (f"^(?=.*(?:{no_ratio})){decays}", adam(wd))}
    if no_decay and wd:
        groups["no_ratio_no_decay"] = (f"^(?=.*(?:{no_ratio}))(?=.*(?:{no_decay}))", adam(0.0))
        groups["no_decay"] = (f"^(?!.*(?:{no_ratio}))(?=.*(?:{no_decay}))", lamb(0.0))
    return Route(lamb(wd), groups)


_BUILDERS = {
    "sgd": _sgd, "sgd_experimental": _sgd, "adam": _adam, "adam_experimental": _adam,
    "adamw": _adam_weight_decay, "adamw_experimental": _adamw_experimental, "lamb": _lamb,
    "rmsprop": _rmsprop, "lars": _lars, "adagrad": _adagrad,
}


def _clip(optimizer, f, kind, new, lr):
    """Base-config clipping, outermost first: clipvalue, clipnorm / global_clipnorm."""
    given = [k for k in ("clipvalue", "clipnorm", "global_clipnorm") if f[k] is not None
             and not (new and not f[k])]  # the new Keras classes read 0 as "no clipping"
    if new and len(given) > 1 or {"clipnorm", "global_clipnorm"} <= set(given):
        raise ValueError(f"from_model_garden: `optimizer.{kind}` sets {' and '.join(given)}; "
                         "Keras accepts one of them (set the others to None).")
    first = kind == "adamw" and given and f["gradient_clip_norm"] > 0
    if first:  # AdamWeightDecay clips to gradient_clip_norm before the base class clips.
        optimizer = _adam_weight_decay(f, lr, new, clip=False)
    wrappers = {"global_clipnorm": ClipByGlobalNorm, "clipnorm": ClipByNorm,
                "clipvalue": ClipByValue}
    for key in reversed(given):
        optimizer = wrappers[key](optimizer, float(f[key]))
    if first:
        optimizer = ClipByGlobalNorm(optimizer, float(f["gradient_clip_norm"]))
    return optimizer


def _ema(part, optimizer):
    """Model Garden's ExponentialMovingAverage as `coreopt.EMA` with its conventions: the
    average starts at zero, its decay is 0 before `start_step`, then `average_decay` or,
    with `dynamic_decay`, min(average_decay, (1 + d) / (10 + d)), d = step - start_step,
    in float32 arithmetic."""
    if not isinstance(part, dict):
        raise TypeError(f"from_model_garden: `ema` must be a dict; received {part!r:.80}.")
    _check_names("`ema`", part, list(EMA_FIELDS))
    f = {**EMA_FIELDS, **part}
    clips = [k for k in CLIP_FIELDS if f[k] is not None]
    if clips:
        raise ValueError(f"from_model_garden: `ema.{clips[0]}` has no effect in Model Garden "
                         "(ExponentialMovingAverage hands the gradients to its optimizer); set "
                         "it in the optimizer's config.")
    if not f["trainable_weights_only"]:
        raise ValueError("from_model_garden: `ema.trainable_weights_only=False` (averaging "
                         "variables the optimizer does not step, such as batch-norm statistics) "
                         "is not reproduced: coreopt.EMA averages the variables it steps.")
    from coreopt.wrappers.ema import EMA

    return EMA(optimizer, momentum=float(f["average_decay"]), start_step=f["start_step"],
               dynamic_decay=bool(f["dynamic_decay"]), initial_average="zeros",
               float32_decay=True)
