"""notebooks/optimizers_core.ipynb: stored without outputs, and every cell runs.

The notebook is executed with nbclient in a kernel of this very interpreter, from a
temporary working directory; any cell that raises fails the test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "optimizers_core.ipynb"
CELL_TIMEOUT = 300  # seconds per cell; the whole notebook takes well under a minute


def execute(nb, cwd: Path):
    """Runs every cell of `nb` in place, in a "python3" kernel started in `cwd`.

    jupyter_client starts a kernelspec whose command is `python` with `sys.executable`,
    and ipykernel's built-in "python3" spec is that one; `test_notebook_runs` checks it.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell raised.
    """
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute(cwd=str(cwd))
    return nb


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout")


def test_stored_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    assert len(code) >= 10
    for i, cell in code:
        assert cell.outputs == [], f"cell {i} is stored with outputs: strip them"
        assert cell.execution_count is None, f"cell {i} is stored with an execution count"
        assert "execution" not in cell.metadata, f"cell {i} is stored with its run times"


def test_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    execute(nb, tmp_path)
    kernel_python = _stdout(nb.cells[-1]).strip()
    assert Path(kernel_python).resolve() == Path(sys.executable).resolve()
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert len(images) >= 7  # loss and gradient, three path figures, sensitivity, 2-D, training
    tables = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "execute_result" and "text/html" in o.get("data", {})]
    assert len(tables) >= 5  # the guide's table, the check verdicts, the sweep, ...
    text = "".join(_stdout(c) for c in nb.cells if c.cell_type == "code")
    assert "coreopt check: __main__.GuideStyleMomentum" in text
    assert "coreopt check: __main__.GuideStyleAdam" in text


def test_a_cell_that_raises_fails_the_run(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("raise ValueError('boom')"),
                                         nbformat.v4.new_code_cell("y = 2")])
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="boom"):
        execute(nb, tmp_path)
    assert nb.cells[2].outputs == [] and nb.cells[2].get("execution_count") is None
