"""Where a sweep keeps its results: appended as runs finish, never lost.

A results directory holds

    manifest.json   what was asked (the sweep's inputs) and the versions;
    runs.jsonl      one run record per line, appended (and synced) per chunk;
    results.csv     the table, one row per run   } written atomically at the end
    results.json    every run record             }
    report.html, report.md, figures/   the report, when one is made (`coreopt report`)

An interrupted sweep leaves `manifest.json` and the finished lines of
`runs.jsonl`; `resume=True` reads them back (a half-written last line is
dropped) and runs only what is missing. A directory that holds anything else
is refused, so a sweep never writes over other data.
"""

from __future__ import annotations

import json
import os
import pathlib

from coreopt import files
from coreopt.lab.records import Run, json_safe

MANIFEST, RUNS, CSV, JSON = "manifest.json", "runs.jsonl", "results.csv", "results.json"
REPORT = ("report.html", "report.md", "figures")  # what `coreopt report` adds


class Store:
    """The results directory of one sweep (see the module docstring).

    Args:
        path: the directory; created if missing.
        spec: the sweep's inputs as plain data; a resumed sweep must match it.
        resume: continue the sweep already in `path`.

    Raises:
        FileExistsError: `path` holds other data, or holds this kind of
            results and `resume` is False.
        ValueError: resuming a directory made by a different sweep.
        OSError: `path` cannot be written.
    """

    def __init__(self, path, spec: dict, resume: bool = False):
        self.path = pathlib.Path(path)
        self.spec = json.loads(json.dumps(json_safe(spec)))
        self._check(resume)

    def _check(self, resume):
        check_writable(self.path)
        if self.path.exists() and not self.path.is_dir():
            raise FileExistsError(f"output path {str(self.path)!r} exists and is not a directory.")
        entries = sorted(p.name for p in self.path.iterdir()) if self.path.exists() else []
        if not entries:
            return
        ours = {MANIFEST, RUNS, CSV, JSON, *REPORT}
        other = [e for e in entries if e not in ours and not e.startswith(".")]
        if other or MANIFEST not in entries:
            shown = ", ".join(other[:5]) or ", ".join(entries[:5])
            raise FileExistsError(
                f"output directory {str(self.path)!r} holds other data ({shown}); "
                "choose an empty or new directory."
            )
        if not resume:
            raise FileExistsError(
                f"output directory {str(self.path)!r} holds results already; pass "
                "resume=True (--resume) to continue that sweep, or choose a new directory."
            )
        saved = json.loads((self.path / MANIFEST).read_text())["spec"]
        if saved != self.spec:
            changed = sorted(k for k in set(saved) | set(self.spec)
                             if saved.get(k) != self.spec.get(k))
            raise ValueError(
                f"cannot resume {str(self.path)!r}: it was made by a different sweep "
                f"(differs in {', '.join(changed)})."
            )

    def open(self, versions: dict):
        """Creates the directory and its manifest (kept as it is on resume)."""
        self.path.mkdir(parents=True, exist_ok=True)
        if not (self.path / MANIFEST).exists():
            write_atomic(self.path / MANIFEST,
                         json.dumps({"spec": self.spec, "versions": versions}, indent=2))
        return self

    def done(self) -> dict:
        """The runs finished already, by key."""
        file = self.path / RUNS
        if not file.exists():
            return {}
        runs = {}
        for line in file.read_text().splitlines():
            try:
                run = Run.from_json(line)
            except (ValueError, TypeError):
                continue  # a line cut short by an interruption
            runs[run.key] = run
        return runs

    def append(self, runs):
        """Appends finished runs, synced to disk before returning."""
        with open(self.path / RUNS, "a") as f:
            f.write("".join(r.to_json() + "\n" for r in runs))
            f.flush()
            os.fsync(f.fileno())

    def finish(self, runs, frame):
        """Writes the table and the records, each atomically."""
        write_atomic(self.path / CSV, frame.to_csv(index=False))
        write_atomic(self.path / JSON,
                     "[\n" + ",\n".join(r.to_json() for r in runs) + "\n]\n")

    def __repr__(self):
        return f"Store({str(self.path)!r})"


def check_writable(path) -> pathlib.Path:
    """Raises OSError now if `path` (a directory, maybe not there yet) cannot be written."""
    path = pathlib.Path(path)
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OSError(f"output directory {str(path)!r} cannot be written "
                      f"({str(parent)!r} is not a writable directory).")
    return path


def write_atomic(path, text: str):
    """Writes `text` to `path` through a temporary file and a rename."""
    files.write_text(path, text)
