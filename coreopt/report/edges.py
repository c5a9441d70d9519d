"""Stable learning-rate edges (`coreopt.lab.StableLR` results) as tables and text.

`command_text` is what `coreopt stable-lr` prints: a table, then each
optimizer's verdict; `tour_table` the tour's table, in words where no edge
was found.

Example:
    >>> from types import SimpleNamespace as Edge  # the fields of a `StableLR` read here
    >>> e = Edge(optimizer="gd", learning_rate=0.5, diverging=0.501, rtol=2e-3, runs=90,
    ...          diverges_everywhere=False, verdict="gd: stable up to 0.5")
    >>> tour_table([e]).iloc[0].tolist()
    ['gd', '0.5', '0.501']
    >>> stable_cell(e)
    '0.5'
"""

from __future__ import annotations


def stable_cell(edge) -> str:
    """The stable-lr column: the edge, a lower bound (">= 1000") or "none"."""
    if edge.learning_rate is None or edge.diverges_everywhere:
        return "none"
    return (">= " if edge.diverging is None else "") + f"{edge.learning_rate:.6g}"


def command_text(edges) -> str:
    """The edges' table (stable rate, where it diverges, precision, runs), a blank
    line, and each optimizer's verdict on a line."""
    import pandas as pd

    rows = [{"optimizer": e.optimizer, "stable lr": stable_cell(e),
             "diverges at": e.diverging, "rel. precision": e.rtol, "runs": e.runs}
            for e in edges]
    table = pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.6g}")
    return "\n".join([table, "", *(f"{e.optimizer}: {e.verdict}" for e in edges)])


def tour_table(edges):
    """The stable edges as a DataFrame, in words where no edge was found."""
    import pandas as pd

    return pd.DataFrame([_tour_row(e) for e in edges])


def _tour_row(edge) -> dict:
    if edge.learning_rate is None:
        stable, diverges = "none", f"{edge.diverging:.4g} (the lowest rate tried)"
    elif edge.diverging is None:
        stable, diverges = f">= {edge.learning_rate:.4g}", "nowhere up to the highest rate tried"
    else:
        stable, diverges = f"{edge.learning_rate:.6g}", f"{edge.diverging:.6g}"
    return {"optimizer": edge.optimizer, "stable lr": stable, "diverges at": diverges}
