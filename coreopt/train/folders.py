"""Checkpoint folders of the training loop: their names, their settings file, writability.

A trainer's checkpoints go to one folder per optimizer chain, named by
`folder_name` (safe on every file system, distinct per chain), beside a
settings file `META_FILE` that `check_meta` compares on resume so a run never
continues another run's checkpoints.

Example:
    >>> from coreopt.train.folders import folder_name
    >>> folder_name("sam(rho=0.1):momentum")
    'sam.rho=0.1+momentum'
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from coreopt import files

META_FILE = "coreopt-meta.json"
FOLDER_MAX = 120  # longest folder name made from a chain name, before its hash


def folder_name(name: str) -> str:
    """A folder name, safe on every file system, for the optimizer or chain `name`.

    Each part of the chain (`coreopt.core.chains.parse`: registry names for
    aliases) is its name followed by ".key=value" for each hyperparameter given
    in the name, and the parts are joined by "+":

        "adam"                                  -> "adam"
        "sam:momentum"                          -> "sam+momentum"
        "EMA( momentum = 0.999 ):adam"          -> "ema.momentum=0.999+adam"
        "sam(rho=0.1, adaptive=True):momentum"  -> "sam.rho=0.1.adaptive=True+momentum"

    so a folder name uses letters, digits and "._=+-" only, and distinct chains
    get distinct folders. A value that is not a number or a boolean is written
    "_", and a name longer than `FOLDER_MAX` is cut there; either way the
    folder name then ends with "-" and the first 8 hex digits of the SHA-1 of
    the canonical name (`chains.canonical`), which keeps it distinct.

    Raises:
        ValueError: for a name that is not a valid chain.
    """
    import hashlib

    from coreopt.core import chains

    plain = True
    parts = []
    for part, params in chains.parse(name):
        for key, value in params.items():
            shown = repr(value) if isinstance(value, (bool, int, float)) else "_"
            plain = plain and shown != "_"
            part += f".{key}={shown}"
        parts.append(part)
    text = "+".join(parts)
    if plain and len(text) <= FOLDER_MAX:
        return text
    digest = hashlib.sha1(chains.canonical(name).encode()).hexdigest()[:8]
    return f"{text[:FOLDER_MAX]}-{digest}"


def check_meta(folder, meta: dict) -> None:
    """Raises ValueError naming every setting where `meta` differs from the checkpoint's."""
    path = Path(folder) / META_FILE
    if not path.is_file():
        raise ValueError(f"{str(folder)!r} holds checkpoints but no {META_FILE}; it was not "
                         "written by coreopt's trainer.")
    saved = json.loads(path.read_text())
    now = json.loads(json.dumps(meta, default=repr))
    diffs = [f"{key}: checkpoint has {saved.get(key)!r}, this run {now.get(key)!r}"
             for key in sorted(set(saved) | set(now)) if saved.get(key) != now.get(key)]
    if diffs:
        raise ValueError(f"cannot resume from {str(folder)!r}, it was made for other settings: "
                         + "; ".join(diffs) + ".")


def check_writable(folder) -> Path:
    """Creates `folder` if needed and checks a file can be written in it.

    Raises:
        PermissionError: naming the folder, when it cannot be created or written.
    """
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".coreopt-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise PermissionError(f"cannot write to the folder {str(path)!r}: "
                              f"{err.strerror or err}.") from None
    return path


def write_json(path, value) -> None:
    """Writes `value` as JSON to `path` atomically (temporary file + os.replace)."""
    files.write_text(path, json.dumps(value, indent=1, sort_keys=True, default=repr))
