"""Where a sweep keeps its results: appended as runs finish, never lost.

A results directory holds

    manifest.json   what was asked (the sweep's inputs) and the versions;
    runs.jsonl      every run record, one per line: appended (and synced) per
                    chunk, rewritten in the sweep's order when it ends;
    results.csv     the table, one row per run, written atomically at the end;
    report.html, report.md, figures/   the report, when one is made (`coreopt report`)

and a hidden lock file that one sweep at a time holds while it writes.
An interrupted sweep leaves `manifest.json` and the finished lines of
`runs.jsonl`; `resume=True` reads them back (a half-written last line is
dropped) and runs only what is missing. A directory that holds anything else
is refused, so a sweep never writes over other data.

`check_size` refuses, before anything is built, a sweep whose memory or disk
(estimated by `estimate` from the number of runs and their shapes) exceeds
what the machine has, or a limit given instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import shutil

from coreopt import files
from coreopt.lab.records import Run, json_safe

MANIFEST, RUNS, CSV = "manifest.json", "runs.jsonl", "results.csv"
JSON = "results.json"  # every record, as earlier versions wrote them beside runs.jsonl
LOCK = ".coreopt-sweep.lock"
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
        self._resume, self._lock = resume, None
        self._check(resume)

    def _check(self, resume):
        check_writable(self.path)
        if self.path.exists() and not self.path.is_dir():
            raise FileExistsError(f"output path {str(self.path)!r} exists and is not a directory.")
        entries = sorted(p.name for p in self.path.iterdir() if p.name != LOCK
                         ) if self.path.exists() else []
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
        """Creates the directory, takes its lock and writes the manifest (kept on resume).

        Raises:
            BlockingIOError: another sweep holds the directory's lock.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path / LOCK, "a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.close()
            raise BlockingIOError(
                f"output directory {str(self.path)!r} is being written by another sweep "
                "(it holds the directory's lock); wait for it to end, or choose another "
                "directory.") from None
        try:
            self._check(self._resume)  # again, now that no other sweep can write
        except BaseException:
            self.close()
            raise
        if not (self.path / MANIFEST).exists():
            files.write_text(self.path / MANIFEST,
                             json.dumps({"spec": self.spec, "versions": versions}, indent=2))
        return self

    def close(self):
        """Releases the lock (the lock file stays: removing it would race a waiting sweep)."""
        lock, self._lock = getattr(self, "_lock", None), None
        if lock is not None:
            lock.close()

    def done(self) -> dict:
        """The runs finished already, by key; a line cut short at the end is removed."""
        file = self.path / RUNS
        if not file.exists():
            return {}
        text = file.read_text()
        if text and not text.endswith("\n"):
            with open(file, "r+") as f:  # so that the next append starts a line
                f.truncate(len(text[:text.rfind("\n") + 1].encode()))
        runs = {}
        for line in text.splitlines():
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
            _sync(f)

    def finish(self, runs, frame):
        """Writes the table, and the records again in the sweep's order, each atomically;
        removes the `results.json` an earlier version wrote (it would be stale)."""
        with files.atomic(self.path / CSV) as tmp, open(tmp, "w", newline="") as f:
            frame.to_csv(f, index=False)
        with files.atomic(self.path / RUNS) as tmp, open(tmp, "w") as f:
            for run in runs:
                f.write(run.to_json() + "\n")
        (self.path / JSON).unlink(missing_ok=True)

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


def _sync(f):
    f.flush()
    os.fsync(f.fileno())


# Bytes per run, measured on sweeps of 10,000 to 20,000 Adam runs on 2-D Rosenbrock
# (peak resident memory and file sizes, divided by the runs), rounded up.
MEMORY_PER_RUN = 7500  # the spec, the record and its row, besides their numbers
LINE_BYTES, ROW_BYTES = 700, 250  # a line of runs.jsonl, a row of results.csv, besides them
VALUE_BYTES = {"memory": 160, "text": 24}  # one float: in a Python list, written as text


class TooLarge(ValueError):
    """A sweep that would not fit in memory or on disk, refused before it starts."""


def estimate(runs: int, dim: int, max_iters: int, keep_paths: bool) -> dict:
    """The memory and the peak disk a sweep of `runs` runs takes, in bytes, about.

    A run holds its start and end (`dim` floats each) and, when paths are kept,
    up to max_iters + 1 points of dim + 2 floats (point, loss, gradient norm).
    On disk each run is a line of runs.jsonl and a row of results.csv; the
    peak counts runs.jsonl twice, as it is rewritten in order at the end.

    Args:
        runs: the number of runs.
        dim: the largest dimension of the sweep's test functions.
        max_iters: the budget.
        keep_paths: whether paths and curves are kept.

    Returns:
        {"memory": bytes, "disk": bytes, "per_run": {"memory": ..., "disk": ...}}.

    Example:
        >>> estimate(1000, 2, 100, False)["per_run"]
        {'memory': 8140, 'disk': 1938}
    """
    values = 2 * dim + ((max_iters + 1) * (dim + 2) if keep_paths else 0)
    memory = MEMORY_PER_RUN + values * VALUE_BYTES["memory"]
    line = LINE_BYTES + values * VALUE_BYTES["text"]
    disk = 2 * line + ROW_BYTES + 2 * dim * VALUE_BYTES["text"]
    return {"memory": runs * memory, "disk": runs * disk,
            "per_run": {"memory": memory, "disk": disk}}


def check_size(runs, dim, max_iters, keep_paths, out=None, max_memory=None, max_disk=None):
    """Raises TooLarge when a sweep's `estimate` exceeds the memory or the disk it may take.

    Args:
        runs, dim, max_iters, keep_paths: as `estimate`.
        out: the results directory (None: nothing is written, no disk is checked).
        max_memory: the most bytes of memory (None: what the machine has available).
        max_disk: the most bytes on disk (None: the free space where `out` goes).
    """
    need = estimate(runs, dim, max_iters, keep_paths)
    limits = {"memory": (max_memory, "max_memory", available_memory)}
    if out is not None:
        limits["disk"] = (max_disk, "max_disk", lambda: free_disk(out))
    for kind, (given, keyword, measure) in limits.items():
        limit, where = (given, f"the {keyword} given") if given is not None else (
            measure(), "available" if kind == "memory" else f"free under {str(out)!r}")
        if limit is not None and need[kind] > limit:
            paths = (f"kept paths of up to {max_iters + 1} points" if keep_paths
                     else "no kept paths")
            raise TooLarge(
                f"this sweep of {runs:,} runs would take about {_size(need[kind])} of {kind} "
                f"({_size(need['per_run'][kind])} per run: dimension {dim}, {paths}), more "
                f"than the {_size(limit)} {where}. Sweep fewer runs (or split the sweep), "
                f"or pass a larger {keyword} in bytes.")


def available_memory() -> int | None:
    """The bytes of memory the machine has available (None where it cannot say)."""
    with contextlib.suppress(OSError, ValueError):
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return None


def free_disk(path) -> int:
    """The free bytes of the file system `path` (a directory, maybe not there yet) is on."""
    path = pathlib.Path(path).absolute()
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def _size(n) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
