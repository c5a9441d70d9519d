from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits

from coreopt.train import data


def test_digits_split_is_a_seeded_partition_of_sklearn_digits():
    split = data.load("digits", seed=3)
    bunch = load_digits()
    assert len(split.x_train) + len(split.x_test) == len(bunch.data)
    assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int64
    assert split.x_train.max() <= 1.0 and split.classes == 10
    rows = {tuple(r) for r in np.vstack([split.x_train, split.x_test]) * 16}
    assert rows == {tuple(r) for r in bunch.data.astype(np.float32)}
    again = data.load("digits", seed=3)
    np.testing.assert_array_equal(split.x_test, again.x_test)
    assert not np.array_equal(data.load("digits", seed=4).y_test, split.y_test)


def test_synthetic_is_seeded():
    a, b = data.load("synthetic", seed=1), data.load("synthetic", seed=1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.classes == 4 and a.features == 20


def _write_mnist(path, n=12, rows=28):
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 256, (n, rows, rows), dtype=np.uint8),
             y_train=np.arange(n) % 10, x_test=rng.integers(0, 256, (4, rows, rows),
                                                            dtype=np.uint8),
             y_test=np.arange(4))
    return path


def test_mnist_reads_a_local_file_in_keras_format(tmp_path):
    path = _write_mnist(tmp_path / "mnist.npz")
    with np.load(path) as raw:
        expected = raw["x_train"].reshape(12, -1) / 255.0
    split = data.load("mnist", path=path)
    assert split.x_train.shape == (12, 784) and split.x_test.shape == (4, 784)
    np.testing.assert_allclose(split.x_train, expected, rtol=1e-6)
    assert split.classes == 10


def test_mnist_default_path_is_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert data.mnist_default_path() == tmp_path / "datasets" / "mnist.npz"
    with pytest.raises(FileNotFoundError, match="never downloads"):
        data.load("mnist")


def test_mnist_missing_or_malformed_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        data.load("mnist", path=tmp_path / "absent.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="not a readable npz"):
        data.load("mnist", path=tmp_path / "junk.npz")
    np.savez(tmp_path / "partial.npz", x_train=np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match=r"lacks the array\(s\) y_train, x_test, y_test"):
        data.load("mnist", path=tmp_path / "partial.npz")
    np.savez(tmp_path / "flat.npz", x_train=np.zeros((2, 784)), y_train=np.zeros(2),
             x_test=np.zeros((2, 28, 28)), y_test=np.zeros(2))
    with pytest.raises(ValueError, match="x_train must be"):
        data.load("mnist", path=tmp_path / "flat.npz")


def test_unknown_data_set_and_bad_fraction():
    with pytest.raises(ValueError, match="Unknown data set 'cifar'"):
        data.load("cifar")
    with pytest.raises(ValueError, match="test_fraction"):
        data.load("digits", test_fraction=1.0)


def test_pipeline_order_depends_on_seed_and_epoch_only():
    x = np.arange(20, dtype=np.float32)[:, None]
    y = np.arange(20)

    def order(seed, epoch, skip=0):
        ds = data.pipeline(x, y, batch_size=6, seed=seed, epoch=epoch, skip=skip)
        return np.concatenate([b[1].numpy() for b in ds])

    first = order(0, 0)
    assert sorted(first) == list(range(20))
    np.testing.assert_array_equal(first, order(0, 0))
    assert not np.array_equal(first, order(0, 1))
    np.testing.assert_array_equal(order(0, 1), order(1, 0))
    np.testing.assert_array_equal(order(0, 2, skip=2), order(0, 2)[12:])
    np.testing.assert_array_equal(first, np.random.default_rng(0).permutation(20))


def test_pipeline_order_ignores_the_global_seed():
    x, y = np.arange(30, dtype=np.float32)[:, None], np.arange(30)

    def order():
        ds = data.pipeline(x, y, batch_size=7, seed=3, epoch=1)
        return np.concatenate([b[1].numpy() for b in ds])

    before = order()
    tf.random.set_seed(12345)
    try:
        np.testing.assert_array_equal(order(), before)
    finally:
        tf.random.set_seed(None)


def test_batch_size_larger_than_data_is_refused():
    x, y = np.zeros((5, 2), np.float32), np.zeros(5, np.int64)
    with pytest.raises(ValueError, match=r"\[1, 5\].*received 6"):
        data.pipeline(x, y, batch_size=6, seed=0, epoch=0)
