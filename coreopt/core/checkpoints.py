"""Restoring a checkpoint only into objects of the same layout, or not at all.

`tf.train.Checkpoint.restore` restores whatever matches and leaves the rest:
a checkpoint of `ema:adam` restored into `lookahead:adam` would fill Adam's
moments and silently drop the average. `restore` first compares the saved
layout (every saved value's path and shape) with the layout the objects would
write now, and refuses a mismatch by name before any value changes.

The layout of the objects is found by writing them to TensorFlow's in-memory
file system (`ram://`), which copies their values once in memory. Build the
optimizers before restoring (their slots exist only then), as the `Trainer`
does.

Example:
    >>> import tempfile, tensorflow as tf, coreopt
    >>> from coreopt.core.checkpoints import restore
    >>> x = tf.Variable([1.0, 2.0])
    >>> opt = coreopt.get("ema:adam")
    >>> opt.apply_gradients([tf.ones(2)], [x])
    >>> path = tf.train.Checkpoint(opt=opt, x=x).write(tempfile.mkdtemp() + "/c")
    >>> other = coreopt.get("lookahead:adam")
    >>> restore(tf.train.Checkpoint(opt=other, x=x), path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the checkpoint ... was written by other objects: ...
"""

from __future__ import annotations

import itertools
import uuid

import tensorflow as tf

_NOT_VALUES = ("_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter/.ATTRIBUTES/VARIABLE_VALUE")
_COUNTER = itertools.count()


def layout(path: str) -> dict:
    """{saved value's path: shape} of the checkpoint at `path`."""
    shapes = tf.compat.v1.train.NewCheckpointReader(path).get_variable_to_shape_map()
    return {k: tuple(s) for k, s in shapes.items() if k not in _NOT_VALUES}


def layout_of(checkpoint: tf.train.Checkpoint) -> dict:
    """The layout `checkpoint`'s objects would write now."""
    path = f"ram://coreopt-layout-{uuid.uuid4().hex}-{next(_COUNTER)}/c"
    return layout(checkpoint.write(path))


def restore(checkpoint: tf.train.Checkpoint, path: str):
    """`checkpoint.restore(path)` if the layouts agree; else a ValueError, nothing restored.

    Raises:
        ValueError: naming up to five paths on each side that the other lacks,
            or that differ in shape.
    """
    saved, here = layout(path), layout_of(checkpoint)
    if saved != here:
        missing = sorted(set(here) - set(saved))
        extra = sorted(set(saved) - set(here))
        reshaped = sorted(k for k in set(saved) & set(here) if saved[k] != here[k])
        parts = [f"{what}: {', '.join(_short(k) for k in keys[:5])}"
                 + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
                 for what, keys in (("not in the checkpoint", missing),
                                    ("in the checkpoint only", extra),
                                    ("of another shape", reshaped)) if keys]
        unbuilt = not any(".OPTIMIZER_SLOT/" in k for k in here) and any(
            ".OPTIMIZER_SLOT/" in k for k in saved)
        hint = " Build the optimizers first (opt.build(vars)): slots exist only then." \
            if unbuilt else ""
        raise ValueError(f"the checkpoint {path!r} was written by other objects: "
                         f"{'; '.join(parts)}. Nothing was restored.{hint}")
    status = checkpoint.restore(path)
    status.expect_partial()  # the layouts agree; only `save_counter` may be absent (`write`)
    return status


def _short(key: str) -> str:
    return key.replace("/.ATTRIBUTES/VARIABLE_VALUE", "").replace(".OPTIMIZER_SLOT/", "slot ")
