"""The guide's optimizers, loaded from `../shared/seed/seed_reference.py` as a user would.

The file runs its module-level code when imported: it draws the guide's first
figure into the current directory (`sys.argv[1]`, or "." without arguments;
`coreopt.testing.load` imports with `sys.argv = [its path]`). So it is loaded
from a temporary directory.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "seed_reference.py"
NAMES = ("GradientDescent", "Momentum", "Adam")


def require_seed() -> Path:
    """The seed file's path; skips the test when the checkout has no ../shared/seed."""
    if not SEED.is_file():
        pytest.skip(f"the guide's code is not here: {SEED} (../shared/seed/seed_reference.py "
                    "beside the repository) is missing")
    return SEED


@contextlib.contextmanager
def inside(directory):
    """The block runs with `directory` as the current directory."""
    saved = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(saved)


def load_classes(directory) -> dict:
    """{name: class} of the guide's three optimizers, imported by file path in `directory`."""
    from coreopt.testing import load

    path = require_seed()
    with inside(directory):
        return {name: load(f"{path}:{name}") for name in NAMES}
