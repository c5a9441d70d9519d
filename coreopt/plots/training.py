"""Loss and accuracy curves of training runs, from their history records.

A history is a list of per-epoch dicts with the keys `epoch`, `loss`,
`accuracy`, `test_loss`, `test_accuracy` (and `time_s`), as
`coreopt.train.Trainer.fit` returns them; `histories` maps a run's name to
its history. Nothing here imports TensorFlow.

Example:
    >>> import tempfile, pathlib
    >>> from coreopt.plots import training
    >>> h = {"adam": [{"epoch": 1, "loss": 1.0, "accuracy": 0.5, "test_loss": 1.1,
    ...                "test_accuracy": 0.4, "time_s": 0.1}]}
    >>> paths = training.save_curves(h, tempfile.mkdtemp())
    >>> sorted(p.name for p in paths)
    ['accuracy.png', 'loss.png']
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from coreopt import files

PANELS = {"loss": ("loss", "test_loss", "cross-entropy"),
          "accuracy": ("accuracy", "test_accuracy", "accuracy")}


def curve_figure(histories: dict, metric: str) -> Figure:
    """One figure: train (solid) and test (dashed) `metric` per epoch, one colour per run.

    Args:
        histories: run name -> list of per-epoch records.
        metric: "loss" or "accuracy".

    Returns:
        A matplotlib `Figure` on the Agg canvas.

    Raises:
        ValueError: for another metric or an empty `histories`.
    """
    if metric not in PANELS:
        raise ValueError(f"`metric` must be one of {', '.join(PANELS)}; received {metric!r}.")
    if not histories:
        raise ValueError("`histories` is empty: nothing to plot.")
    train_key, test_key, label = PANELS[metric]
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, (name, history) in enumerate(histories.items()):
        epochs = [r["epoch"] for r in history]
        colour = f"C{i % 10}"
        ax.plot(epochs, [r[train_key] for r in history], color=colour, label=f"{name} train")
        ax.plot(epochs, [r[test_key] for r in history], color=colour, linestyle="--",
                label=f"{name} test")
    ax.set_xlabel("epoch")
    ax.set_ylabel(label)
    if metric == "loss":
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def save_curves(histories: dict, folder) -> list[Path]:
    """Saves `loss.png` and `accuracy.png` to `folder` (atomically); returns their paths."""
    paths = []
    for metric in PANELS:
        path = Path(folder) / f"{metric}.png"
        with files.atomic(path) as tmp:
            curve_figure(histories, metric).savefig(tmp, dpi=110)
        paths.append(path)
    return paths


def history_rows(histories: dict) -> list[dict]:
    """All records as flat rows with the run's name first (for CSV); telemetry as
    columns "telemetry/<layer>/<measure>" (`coreopt.plots.telemetry.flat`)."""
    from coreopt.plots.telemetry import flat

    return [{"optimizer": name, **flat(record)} for name, h in histories.items()
            for record in h]


def summary_table(histories: dict) -> str:
    """Markdown table, one row per run: final and best test accuracy, final losses, time."""
    lines = ["| optimizer | epochs | train loss | test loss | test accuracy | best test accuracy "
             "(epoch) | time s |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for name, h in histories.items():
        last = h[-1]
        best = max(h, key=lambda r: r["test_accuracy"])
        lines.append(
            f"| {name} | {last['epoch']} | {last['loss']:.4f} | {last['test_loss']:.4f} | "
            f"{last['test_accuracy']:.4f} | {best['test_accuracy']:.4f} ({best['epoch']}) | "
            f"{sum(r['time_s'] for r in h):.2f} |"
        )
    return "\n".join(lines) + "\n"


def epoch_table(histories: dict) -> str:
    """Markdown table of every record: run, epoch, step, losses, accuracies, seconds."""
    lines = ["| optimizer | epoch | step | train loss | train accuracy | test loss | "
             "test accuracy | time s |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for row in history_rows(histories):
        lines.append(
            f"| {row['optimizer']} | {row['epoch']} | {row.get('step', '')} | "
            f"{row['loss']:.4f} | {row['accuracy']:.4f} | {row['test_loss']:.4f} | "
            f"{row['test_accuracy']:.4f} | {row['time_s']:.3f} |"
        )
    return "\n".join(lines) + "\n"
