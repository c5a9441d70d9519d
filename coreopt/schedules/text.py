"""Schedules written as text: `cosine(initial=0.1, decay_steps=1000)`, or their JSON config.

A call names a registered schedule (`coreopt.schedules.names()`) or its class
(`Cosine`), with Python literals or other schedule calls as arguments, so a
warmup reads `linear_warmup(after=cosine(initial=0.1, decay_steps=1000),
warmup_steps=100)`. The command line takes this form (`coreopt plot --kind
schedule`), and so do hyperparameters in chain names:
`momentum(learning_rate=cosine(initial=0.1, decay_steps=500))`.

Example:
    >>> from coreopt.schedules.text import parse
    >>> lr = parse("wsd(peak=0.1, total_steps=100, warmup_steps=10, decay_steps=20)")
    >>> type(lr).__name__, [round(float(lr(k)), 6) for k in (5, 50, 90)]
    ('WarmupStableDecay', [0.05, 0.1, 0.05])
    >>> float(parse('{"schedule": "constant", "config": {"value": 0.5}}')(7))
    0.5
"""

from __future__ import annotations

import ast
import json

from coreopt.schedules.base import Schedule, from_config, names, schedule_class


def parse(text: str) -> Schedule:
    """The schedule `text` describes: a call as above, or a `to_config` JSON object.

    Raises:
        ValueError: text that is neither, or an unknown schedule (with "did you mean").
        TypeError, ValueError: the schedule's own errors for its arguments.
    """
    text = str(text).strip()
    if text.startswith("{"):
        return from_config(json.loads(text))
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise ValueError(_form(text)) from None
    if not isinstance(node, ast.Call):
        raise ValueError(_form(text))
    return from_node(node)


def from_node(node: ast.Call) -> Schedule:
    """The schedule of a parsed call (`ast.Call`), nested calls included."""
    if not isinstance(node.func, ast.Name):
        raise ValueError(f"{ast.unparse(node)!r}: a schedule is called by its name, as "
                         "'cosine(initial=0.1, decay_steps=1000)'.")
    cls = _by_class_name().get(node.func.id) or schedule_class(node.func.id)
    args = [value(a) for a in node.args]
    return cls(*args, **{kw.arg: value(kw.value) for kw in node.keywords})


def value(node):
    """A literal, a list of them, or a schedule call, as a Python value."""
    if isinstance(node, ast.Call):
        return from_node(node)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [value(item) for item in node.elts]
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(f"{ast.unparse(node)!r} is neither a Python literal nor a schedule "
                         "call.") from None


def _by_class_name() -> dict:
    return {schedule_class(n).__name__: schedule_class(n) for n in names()}


def _form(text: str) -> str:
    return (f"{text!r} is not a schedule: write a call such as 'cosine(initial=0.1, "
            "decay_steps=1000)' (names: " + ", ".join(names()) + ") or a JSON config.")
