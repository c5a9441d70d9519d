"""The folder rules of a training comparison (`coreopt.train.compare`): no results lost.

A results folder OUT holds report.md, history.csv and history.json, and one
checkpoint folder per optimizer, OUT/checkpoints/<the chain's folder name>
(`coreopt.train.folders.folder_name`). A new run into a folder with results, or
with checkpoints, is refused unless it resumes; a resumed run must be made for
the same settings as its checkpoints, and the saved runs it keeps but does not
resume for the same data and model.

Example:
    >>> from pathlib import Path

from coreopt.train import folders
    >>> checkpoint_folder(Path("out"), "ema(momentum=0.999):adam").as_posix()
    'out/checkpoints/ema.momentum=0.999+adam'
"""

from __future__ import annotations

import json
from pathlib import Path

from coreopt.train import folders

RESULTS = ("report.md", "history.csv")  # files whose presence means a run finished here
SHARED = ("dataset", "sizes", "seed", "batch_size")  # what every run of one folder shares


def checkpoint_folder(out, name) -> Path:
    """OUT/checkpoints/<the chain's folder name>."""
    return Path(out) / "checkpoints" / folders.folder_name(name)


def has_checkpoint(out, name) -> bool:
    """Whether the checkpoint folder of `name` in `out` holds a checkpoint."""
    import tensorflow as tf

    folder = checkpoint_folder(out, name)
    return folder.is_dir() and tf.train.latest_checkpoint(str(folder)) is not None


def check_folders(out, logdir, names, meta, resume):
    """Out, log and checkpoint folders: writable, no results lost, resumable if asked.

    Raises:
        ValueError: results or checkpoints in the way of a run that does not resume,
            or checkpoints made for other settings than `meta` (name -> settings).
        PermissionError: a folder that cannot be written.
    """

    out = Path(out)
    results = [out / f for f in RESULTS if (out / f).exists()]
    if results and not resume:
        raise ValueError(f"{str(out)!r} already holds results ({results[0].name}); "
                         "choose another --out, or pass --resume to continue its runs.")
    folders.check_writable(out)
    if logdir is not None:
        folders.check_writable(logdir)
    for name in names:
        found = has_checkpoint(out, name)
        if resume and found:
            folders.check_meta(checkpoint_folder(out, name), meta[name])
        elif found:
            raise ValueError(f"{str(checkpoint_folder(out, name))!r} already holds "
                             "checkpoints; pass --resume.")
    if resume:
        check_kept(out, names, meta[names[0]])


def check_kept(out, names, meta):
    """The saved runs a resumed run keeps but does not resume: made for the same data
    and model as `meta` (ValueError naming what differs)."""
    from coreopt.train import results

    shared = {key: meta[key] for key in SHARED}
    for name in results.load_histories(Path(out) / "history.json"):
        path = checkpoint_folder(out, name) / folders.META_FILE
        if name not in names and path.is_file():
            saved = json.loads(path.read_text())
            folders.check_meta(path.parent, {**saved, **shared})


def saved_rate(out, name):
    """The learning rate a saved run (not resumed now) was trained with, from its meta."""
    from coreopt.train import results

    path = checkpoint_folder(out, name) / folders.META_FILE
    return results.saved_rate(json.loads(path.read_text())) if path.is_file() else None
