"""Files written whole or not at all: a temporary file in the same folder, then a rename.

A reader (or a run killed half-way) sees the old file or the new one, never a
part of it; the new file gets the user's umask, as a plain `open` would give it.
Every file coreopt writes (results, reports, figures, training records) goes
through here. No TensorFlow.

Example:
    >>> import pathlib, tempfile
    >>> from coreopt import files
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> files.write_text(path, "first")
    >>> with files.atomic(path) as tmp:   # any writer that takes a path
    ...     tmp.write_text("second")
    6
    >>> path.read_text(), sorted(p.name for p in path.parent.iterdir())
    ('second', ['notes.txt'])
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic(path) -> Iterator[Path]:
    """A temporary path beside `path` (same suffix, for writers that read it), flushed to
    disk and renamed onto `path` when the block ends without an error; removed when it
    raises. Any writer that takes a path (a figure's `savefig`, a CSV writer) gets the
    temporary file, the fsync and the rename."""
    path = Path(path)
    tmp = _create_beside(path)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_beside(path: Path) -> Path:
    """A new empty file `.<stem>.<random><suffix>` in `path`'s folder, created with mode
    0666 less the user's umask (0644 under umask 022), as `open` would make `path`."""
    for _ in range(100):
        tmp = path.parent / f".{path.stem}.{secrets.token_hex(4)}{path.suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {str(path)!r}.")


def _fsync(path: Path) -> None:
    """Flushes the file at `path` to disk (what a writer left in the OS's buffers)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text(path, text: str) -> None:
    """Writes `text` to `path` atomically, flushed to disk before the rename."""
    with atomic(path) as tmp, open(tmp, "w") as f:
        f.write(text)
