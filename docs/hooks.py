"""MkDocs hook: the command line's help text, written into cli.md at build time.

The parser builds without TensorFlow; the build fails (strict mode) if that changes.
"""

from __future__ import annotations

import logging
import os
import sys

MARKER = "<!-- coreopt-cli-help -->"
log = logging.getLogger("mkdocs.hooks.coreopt")


def _help_text() -> str:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        from coreopt.cli.main import parser

        p = parser()
        sub = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction")
        parts = ["## coreopt --help", "", "```text", p.format_help().rstrip(), "```"]
        for name, command in sub.choices.items():
            parts += ["", f"## coreopt {name}", "", "```text", command.format_help().rstrip(),
                      "```"]
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    if "tensorflow" in sys.modules:
        log.warning("building the coreopt parser imported TensorFlow")
    return "\n".join(parts)


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        return markdown.replace(MARKER, _help_text())
    return markdown
