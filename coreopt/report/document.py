"""`Report` and `Section`: the content, and its HTML and Markdown forms."""

from __future__ import annotations

import base64
import dataclasses
import html
import os
import pathlib

from coreopt import files

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto;
       padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: right; }
th { background: #f3f3f3; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9rem; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { font-weight: 600; }
"""


@dataclasses.dataclass
class Section:
    """One part of a report.

    Attributes:
        title: the heading.
        text: paragraphs (blank lines separate them); plain text, escaped.
        table: a pandas DataFrame, or None.
        figures: (image path, caption) pairs: PNG, or GIF for animations.
    """

    title: str
    text: str = ""
    table: object = None
    figures: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Report:
    """A report: title, configuration, versions and sections."""

    title: str
    config: dict = dataclasses.field(default_factory=dict)
    versions: dict = dataclasses.field(default_factory=dict)
    sections: list = dataclasses.field(default_factory=list)

    def __repr__(self):
        return f"Report({self.title!r}, {len(self.sections)} sections)"

    def to_html(self) -> str:
        """The whole report as one HTML page, every figure embedded."""
        parts = [f"<h1>{html.escape(self.title)}</h1>"]
        for name, values in (("Configuration", self.config), ("Versions", self.versions)):
            if values:
                items = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                                for k, v in values.items())
                parts.append(f"<h2>{name}</h2><dl>{items}</dl>")
        parts += [_section_html(s) for s in self.sections]
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head>"
                f"<body>\n" + "\n".join(parts) + "\n</body></html>\n")

    def to_markdown(self, relative_to=None) -> str:
        """The report as Markdown; figures are linked (relative to `relative_to`)."""
        lines = [f"# {self.title}", ""]
        for name, values in (("Configuration", self.config), ("Versions", self.versions)):
            if values:
                lines += [f"## {name}", ""] + [f"- {k}: {v}" for k, v in values.items()] + [""]
        for s in self.sections:
            lines += [f"## {s.title}", ""]
            if s.text:
                lines += [s.text.strip(), ""]
            if s.table is not None:
                lines += [markdown_table(s.table), ""]
            for path, caption in s.figures:
                link = _relative(path, relative_to)
                lines += [f"![{caption}]({link})", "", f"*{caption}*", ""]
        return "\n".join(lines)

    def write(self, directory) -> tuple:
        """Writes report.html and report.md into `directory`; returns their paths.

        Raises:
            FileNotFoundError: a figure file is missing (checked first).
            OSError: `directory` cannot be written (checked before writing).
        """
        for s in self.sections:
            for path, _ in s.figures:
                if not pathlib.Path(path).is_file():
                    raise FileNotFoundError(f"figure {str(path)!r} of section {s.title!r} "
                                            "does not exist.")
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK):
            raise OSError(f"report directory {str(directory)!r} cannot be written.")
        page, text = directory / "report.html", directory / "report.md"
        files.write_text(page, self.to_html())
        files.write_text(text, self.to_markdown(directory))
        return page, text


_MIME = {".png": "image/png", ".gif": "image/gif"}


def _section_html(s: Section) -> str:
    out = [f"<section><h2>{html.escape(s.title)}</h2>"]
    out += [f"<p>{html.escape(p.strip())}</p>" for p in s.text.split("\n\n") if p.strip()]
    if s.table is not None:
        out.append(s.table.to_html(index=False, border=0, na_rep="",
                                   float_format=lambda v: f"{v:.6g}"))
    for path, caption in s.figures:
        data = base64.b64encode(pathlib.Path(path).read_bytes()).decode("ascii")
        mime = _MIME.get(pathlib.Path(path).suffix.lower(), "image/png")
        out.append(f"<figure><img alt=\"{html.escape(caption)}\" "
                   f"src=\"data:{mime};base64,{data}\"><figcaption>{html.escape(caption)}"
                   "</figcaption></figure>")
    return "".join(out) + "</section>"


def markdown_table(frame) -> str:
    """A DataFrame as a Markdown table (numbers to 6 significant digits)."""
    def cell(v):
        text = f"{v:.6g}" if isinstance(v, float) else str(v)
        return text.replace("|", "\\|")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, rule, *rows])


def _relative(path, start) -> str:
    if start is None:
        return str(path)
    return os.path.relpath(pathlib.Path(path).resolve(), pathlib.Path(start).resolve())
