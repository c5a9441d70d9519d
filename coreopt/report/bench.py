"""The benchmark's report: tables, learning curves, the performance profile, the protocol.

Built from the records of `coreopt.train.bench` (plain JSON), with `coreopt.report`;
`write(records, settings, out)` makes `report.html`, `report.md` and `figures/` in
`out`. No TensorFlow here.

Example:
    >>> rows = summary_rows([{"problem": "p", "optimizer": "o", "phase": "seeds",
    ...     "lr": 0.01, "final": [0.9, 0.8], "steps_to_target": [10, None],
    ...     "seconds_to_target": [0.5, None], "metric": "accuracy"}])
    >>> rows[0]["mean"], rows[0]["reached"], rows[0]["median steps to target"]
    (0.85, '1/2', 10.0)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coreopt.plots import bench as plots
from coreopt.plots import style


def summary_rows(records: list) -> list:
    """One row per (problem, optimizer): the best rate, mean and spread of the final metric
    over seeds, and steps and seconds to the target (median over the seeds that reach it)."""
    rows = []
    for r in records:
        if r["phase"] != "seeds":
            continue
        if r.get("lr") is None:
            rows.append({"problem": r["problem"], "optimizer": r["optimizer"],
                         "best lr": "every rate diverged"})
            continue
        reached = [s for s in r["steps_to_target"] if s is not None]
        seconds = [s for s in r["seconds_to_target"] if s is not None]
        final = np.asarray(r["final"], np.float64)
        rows.append({"problem": r["problem"], "optimizer": r["optimizer"],
                     "best lr": float(f"{r['lr']:.3g}"), "mean": round(float(final.mean()), 4),
                     "std": round(float(final.std()), 4),
                     "reached": f"{len(reached)}/{len(final)}",
                     "median steps to target": float(np.median(reached)) if reached else None,
                     "median s to target": round(float(np.median(seconds)), 3)
                     if seconds else None})
    return rows


def summary_text(records: list) -> str:
    """The summary rows as an aligned plain-text table."""
    import pandas as pd

    return pd.DataFrame(summary_rows(records)).to_string(index=False)


def median_steps(records: list) -> dict:
    """{(problem, optimizer): median steps to the target over seeds that reach it, else None
    (also when fewer than half of the seeds reach it)}."""
    out = {}
    for r in records:
        if r["phase"] != "seeds":
            continue
        steps = [s for s in r.get("steps_to_target") or [] if s is not None]
        enough = steps and 2 * len(steps) >= len(r.get("steps_to_target") or [])
        out[r["problem"], r["optimizer"]] = float(np.median(steps)) if enough else None
    return out


def build(records: list, settings: dict, folder: Path):
    """The `Report` (figures written into `folder`)."""
    import pandas as pd

    from coreopt.report import Report, Section
    from coreopt.train.bench import PROTOCOL

    folder.mkdir(parents=True, exist_ok=True)
    sections = [Section("Protocol", PROTOCOL.format(**settings))]
    rows = summary_rows(records)
    sections.append(Section("Results", "The final validation metric over the seeds, and "
                            "steps to the target.", table=pd.DataFrame(rows)))
    ratios = plots.profile_ratios(median_steps(records))
    profile = style.save(plots.profile_figure(ratios), folder / "profile.png")
    sections.append(Section("Performance profile", "The share of problems on which each "
                            "optimizer reaches the target within tau times the fewest steps "
                            "of any optimizer.", figures=[(profile, "performance profile")]))
    for problem in settings["problems"]:
        path = style.save(plots.curves_figure(records, problem),
                          folder / f"curves_{problem}.png")
        sections.append(Section(f"Learning curves: {problem}",
                                figures=[(path, f"validation metric per epoch, {problem}")]))
    return Report("Optimizer benchmark", config=dict(settings), sections=sections)


def write(records: list, settings: dict, out) -> list:
    """Writes `report.html`, `report.md` and `figures/` into `out`; returns the paths."""
    out = Path(out)
    report = build(records, settings, out / "figures")
    return report.write(out)
