"""Chain names: one short syntax for an optimizer inside wrappers.

    "adam"                                  an optimizer
    "ema:adam"                              EMA of Adam's weights
    "sam(rho=0.1):momentum(momentum=0.9)"   hyperparameters in parentheses
    "clip_by_norm(clipnorm=1):ema:adamw"    outermost first

Values are Python literals (numbers, True/False, quoted strings) or schedules
written as calls, "adam(learning_rate=cosine(initial=0.01, decay_steps=1000))"
(`coreopt.schedules.text`). In a flat
config a wrapper's hyperparameters are named "wrapper.key" ("sam.rho"), the
innermost optimizer's bare ("learning_rate"), which is how the lab, the
command line and `coreopt.get` name them.

Example:
    >>> parse("sam(rho=0.1):Momentum")
    [('sam', {'rho': 0.1}), ('momentum', {})]
    >>> resolve("sam(rho=0.1):momentum(momentum=0.9)")
    ('sam:momentum', {'sam.rho': 0.1, 'momentum': 0.9})
"""

from __future__ import annotations

import ast

from coreopt.core import registry


def split_top(text: str, sep: str) -> list[str]:
    """`text` split at `sep` outside parentheses; parts stripped, empty ones dropped."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            raise ValueError(f"unbalanced parentheses in {text!r}")
        if char == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise ValueError(f"unbalanced parentheses in {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse(name: str) -> list[tuple[str, dict]]:
    """[(canonical registry name, hyperparameters)], outermost first.

    Raises:
        ValueError: an unknown name (with "did you mean"), a bad parameter
            list, a wrapper in the innermost place or an optimizer outside it.
    """
    parts = split_top(str(name), ":")
    if not parts:
        raise ValueError(f"empty optimizer name {name!r}")
    out = []
    for i, part in enumerate(parts):
        base, _, rest = part.partition("(")
        entry = registry.entry(base.strip())
        last = i == len(parts) - 1
        if entry.wrapper == last:
            where = "innermost" if last else "outer"
            raise ValueError(
                f"in {name!r}, {entry.name!r} cannot be the {where} part: a chain is wrappers "
                "then one optimizer, as in 'ema:adam'.")
        out.append((entry.name, _params(part, rest)))
    return out


def _params(part: str, rest: str) -> dict:
    if not rest:
        return {}
    if not rest.endswith(")"):
        raise ValueError(f"{part!r}: hyperparameters go in parentheses, as 'ema(momentum=0.9)'")
    try:
        call = ast.parse(f"f({rest}", mode="eval").body
        if call.args:
            raise ValueError
        return {kw.arg: _value(kw.value) for kw in call.keywords}
    except (SyntaxError, ValueError):
        raise ValueError(
            f"{part!r}: hyperparameters must read key=value with Python literals or "
            "schedules, as 'sam(rho=0.05, adaptive=True)' or "
            "'momentum(learning_rate=cosine(initial=0.1, decay_steps=500))'") from None


def _value(node):
    """A literal, or a schedule where the value is a call (`coreopt.schedules.text`)."""
    if not any(isinstance(n, ast.Call) for n in ast.walk(node)):
        return ast.literal_eval(node)
    from coreopt.schedules import text  # imports TensorFlow: only for a schedule

    return text.value(node)


def canonical(name: str) -> str:
    """`name` with registry names for aliases and its parameters written one way.

    >>> canonical("SAM( rho = 0.1 ):sgd")
    'sam(rho=0.1):gd'
    """
    parts = parse(name)
    return ":".join(p + (f"({', '.join(f'{k}={v!r}' for k, v in kw.items())})" if kw else "")
                    for p, kw in parts)


def resolve(name: str) -> tuple[str, dict]:
    """(canonical chain name without parameters, the flat config its parameters give)."""
    parts = parse(name)
    flat = {}
    for i, (part, params) in enumerate(parts):
        inner = i == len(parts) - 1
        flat.update({k if inner else f"{part}.{k}": v for k, v in params.items()})
    return ":".join(p for p, _ in parts), flat


def build(name: str, flat: dict):
    """The optimizer `name` names, with the flat config `flat` on top of the name's own.

    Raises:
        ValueError: a "wrapper.key" whose wrapper is not in the chain.
        TypeError, ValueError: the spec's own errors for unknown or bad values.
    """
    parts = parse(name)
    given = dict(flat)
    prefixes = {p for p, _ in parts[:-1]}
    for key in given:
        prefix = key.partition(".")[0] if "." in key else None
        if prefix is not None and prefix not in prefixes:
            raise ValueError(f"{key!r} names the wrapper {prefix!r}, which {name!r} does not "
                             f"have; its wrappers: {', '.join(sorted(prefixes)) or 'none'}.")
    base_name, base_params = parts[-1]
    own = {k: v for k, v in given.items() if "." not in k}
    optimizer = registry.entry(base_name).cls(**{**base_params, **own})
    for part, params in reversed(parts[:-1]):
        mark = f"{part}."
        values = {k[len(mark):]: v for k, v in given.items() if k.startswith(mark)}
        optimizer = registry.entry(part).cls(optimizer, **{**params, **values})
    return optimizer


def defaults(name: str) -> dict:
    """The flat config of `name` built with its defaults (and the name's parameters)."""
    return build(name, {}).flat_config()
