"""The API site: `mkdocs build --strict` passes, and every public module has an entry."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings_handlers.python")


def _public_modules() -> list[str]:
    """Every module of coreopt whose name has no leading underscore, but the CLI's (its
    page shows each command's help) and the package roots."""
    package = ROOT / "coreopt"
    modules = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[0] == "cli" or any(p.startswith("_") for p in parts) or len(parts) < 2:
            continue
        modules.append(".".join(("coreopt",) + parts))
    return modules


def test_every_module_has_a_docs_entry():
    pages = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    documented = set(re.findall(r"^:::\s+(\S+)\s*$", pages, flags=re.MULTILINE))
    modules = _public_modules()
    assert {"coreopt.optimizers.adam", "coreopt.wrappers.sam", "coreopt.train.bench"} <= set(
        modules)
    missing = [m for m in modules if m not in documented]
    assert not missing, f"modules with no '::: <module>' entry in docs/*.md: {missing}"


def test_mkdocs_build_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "optimizers" / "index.html").is_file()
    assert "coreopt run" in (tmp_path / "site" / "cli" / "index.html").read_text()
