"""Model Garden learning-rate configs read as schedules.

`from_model_garden` takes the `learning_rate` and `warmup` parts of a Model
Garden `OptimizationConfig` (`official/modeling/optimization/configs/
optimization_config.py`), as plain dicts, and builds what
`OptimizerFactory.build_learning_rate` (`optimizer_factory.py`) builds: the
`type`'s schedule, wrapped in the warmup when there is one. Field names are
upstream's (`initial_learning_rate`, `end_learning_rate`,
`warmup_learning_rate`, ...); each type's `name` field is dropped.

Example:
    >>> lr = from_model_garden(
    ...     {"type": "stepwise",
    ...      "stepwise": {"boundaries": [10000, 20000], "values": [0.1, 0.01, 0.001]}},
    ...     {"type": "linear", "linear": {"warmup_steps": 500, "warmup_learning_rate": 0.01}})
    >>> type(lr).__name__, type(lr.after).__name__
    ('LinearWarmup', 'Stepwise')
    >>> [round(float(lr(s)), 6) for s in (0, 250, 500, 15000)]
    [0.01, 0.055, 0.1, 0.01]
"""

from __future__ import annotations

from coreopt.schedules.base import Schedule, schedule_class

_INITIAL = {"initial_learning_rate": "initial"}

# Model Garden type -> (registry name here, {upstream field: field here}).
LEARNING_RATE_TYPES = {
    "constant": ("constant", {"learning_rate": "value"}),
    "stepwise": ("stepwise", {}),
    "exponential": ("exponential", _INITIAL),
    "polynomial": ("polynomial", {**_INITIAL, "end_learning_rate": "end"}),
    "cosine": ("cosine", _INITIAL),
    "power": ("power", _INITIAL),
    "power_linear": ("power_linear", _INITIAL),
    "power_with_offset": ("power_with_offset",
                          {**_INITIAL, "pre_offset_learning_rate": "pre_offset"}),
    "step_cosine_with_offset": ("step_cosine_with_offset", {}),
}
WARMUP_TYPES = {
    "linear": ("linear_warmup", {"warmup_learning_rate": "initial"}),
    "polynomial": ("polynomial_warmup", {}),
}


def from_model_garden(learning_rate: dict, warmup: dict | None = None) -> Schedule:
    """The schedule a Model Garden `learning_rate` (and `warmup`) config describes.

    Args:
        learning_rate: `{"type": t, t: {fields}}`, t one of `LEARNING_RATE_TYPES`.
        warmup: None, or `{"type": w, w: {fields}}`, w "linear" or "polynomial"
            (a missing or None type means no warmup, as upstream).

    Raises:
        ValueError: an unknown type or field (upstream's names are expected).
    """
    kind, fields = _oneof("learning_rate", learning_rate, LEARNING_RATE_TYPES)
    schedule = _build(LEARNING_RATE_TYPES[kind], fields, f"learning_rate.{kind}")
    if warmup and warmup.get("type") is not None:
        kind, fields = _oneof("warmup", warmup, WARMUP_TYPES)
        schedule = _build(WARMUP_TYPES[kind], {**fields, "after": schedule}, f"warmup.{kind}")
    return schedule


def _oneof(part: str, config: dict, types: dict) -> tuple[str, dict]:
    kind = config.get("type") if isinstance(config, dict) else None
    if kind not in types:
        raise ValueError(f"`{part}` must be a dict whose 'type' is one of "
                         f"{', '.join(map(repr, types))}; received {config!r:.120}.")
    return kind, dict(config.get(kind) or {})


def _build(entry, fields: dict, where: str) -> Schedule:
    name, renames = entry
    fields.pop("name", None)
    cls = schedule_class(name)
    if name == "exponential" and fields.get("staircase") is None:
        fields["staircase"] = False  # upstream's default is None, read as False
    unknown = sorted(k for k in fields if renames.get(k, k) not in cls._fields)
    if unknown:
        raise ValueError(f"unknown Model Garden fields {unknown} in `{where}`.")
    return cls(**{renames.get(k, k): v for k, v in fields.items()})
