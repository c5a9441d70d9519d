"""The record of a learning-rate range test (`coreopt lr-find`): files, table and summary.

Reads the `coreopt.train.LRFindResult` record only (its curve, suggestions
and why it stopped); writes lr_find.json and lr_find.png, each atomically.
With `--population`, the scan's `LRScan` record too: lr_scan.json and
lr_scan.png (the ramp's figure beside the scan's), and `scan_text`.

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
SCAN_OUTPUTS = ("lr_scan.json", "lr_scan.png")


def write_results(out, result) -> list[Path]:
    """lr_find.json (the record) and lr_find.png (the loss against the rate) into `out`."""
    from coreopt.plots import lr_find as plot

    record, figure = (Path(out) / name for name in OUTPUTS)
    files.write_text(record, json.dumps(result.to_dict(), indent=1))
    plot.save_lr_find(result, figure)
    return [record, figure]


def table(result, extra: tuple = ()) -> str:
    """The suggestions as a small two-column table: suggestion, learning rate.

    `extra`: more (name, learning rate) rows after the suggestions.
    """
    from coreopt.train import lr_suggest

    rows = [("suggestion", "learning rate")]
    for name in lr_suggest.NAMES:
        lr = result.suggested(name)
        rows.append((lr_suggest.TITLES[name], "n/a" if lr is None else f"{lr:.3e}"))
    rows += [(name, f"{lr:.3e}") for name, lr in extra]
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


def write_scan(out, scan, ramp) -> list[Path]:
    """lr_scan.json (the scan's record) and lr_scan.png (ramp and scan side by side)."""
    from coreopt.plots import lr_find as plot

    record, figure = (Path(out) / name for name in SCAN_OUTPUTS)
    files.write_text(record, json.dumps(scan.to_dict(), indent=1))
    plot.save_lr_scan(scan, ramp, figure)
    return [record, figure]


def scan_text(ramp, scan, comparison: str) -> str:
    """Both answers, the ramp's then the scan's tables, and the sentence comparing them."""
    rates = f"{len(scan.lrs)} constant rates from {scan.lrs[0]:.3g} to {scan.lrs[-1]:.3g}"
    return (f"ramp: one run, the rate rising each step\n{table(ramp)}\n\n"
            f"population scan: {rates}, {scan.epochs} epoch(s) each, on {scan.problem}\n"
            f"{table(scan, [('lowest loss at', scan.best())])}\n\n{comparison}")
