"""Training telemetry from history records: the figure, the last epoch's table, CSV columns.

A record with telemetry (`coreopt.train.Trainer(..., telemetry=True)`) has
`record["telemetry"] = {layer: {"grad_norm": ..., "update_ratio": ...,
"effective_lr": ...}}`, each the epoch's mean (None where undefined; see
`coreopt.train.telemetry`). Nothing here imports TensorFlow.

Example:
    >>> import tempfile, pathlib
    >>> from coreopt.plots import telemetry
    >>> t = {"dense_0/w": {"grad_norm": 0.5, "update_ratio": 1e-3, "effective_lr": 0.1}}
    >>> h = {"gd": [{"epoch": 1, "loss": 1.0, "telemetry": t}]}
    >>> telemetry.flat(h["gd"][0])["telemetry/dense_0/w/update_ratio"]
    0.001
    >>> telemetry.save_figure(h, tempfile.mkdtemp()).name
    'telemetry.png'
    >>> print(telemetry.table(h).splitlines()[2])
    | gd | dense_0/w | 0.5 | 0.001 | 0.1 |
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from coreopt import files

MEASURES = {"grad_norm": "gradient norm ||g||", "update_ratio": "update ratio ||Δθ|| / ||θ||",
            "effective_lr": "effective learning rate ||Δθ|| / ||g||"}
STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "v", "D", "x", "*")  # with STYLES: 28 distinct layers


def has_telemetry(histories: dict) -> bool:
    """True when a record of any run has telemetry."""
    return any("telemetry" in r for h in histories.values() for r in h)


def flat(record: dict) -> dict:
    """The record with its telemetry as columns "telemetry/<layer>/<measure>" (for CSV)."""
    row = {k: v for k, v in record.items() if k != "telemetry"}
    for layer, values in record.get("telemetry", {}).items():
        for measure, value in values.items():
            row[f"telemetry/{layer}/{measure}"] = "" if value is None else value
    return row


def figure(histories: dict) -> Figure:
    """One panel per measure (log scale), one line per run and layer, by epoch.

    Colour: the run (as in loss.png); line style and marker: the layer (a marker
    on every epoch, so that a single epoch shows).

    Raises:
        ValueError: when no record has telemetry.
    """
    if not has_telemetry(histories):
        raise ValueError("no record has telemetry: train with telemetry=True (--telemetry).")
    fig = Figure(figsize=(4.2 * len(MEASURES), 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(MEASURES))
    for i, (name, history) in enumerate(histories.items()):
        records = [r for r in history if "telemetry" in r]
        layers = list(dict.fromkeys(k for r in records for k in r["telemetry"]))
        for j, layer in enumerate(layers):
            style = {"color": f"C{i % 10}", "linestyle": STYLES[j % len(STYLES)],
                     "marker": MARKERS[j % len(MARKERS)], "markersize": 3}
            for ax, measure in zip(axes, MEASURES, strict=True):
                ax.plot([r["epoch"] for r in records],
                        [_value(r, layer, measure) for r in records],
                        label=f"{name} {layer}", **style)
    for ax, label in zip(axes, MEASURES.values(), strict=True):
        ax.set_title(label, fontsize="medium")
        ax.set_xlabel("epoch")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def _value(record, layer, measure) -> float:
    value = record["telemetry"].get(layer, {}).get(measure)
    return math.nan if value is None or value <= 0 else value  # log scale: gaps


def save_figure(histories: dict, folder) -> Path:
    """Saves `telemetry.png` into `folder` (atomically); returns its path."""
    path = Path(folder) / "telemetry.png"
    with files.atomic(path) as tmp:
        figure(histories).savefig(tmp, dpi=110)
    return path


def table(histories: dict) -> str:
    """Markdown table: each run's last record with telemetry, one row per layer."""
    lines = ["| optimizer | layer | gradient norm | update ratio | effective lr |",
             "|---|---|--:|--:|--:|"]
    for name, history in histories.items():
        records = [r for r in history if "telemetry" in r]
        if not records:
            continue
        for layer, values in records[-1]["telemetry"].items():
            cells = ["n/a" if values.get(m) is None else f"{values[m]:.4g}" for m in MEASURES]
            lines.append(f"| {name} | {layer} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def section(histories: dict) -> list[str]:
    """report.md's telemetry section (lines), or [] when no record has telemetry."""
    if not has_telemetry(histories):
        return []
    return ["## Telemetry", "",
            "Per layer (trainable variable), the mean over each epoch's steps of the gradient "
            "norm ||g||, the update ratio ||Δθ|| / ||θ|| (θ before the step; ~1e-3 is the "
            "usual rule of thumb) and the effective learning rate ||Δθ|| / ||g|| (plain SGD: "
            "its learning rate), Δθ being whatever the whole chain changed. Last epoch; "
            "n/a: undefined at every step (a zero denominator). Every epoch: history.csv "
            "(columns telemetry/<layer>/<measure>) and history.json.", "",
            table(histories), "![telemetry](telemetry.png)", ""]
