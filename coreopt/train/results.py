"""Training results: which weights a run was tested on, and the histories a resumed run keeps.

A chain whose level has `swapped(variables)` is tested on the weights that
level swaps in: an EMA's averages, or Schedule-Free's x (the variables hold
y while training). Each record of such a run names them in "test_weights"
(`weights_label`), and `evaluation_text` says so in words.

A results folder holds `history.json`, {optimizer name: its records}. A run
that resumes only some of its optimizers keeps the others' saved histories:
`merge(saved, new)`.

Example:
    >>> merge({"adam": [{"epoch": 1}], "gd": [{"epoch": 1}]}, {"adam": [{"epoch": 1},
    ...        {"epoch": 2}]})
    {'adam': [{'epoch': 1}, {'epoch': 2}], 'gd': [{'epoch': 1}]}
"""

from __future__ import annotations

import json
from pathlib import Path

AVERAGED = "ema average"  # "test_weights" of a record tested on an EMA's averages
SCHEDULE_FREE = "schedule-free x"  # ... on Schedule-Free's evaluation point x
SWAPPED = "swapped in"  # ... on the weights another level's `swapped` gives
LABELS = {"ema": AVERAGED, "schedule_free": SCHEDULE_FREE}  # registry-name prefix -> label
PHRASES = {AVERAGED: "the EMA's averaged weights",
           SCHEDULE_FREE: "Schedule-Free's x (its averaged iterate; training steps y)",
           SWAPPED: "the weights their optimizer swaps in"}


def averaging_level(optimizer):
    """The outermost level of a chain with `swapped(variables)` (EMA, Schedule-Free), or None."""
    level = optimizer
    while level is not None:
        if callable(getattr(level, "swapped", None)):
            return level
        level = getattr(level, "inner", None) if getattr(level, "wraps", False) else None
    return None


def weights_label(level) -> str | None:
    """The "test_weights" of records tested with `level.swapped`; None for no level."""
    if level is None:
        return None
    name = getattr(level, "registry_name", None) or type(level).__name__.lower()
    return next((label for prefix, label in LABELS.items() if name.startswith(prefix)),
                SWAPPED)


def evaluation_text(histories: dict) -> str:
    """Which weights each run's test figures are of, as a sentence for a report."""
    groups: dict = {}
    for name, history in histories.items():
        label = history[-1].get("test_weights") if history else None
        groups.setdefault(label, []).append(name)
    trained = groups.pop(None, [])
    if not groups:
        return "test loss and accuracy of the trained weights"
    parts = [f"of {', '.join(names)} on {PHRASES.get(label, label)}"
             for label, names in groups.items()]
    text = ("test loss and accuracy " + "; ".join(parts) + " (swapped in for each "
            "evaluation; training goes on from the trained weights)")
    return text + (f"; of {', '.join(trained)} on the trained weights" if trained else "")


def load_histories(path) -> dict:
    """The histories saved at `path` (a history.json), {} when there is none."""
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else {}


def merge(saved: dict, new: dict) -> dict:
    """`saved` with each run of `new` in its place (its history holds the resumed epochs
    too), and `new`'s other runs after, in their order."""
    return {**saved, **new}


def saved_rate(meta: dict):
    """The innermost learning rate of a checkpoint's meta ("config"), None if not a number."""
    config = meta.get("config", {})
    while isinstance(config.get("inner"), dict):
        config = config["inner"]
    rate = config.get("config", {}).get("learning_rate")
    return float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None
