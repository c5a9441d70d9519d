"""`coreopt.report.results`: the report of a results directory, and its tables."""

from __future__ import annotations

from coreopt import lab
from coreopt.report.results import results_report, results_table, text_summary


def test_a_results_folder_with_a_report_still_resumes(tmp_path):
    out = tmp_path / "sweep"
    kwargs = {"starts": 3, "max_iters": 20, "out": out}
    first = lab.sweep("gd", "booth", {"learning_rate": [1e-3, 1e-2, 1e-1]}, **kwargs)
    results_report(out)
    again = lab.sweep("gd", "booth", {"learning_rate": [1e-3, 1e-2, 1e-1]}, resume=True,
                      **kwargs)
    assert again["key"].tolist() == first["key"].tolist()


def test_many_runs_are_counted_per_configuration(tmp_path):
    runs = lab.sweep_runs("gd", "booth", {"learning_rate": [1e-3, 1e-1]}, starts=31,
                          max_iters=10)
    table, note = results_table(runs)
    assert len(table) == 2 and "counted per configuration" in note
    assert set(table.columns) >= {"converged", "diverged", "max_iters", "learning_rate"}
    assert "median iters (converged)" in text_summary(lab.to_frame(runs), ["learning_rate"])
