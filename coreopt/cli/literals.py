"""Constants of library modules read from their source, for `--help` without TensorFlow.

Building the parser must import no TensorFlow; some help texts list a library
constant (the figure kinds, the default learning rates) whose module imports it.
`literal(module, name)` reads the `name = {...}` literal from the module's
source file, without importing the module or its package.

Example:
    >>> literal("coreopt.train.compare", "DEFAULT_RATES")["adam"]
    0.001
"""

from __future__ import annotations

import ast
import importlib.util
import pathlib


def source_of(module: str) -> pathlib.Path:
    """The .py file of `module`, a module inside coreopt, found without importing it."""
    root = pathlib.Path(importlib.util.find_spec("coreopt").origin).parent
    return root.joinpath(*module.split(".")[1:]).with_suffix(".py")


def literal(module: str, name: str):
    """The value of the module-level `name = <literal>` in `module`'s source."""
    for node in ast.parse(source_of(module).read_text()).body:
        targets = [getattr(t, "id", "") for t in getattr(node, "targets", [])]
        if isinstance(node, ast.Assign) and targets == [name]:
            return ast.literal_eval(node.value)
    raise RuntimeError(f"{module} defines no `{name} = ...` literal for the command line.")
