"""The results of a training comparison (`coreopt train`): history files, curves, report.md.

Reads the histories ({optimizer name: per-epoch records}, as
`coreopt.train.Trainer.fit` returns them) and plain settings only: no
TensorFlow here. Every file is written atomically.

Example:
    >>> import tempfile, pathlib
    >>> from coreopt.report import training
    >>> h = {"adam": [{"epoch": 1, "loss": 1.0, "accuracy": 0.5, "test_loss": 1.1,
    ...                "test_accuracy": 0.4, "time_s": 0.1}]}
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> training.write_histories(out, h)
    >>> (out / "history.csv").read_text().splitlines()[1]
    'adam,1,1.0,0.5,1.1,0.4,0.1'
    >>> training.epochs_text(h)
    '1 epochs'
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from coreopt import files


def write_results(out, histories, **settings) -> Path:
    """history.csv, history.json, loss.png, accuracy.png and report.md into `out`
    (created with its parents when missing), and telemetry.png when the records have
    telemetry.

    `settings` are `report`'s keyword arguments. Returns report.md's path.
    """
    from coreopt.plots import telemetry, training

    out = Path(out)
    write_histories(out, histories)
    training.save_curves(histories, out)
    if telemetry.has_telemetry(histories):
        telemetry.save_figure(histories, out)
    files.write_text(out / "report.md", report(histories, **settings))
    return out / "report.md"


def write_histories(out, histories) -> None:
    """history.csv (one row per optimizer and epoch) and history.json into `out`
    (created with its parents when missing)."""
    from coreopt.plots import training

    Path(out).mkdir(parents=True, exist_ok=True)
    rows = training.history_rows(histories)
    fields = list(dict.fromkeys(key for row in rows for key in row))  # "test_weights": EMA only
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    files.write_text(Path(out) / "history.csv", buffer.getvalue())
    files.write_text(Path(out) / "history.json", json.dumps(histories, indent=1))


def report(histories, *, split, sizes, rates, seed, batch_size, strategy) -> str:
    """report.md: the settings, the summary, the curves' links and every epoch.

    Args:
        histories: optimizer name -> its per-epoch records.
        split: the data (its `name`, and its repr in the report).
        sizes: the MLP's layer widths.
        rates: optimizer name -> its learning rate in words ("0.001", "default").
        seed, batch_size, strategy: the training settings.
    """
    from coreopt.plots import telemetry, training
    from coreopt.train import results

    rate_text = ", ".join(f"{n} {r}" for n, r in rates.items())
    return "\n".join([
        f"# Training the MLP on {split.name}",
        "",
        f"- data: {split!r}",
        f"- model: MLP {sizes}, ReLU, He-uniform init (output layer Glorot-uniform), "
        f"seed {seed}",
        f"- batch size {batch_size}, {epochs_text(histories)}, data seed {seed}, "
        f"strategy {strategy}",
        f"- learning rates: {rate_text}",
        f"- evaluation: {results.evaluation_text(histories)}",
        "",
        "## Summary",
        "",
        training.summary_table(histories),
        "## Curves",
        "",
        "![loss](loss.png)",
        "",
        "![accuracy](accuracy.png)",
        "",
        *telemetry.section(histories),
        "## History (history.csv)",
        "",
        training.epoch_table(histories),
    ])


def epochs_text(histories) -> str:
    """"N epochs", or each run's epochs when they differ (a resumed subset)."""
    epochs = {n: h[-1]["epoch"] if h else 0 for n, h in histories.items()}
    if len(set(epochs.values())) == 1:
        return f"{next(iter(epochs.values()))} epochs"
    return "epochs " + ", ".join(f"{n} {e}" for n, e in epochs.items())
