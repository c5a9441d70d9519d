"""`coreopt.files`: atomic writes, with the permissions a plain `open` gives."""

from __future__ import annotations

import os
import stat

import pytest

from coreopt import files


@pytest.fixture
def umask():
    """Sets the process umask for one test, and restores it."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_users_umask(tmp_path, umask, mask, mode):
    umask(mask)
    files.write_text(tmp_path / "report.md", "text")
    with files.atomic(tmp_path / "results.csv") as tmp:
        tmp.write_text("a,b\n")
    for name in ("report.md", "results.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name  # 0666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "results.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "notes.txt"
    files.write_text(path, "old")
    with pytest.raises(RuntimeError), files.atomic(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
