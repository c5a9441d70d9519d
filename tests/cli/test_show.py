"""`coreopt plot`, `coreopt report` and `--plot`/`--report`: files, errors, checks first."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from coreopt import functions, lab
from coreopt.cli.main import main
from coreopt.report import figures

QUICK = ["--max-iters", "60", "--rule", "exact"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A results directory: gd and adam at two rates on Himmelblau, paths kept."""
    out = tmp_path_factory.mktemp("show") / "himmelblau"
    assert main(["run", "himmelblau", "--optimizers", "gd,adam", "--lr", "1e-3,1e-1",
                 "--init=-1,1", "--keep-paths", "--out", str(out), *QUICK]) == 0
    return out


def fails(capsys, argv) -> str:
    """The one-line error of a command that must exit with status 2."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("kind, name", [
    ("function", "f.png"), ("paths", "p.png"), ("curves", "c.png"),
    # 13 s; the tour in the default tier writes a GIF through the same code
    pytest.param("animation", "a.gif", marks=pytest.mark.slow)])
def test_plot_writes_each_kind_reproducibly(results, tmp_path, kind, name):
    first, second = tmp_path / name, tmp_path / f"again-{name}"
    for out in (first, second):
        assert main(["plot", str(results), "--kind", kind, "--out", str(out)]) == 0
    assert Image.open(first).format == ("GIF" if name.endswith("gif") else "PNG")
    assert first.read_bytes() == second.read_bytes()


def test_plot_reads_runs_jsonl_and_filters(results, tmp_path):
    out = tmp_path / "adam.png"
    assert main(["plot", str(results / "runs.jsonl"), "--kind", "paths", "--optimizer",
                 "adam", "--out", str(out)]) == 0
    runs = figures.select(figures.load_runs(results), optimizer="adam")
    assert {r.optimizer for r in runs} == {"adam"} and len(runs) == 2


def test_bad_results_files_are_named(results, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    err = fails(capsys, ["plot", str(tmp_path / "nope.json"), "--kind", "paths", "--out", out])
    assert "nope.json" in err and "does not exist" in err
    cut = tmp_path / "cut.jsonl"
    cut.write_text((results / "runs.jsonl").read_text()[:500])
    err = fails(capsys, ["plot", str(cut), "--kind", "paths", "--out", out])
    assert "cut.jsonl" in err and "truncated" in err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"loss": [1, 2]}))
    assert "not a coreopt results file" in fails(capsys, ["plot", str(other), "--kind",
                                                          "paths", "--out", out])
    err = fails(capsys, ["plot", str(results / "results.csv"), "--kind", "paths", "--out", out])
    assert "results table only" in err
    assert "holds no results.json" in fails(capsys, ["plot", str(tmp_path), "--kind", "paths",
                                                     "--out", out])
    assert not (tmp_path / "x.png").exists()


def test_unwritable_output_fails_before_reading(tmp_path, capsys):
    err = fails(capsys, ["plot", str(tmp_path / "missing"), "--kind", "paths",
                         "--out", str(tmp_path / "no" / "dir" / "x.png")])
    assert "cannot be written" in err  # said before the missing results are even looked at


def test_a_kind_that_does_not_fit_says_what_would(tmp_path, capsys):
    out = tmp_path / "r5"
    lab.sweep("gd", functions.get("rosenbrock", dim=5), {"learning_rate": [1e-3]},
              starts=[[0.0] * 5], max_iters=5, keep_paths=True, out=out)
    err = fails(capsys, ["plot", str(out), "--kind", "paths", "--out", str(tmp_path / "p.png")])
    assert "dimension 5" in err and "curves" in err
    assert main(["plot", str(out), "--kind", "curves", "--out", str(tmp_path / "c.png")]) == 0
    err = fails(capsys, ["plot", str(out), "--kind", "animation", "--out",
                         str(tmp_path / "a.png")])
    assert ".gif" in err


def test_paths_need_kept_paths(tmp_path, capsys):
    out = tmp_path / "bare"
    lab.sweep("gd", "booth", {"learning_rate": [1e-2]}, max_iters=5, out=out)
    err = fails(capsys, ["plot", str(out), "--kind", "paths", "--out", str(tmp_path / "p.png")])
    assert "--keep-paths" in err


def test_report_embeds_every_figure(results, capsys):
    assert main(["report", str(results)]) == 0
    assert "report.html" in capsys.readouterr().out
    page = (results / "report.html").read_text()
    text = (results / "report.md").read_text()
    drawn = sorted(p.name for p in (results / "figures").iterdir())
    linked = sorted(re.findall(r"\]\(figures/([^)]+)\)", text))
    assert linked == drawn and len(drawn) >= 5  # function; paths and curves per optimizer
    assert page.count("<img") == len(drawn) and page.count("data:image/png;base64,") == len(drawn)
    assert "<table" in page and "himmelblau" in page


def test_run_with_report_and_plot(tmp_path, capsys):
    out = tmp_path / "guide"
    assert main(["run", "seed_quartic", "--optimizers", "gd", "--lr", "1e-2,1e-1", "--init",
                 "2", "--out", str(out), "--report", *QUICK]) == 0
    assert (out / "report.html").is_file() and (out / "figures" / "seed_quartic-gd-paths.png")
    assert "report.html" in capsys.readouterr().out
    err = fails(capsys, ["run", "seed_quartic", "--optimizers", "gd", "--plot", *QUICK])
    assert "--out" in err


def test_sensitivity_and_heatmaps_from_a_sweep(tmp_path):
    out = tmp_path / "grid"
    assert main(["sweep", "booth", "--optimizers", "adam", "--lr", "1e-2:1:3", "--set",
                 "beta_1=0.8,0.9", "--starts", "2", "--max-iters", "30", "--out",
                 str(out)]) == 0
    for kind, extra in (("sensitivity", []), ("heatmap", ["--x", "learning_rate", "--y",
                                                          "beta_1"]),
                        ("heatmap", ["--x", "init[0]", "--y", "init[1]", "--metric", "gap"])):
        png = tmp_path / f"{kind}-{len(extra)}.png"
        assert main(["plot", str(out), "--kind", kind, "--out", str(png), *extra]) == 0
        assert Image.open(png).format == "PNG"


def test_a_heatmap_needs_its_axes(results, tmp_path, capsys):
    err = fails(capsys, ["plot", str(results), "--kind", "heatmap", "--optimizer", "adam",
                         "--out", str(tmp_path / "h.png")])
    assert "--x and --y" in err


def test_plot_draws_schedules_at_their_own_values(tmp_path, capsys, monkeypatch):
    import coreopt.plots.schedules as plot
    from coreopt import schedules

    shown, draw = {}, plot.plot_schedules
    monkeypatch.setattr(plot, "plot_schedules",
                        lambda steps, values, **kw: shown.update(values) or draw(steps, values))
    out = tmp_path / "lr.png"
    texts = ["cosine(initial=0.1, decay_steps=90)",
             "linear_warmup(after=wsd(peak=0.1, total_steps=100, warmup_steps=10, "
             "decay_steps=20), warmup_steps=5)"]
    assert main(["plot", *texts, "--kind", "schedule", "--steps", "100",
                 "--out", str(out)]) == 0
    assert Image.open(out).format == "PNG" and f"wrote {out}" in capsys.readouterr().out
    want = schedules.Cosine(0.1, decay_steps=90)
    np.testing.assert_allclose(shown[texts[0]], [float(want(k)) for k in range(100)],
                               rtol=1e-15)
    assert len(shown) == 2
    assert "Did you mean 'cosine'" in fails(
        capsys, ["plot", "cosin(initial=0.1)", "--kind", "schedule", "--out",
                 str(tmp_path / "x.png")])
    assert "one results directory" in fails(capsys, ["plot", "a", "b", "--kind", "paths",
                                                     "--out", str(tmp_path / "p.png")])
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "p.png").exists()
