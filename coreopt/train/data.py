"""Data for the training examples: digits, a synthetic task, MNIST from a local file.

A data set is a `Split` of NumPy arrays: float32 features scaled to [0, 1]
(digits, MNIST) or standardised (synthetic), and int64 class labels. The
input pipeline is `tf.data` with a seed: epoch `e` of a run with seed `s` is
shuffled with seed `s + e`, so the data order is a pure function of
(seed, epoch) and a resumed run can skip to any step.

Example:
    >>> from coreopt.train import data
    >>> split = data.load("digits")
    >>> split
    Split(name='digits', train=1438, test=359, features=64, classes=10)
    >>> batches = data.pipeline(split.x_train, split.y_train, batch_size=32, seed=0, epoch=0)
    >>> [tuple(t.shape) for t in next(iter(batches))]
    [(32, 64), (32,)]

Notes:
    Nothing is ever downloaded. MNIST is read from the npz file Keras's
    `keras.datasets.mnist.load_data` keeps (keys x_train, y_train, x_test,
    y_test), by default from Keras's cache `~/.keras/datasets/mnist.npz`.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

DATASETS = ("digits", "synthetic", "mnist")
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclasses.dataclass(frozen=True, repr=False)
class Split:
    """A classification data set split into train and held-out test arrays.

    Attributes:
        name: the data set's name.
        x_train, x_test: float32 arrays, shape (n, features).
        y_train, y_test: int64 labels in [0, classes).
        classes: the number of classes.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int

    @property
    def features(self) -> int:
        return int(self.x_train.shape[1])

    def __repr__(self):
        return (f"Split(name={self.name!r}, train={len(self.x_train)}, test={len(self.x_test)}, "
                f"features={self.features}, classes={self.classes})")


def load(name: str, *, path: str | os.PathLike | None = None, seed: int = 0,
         test_fraction: float = 0.2) -> Split:
    """Loads the data set `name` ("digits", "synthetic" or "mnist").

    Args:
        name: one of `DATASETS`.
        path: the MNIST npz file (default: Keras's cache); ignored otherwise.
        seed: seeds the train/test split (digits) or the generated data (synthetic).
        test_fraction: share of the examples held out, in (0, 1) (not MNIST).

    Returns:
        A `Split`.

    Raises:
        ValueError: for an unknown name, a bad `test_fraction`, or a malformed file.
        FileNotFoundError: for a missing MNIST file.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"`test_fraction` must be in (0, 1); received {test_fraction}.")
    if name == "mnist":
        return load_mnist(path)
    if name == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        x, y = bunch.data.astype(np.float32) / 16.0, bunch.target.astype(np.int64)
        return _split(name, x, y, 10, seed, test_fraction)
    x, y = synthetic(seed=seed)
    return _split(name, x, y, int(y.max()) + 1, seed, test_fraction)


def synthetic(n: int = 2000, features: int = 20, classes: int = 4, seed: int = 0):
    """A generated task: `classes` Gaussian clusters in `features` dims, partly overlapping.

    Returns:
        (x, y): float32 features of shape (n, features), int64 labels.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=1.5, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.normal(size=(n, features))
    return x.astype(np.float32), y.astype(np.int64)


def _split(name, x, y, classes, seed, test_fraction) -> Split:
    order = np.random.default_rng(seed).permutation(len(x))
    cut = len(x) - int(round(test_fraction * len(x)))
    train, test = order[:cut], order[cut:]
    return Split(name, x[train], y[train], x[test], y[test], classes)


def mnist_default_path() -> Path:
    """Where Keras's MNIST loader caches its file: `$KERAS_HOME/datasets/mnist.npz`."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(home) / "datasets" / "mnist.npz"


def load_mnist(path: str | os.PathLike | None = None) -> Split:
    """MNIST from a local npz file in Keras's format, flattened and scaled to [0, 1].

    Raises:
        FileNotFoundError: the file does not exist (nothing is downloaded).
        ValueError: the file is not an npz archive with Keras's four arrays of
            matching shapes.
    """
    path = Path(path) if path is not None else mnist_default_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"MNIST file {str(path)!r} not found; coreopt never downloads data. Put Keras's "
            "mnist.npz there or pass its path."
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in MNIST_KEYS if key not in archive.files]
            arrays = {key: archive[key] for key in MNIST_KEYS if key not in missing}
    except Exception as err:  # not a zip / npz at all
        raise ValueError(f"MNIST file {str(path)!r} is not a readable npz archive: "
                         f"{err}.") from None
    if missing:
        raise ValueError(f"MNIST file {str(path)!r} lacks the array(s) {', '.join(missing)}; "
                         f"expected {', '.join(MNIST_KEYS)}.")
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or len(x) == 0:
            raise ValueError(
                f"MNIST file {str(path)!r}: x_{part} must be (n, rows, cols) and y_{part} "
                f"(n,); received {x.shape} and {y.shape}."
            )
    flat = {p: arrays[f"x_{p}"].reshape(len(arrays[f"x_{p}"]), -1).astype(np.float32) / 255.0
            for p in ("train", "test")}
    y_train, y_test = arrays["y_train"].astype(np.int64), arrays["y_test"].astype(np.int64)
    return Split("mnist", flat["train"], y_train, flat["test"], y_test,
                 int(max(y_train.max(), y_test.max())) + 1)


def pipeline(x, y, *, batch_size: int, seed: int, epoch: int, skip: int = 0,
             drop_remainder: bool = False) -> tf.data.Dataset:
    """The batches of one epoch, shuffled with seed `seed + epoch`.

    Args:
        x, y: features and labels.
        batch_size: examples per batch, at most `len(x)`.
        seed, epoch: the shuffle seed is `seed + epoch`.
        skip: batches to skip at the start (to resume inside an epoch).
        drop_remainder: drop a last, smaller batch.

    Raises:
        ValueError: for a batch size below 1 or above the number of examples.
    """
    check_batch_size(batch_size, len(x))
    # A NumPy permutation, not `Dataset.shuffle(seed=)`: TensorFlow combines an op
    # seed with the global seed, so `tf.random.set_seed` elsewhere would change the order.
    order = np.random.default_rng(seed + epoch).permutation(len(x))
    ds = tf.data.Dataset.from_tensor_slices((tf.gather(x, order), tf.gather(y, order)))
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.skip(skip).prefetch(2)


def check_batch_size(batch_size: int, examples: int) -> int:
    """`batch_size` if it is in [1, examples], else a ValueError naming both."""
    if not isinstance(batch_size, int | np.integer) or not 1 <= batch_size <= examples:
        raise ValueError(
            f"`batch_size` must be an integer in [1, {examples}] (the training examples); "
            f"received {batch_size!r}."
        )
    return int(batch_size)


def steps_per_epoch(examples: int, batch_size: int, drop_remainder: bool = False) -> int:
    """Batches in one epoch."""
    return examples // batch_size if drop_remainder else -(-examples // batch_size)
