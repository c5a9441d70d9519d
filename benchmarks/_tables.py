"""Shared by the benchmarks: the CPU model, aligned Markdown, CSV, atomic writes."""

from __future__ import annotations

import csv
import io
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's "model name" from /proc/cpuinfo, or platform's guess."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def aligned_markdown(cells: list[list[str]], left: int = 1) -> str:
    """A Markdown table of `cells` (headings first): `left` text columns, numbers right."""
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]

    def line(values):
        parts = [v.ljust(w) if i < left else v.rjust(w)
                 for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + (":" if i >= left else "-"))
                          for i, w in enumerate(widths))
    return "\n".join([line(cells[0]), rule + "|"] + [line(c) for c in cells[1:]]) + "\n"


def csv_text(rows: list[dict], columns) -> str:
    """The rows as CSV with full precision."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomically(path: Path, text: str) -> None:
    """Writes `text` to `path` whole or not at all (`coreopt.files`)."""
    from coreopt import files

    files.write_text(path, text)


def write_results(out_dir: Path, stem: str, markdown: str, rows: list[dict], columns) -> tuple:
    """Writes `stem`.md and `stem`.csv into `out_dir`, each atomically; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md, table = out_dir / f"{stem}.md", out_dir / f"{stem}.csv"
    write_atomically(md, markdown)
    write_atomically(table, csv_text(rows, columns))
    return md, table
