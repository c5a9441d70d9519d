from __future__ import annotations

import ast
from pathlib import Path

import matplotlib as mpl

from coreopt.plots import style


def _figure():
    fig, ax = style.new_figure()
    with style.style():
        ax.plot([0, 1, 2], [2, 0, 1], label="a")
        ax.legend()
    return fig


def test_same_figure_gives_the_same_bytes(tmp_path):
    a = style.save(_figure(), tmp_path / "a.png").read_bytes()
    b = style.save(_figure(), tmp_path / "b.png").read_bytes()
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    assert a == b
    assert b"matplotlib" not in a.lower()  # no version stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]  # no temp files


def test_style_sets_and_restores_rcparams():
    before = mpl.rcParams["font.size"]
    with style.style():
        assert mpl.rcParams["font.size"] == style.RC["font.size"]
        assert mpl.rcParams["axes.grid"] is True
    assert mpl.rcParams["font.size"] == before


def test_colors_cycle_in_a_fixed_order():
    assert [style.color(i) for i in range(3)] == list(style.COLORS[:3])
    assert style.color(len(style.COLORS)) == style.COLORS[0]


def test_new_figure_grid():
    fig, axes = style.new_figure(1, 2)
    assert axes.shape == (2,) and fig.get_size_inches()[0] > style.FIGSIZE[0]


def test_plots_never_import_tensorflow():
    folder = Path(style.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad = [n for n in names if n.split(".")[0] == "tensorflow"
                   or n.startswith(("coreopt.lab", "coreopt.functions", "coreopt.core"))]
            assert not bad, f"{path.name} imports {bad}"
