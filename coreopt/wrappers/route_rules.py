"""The rules of a `coreopt.Route`: parsed, checked, and the slots' nesting by group.

`rules` is `[(selector, optimizer), ...]` (labels "0", "1", ...) or
`{label: (selector, optimizer)}`; a selector is a `coreopt.core.selectors`
selector (pattern, rank or callable), an optimizer a coreopt optimizer or its
`get_config()` dict. Everything here raises before any state exists.
"""

from __future__ import annotations

from coreopt.core.closures import carried
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import get
from coreopt.core.selectors import Selector
from coreopt.core.serialize import from_config

DEFAULT = "default"  # the label of the Route's `inner`


def parse(rules) -> tuple[bool, dict]:
    """(keyed, {label: (Selector, optimizer)}), every part checked."""
    if isinstance(rules, dict):
        for label in rules:
            if not isinstance(label, str) or not label or "." in label or label == DEFAULT:
                raise ValueError(f"`rules` labels must be non-empty str without '.', other than "
                                 f"{DEFAULT!r}; received {label!r}.")
        items, keyed = list(rules.items()), True
    elif isinstance(rules, (list, tuple)):
        items, keyed = [(str(i), rule) for i, rule in enumerate(rules)], False
    else:
        raise TypeError(f"`rules` must be a list of (selector, optimizer) pairs or a dict of "
                        f"them; received {type(rules).__name__}.")
    return keyed, {label: _rule(f"rules[{label!r}]", rule) for label, rule in items}


def _rule(where, rule):
    if not isinstance(rule, (list, tuple)) or len(rule) != 2:
        raise TypeError(f"`{where}` must be a pair (selector, optimizer); received {rule!r}.")
    selector, opt = rule
    if isinstance(opt, dict):
        opt = from_config(opt)
    if not isinstance(opt, Optimizer):
        raise TypeError(f"the optimizer of `{where}` must be a coreopt optimizer or its config; "
                        f"received {type(opt).__name__}.")
    return Selector(where, selector), opt


def overridden(parsed: dict, flat: dict) -> dict:
    """`parsed` with each group named in `flat` ("label.name": value) rebuilt with its values."""
    values = {}
    for key, value in flat.items():
        label, _, hyper = key.partition(".")
        if label not in parsed or not hyper:
            raise TypeError(f"Route got an unknown argument {key!r}. It takes: inner, rules, name "
                            f"and 'label.name' for the labels {', '.join(map(repr, parsed))}.")
        values.setdefault(label, {})[hyper] = value
    return {k: (sel, get(opt.chain_name, **{**opt.flat_config(), **values[k]}) if k in values
                else opt) for k, (sel, opt) in parsed.items()}


def check_groups(groups: dict, plain_scale_loss: tuple):
    """Each group its own optimizer object, none scaling the loss (`plain_scale_loss`)."""
    if not groups:
        raise ValueError("Route needs a default optimizer (`inner`) or at least one rule.")
    seen = {}
    for label, opt in groups.items():
        if id(opt) in seen:
            raise ValueError(f"Route: groups {seen[id(opt)]!r} and {label!r} share one optimizer "
                             "object; give each group its own (each counts its own steps).")
        seen[id(opt)] = label
        level = opt
        while level is not None:
            if type(level).scale_loss not in plain_scale_loss:
                raise ValueError(f"Route: group {label!r} scales the loss "
                                 f"({type(level).__name__}); put the loss scaling around the "
                                 "Route instead.")
            level = level.inner if getattr(level, "wraps", False) else None


def nest(label, slots) -> dict:
    """A variable's slots: the default's under "inner" (as any wrapper's), a group's by label."""
    return {"inner": slots} if label == DEFAULT else {"group": {label: slots}}


def unnest(tree, label, key="group"):
    """The part of `tree` (a variable's slots, or the state with key="groups") of `label`."""
    return tree["inner"] if label == DEFAULT else tree[key][label]


def label_in(slots) -> str:
    """The label a variable's slots are nested under (static: read from the structure)."""
    return DEFAULT if "inner" in slots else next(iter(slots["group"]))


def restricted(grad_fn, start, idx):
    """A group's `grad_fn`: its parameters moved, every other variable at the step's start."""

    def sub_fn(sub_params):
        full = list(start)
        for i, p in zip(idx, sub_params):
            full[i] = p
        grads = grad_fn(full)
        return [grads[i] for i in idx]

    return carried(sub_fn, grad_fn)  # the whole loss at the step's point
