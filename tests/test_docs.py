"""The API site: `mkdocs build --strict` passes, and every optimizer and wrapper has a page."""

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


def _public_modules(package: str) -> list[str]:
    folder = ROOT / "coreopt" / package
    return sorted(f"coreopt.{package}.{p.stem}" for p in folder.glob("*.py")
                  if not p.stem.startswith("_"))


def test_every_optimizer_and_wrapper_module_has_a_docs_entry():
    pages = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    documented = set(re.findall(r"^:::\s+(\S+)\s*$", pages, flags=re.MULTILINE))
    modules = _public_modules("optimizers") + _public_modules("wrappers")
    assert len(modules) > 20
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
