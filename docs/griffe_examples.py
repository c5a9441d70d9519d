"""Griffe extension: a docstring's "Example:" section is read as "Examples:".

Google style makes "Example:" an admonition (its text rendered as Markdown) and
"Examples:" a section of doctest code; coreopt's docstrings say "Example:" and
mean the doctests.
"""

from __future__ import annotations

import re

import griffe

_TITLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Renames the "Example:" section of every docstring to "Examples:"."""

    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _TITLE.sub(r"\1Examples:", obj.docstring.value)
