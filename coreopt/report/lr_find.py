"""The record of a learning-rate range test (`coreopt lr-find`): files, table and summary.

Reads the `coreopt.train.LRFindResult` record only (its curve, suggestions
and why it stopped); writes lr_find.json and lr_find.png, each atomically.

Example:
    >>> from types import SimpleNamespace as Result  # the fields of a record read here
    >>> stop_text(Result(lrs=[0.1] * 40, steps=100, stopped="diverged", diverge=4.0))
    'stopped after 40 of 100 steps: the smoothed loss passed 4 x its best'
"""

from __future__ import annotations

import json
from pathlib import Path

from coreopt import files

OUTPUTS = ("lr_find.json", "lr_find.png")


def write_results(out, result) -> list[Path]:
    """lr_find.json (the record) and lr_find.png (the loss against the rate) into `out`."""
    from coreopt.plots import lr_find as plot

    record, figure = (Path(out) / name for name in OUTPUTS)
    files.write_text(record, json.dumps(result.to_dict(), indent=1))
    plot.save_lr_find(result, figure)
    return [record, figure]


def table(result) -> str:
    """The suggestions as a small two-column table: suggestion, learning rate."""
    from coreopt.train import lr_suggest

    rows = [("suggestion", "learning rate")]
    for name in lr_suggest.NAMES:
        lr = result.suggested(name)
        rows.append((lr_suggest.TITLES[name], "n/a" if lr is None else f"{lr:.3e}"))
    width = max(len(a) for a, _ in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)


def stop_text(result) -> str:
    """How far the ramp went, and why it stopped there."""
    run = f"{len(result.lrs)} of {result.steps} steps"
    if result.stopped == "diverged":
        return f"stopped after {run}: the smoothed loss passed {result.diverge:g} x its best"
    if result.stopped == "non-finite":
        return f"stopped after {run}: the next loss was not finite"
    return f"ran all {run}"
