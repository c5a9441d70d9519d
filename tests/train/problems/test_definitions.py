"""Each problem's stated definition: spectrum, splits, scaling, architecture."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from coreopt.train import data as data_lib
from coreopt.train import problems
from coreopt.train.problems import digits_cnn, layers, noisy_quadratic


def test_the_noisy_quadratic_hessian_has_the_stated_spectrum():
    problem = problems.get("noisy-quadratic")
    h = problem.hessian
    assert h.shape == (100, 100)
    np.testing.assert_allclose(h, h.T, atol=0)
    eig = np.linalg.eigvalsh(h)
    assert np.all((eig[:90] > 0.0) & (eig[:90] < 1.0))
    assert np.all((eig[90:] > 30.0) & (eig[90:] < 60.0))
    want = np.sort(noisy_quadratic.spectrum(np.random.default_rng(noisy_quadratic.HESSIAN_SEED)))
    np.testing.assert_allclose(eig, want, rtol=1e-9, atol=1e-12)
    assert not np.allclose(h, np.diag(np.diag(h)), atol=1e-3)  # rotated, not diagonal


def test_the_noisy_quadratic_rotation_is_orthogonal():
    r = noisy_quadratic.haar_rotation(np.random.default_rng(0), 100)
    np.testing.assert_allclose(r @ r.T, np.eye(100), atol=1e-12)


def test_the_noisy_quadratic_data_are_the_stated_noise():
    d = problems.get("noisy-quadratic").data
    assert d.x_train.shape == d.x_valid.shape == (1000, 100)
    for x in (d.x_train, d.x_valid):
        assert abs(x.mean()) < 0.01 and x.std() == pytest.approx(0.6, rel=0.01)
    assert not np.array_equal(d.x_train, d.x_valid)
    np.testing.assert_array_equal(d.y_train, d.x_train)


def test_the_noisy_quadratic_starts_around_ones():
    theta = problems.get("noisy-quadratic").init(0)[0].numpy()
    assert theta.mean() == pytest.approx(1.0, abs=0.05) and theta.std() == pytest.approx(
        0.1, rel=0.3)


def test_the_digits_problems_use_digits_mlp_split():
    split = data_lib.load("digits")
    for name in ("digits-cnn", "digits-autoencoder"):
        d = problems.get(name).data
        np.testing.assert_array_equal(d.x_train, split.x_train)
        np.testing.assert_array_equal(d.x_valid, split.x_test)
    np.testing.assert_array_equal(problems.get("digits-autoencoder").data.y_valid, split.x_test)


def test_the_patch_convolution_equals_conv2d():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(4, 6, 6, 3)).astype(np.float32)
    k = rng.normal(size=(3, 3, 3, 5)).astype(np.float32)
    b = rng.normal(size=5).astype(np.float32)
    got = digits_cnn.conv(tf.reshape(x, [4, -1]), k, b, digits_cnn.patches(6, 6, 3))
    want = tf.nn.relu(tf.nn.conv2d(x, k, 1, "VALID") + b)
    np.testing.assert_allclose(got.numpy(), tf.reshape(want, [4, -1]).numpy(), atol=1e-5)


def test_wine_is_split_stratified_and_standardised_on_the_training_split():
    d = problems.get("wine-logreg").data
    assert (len(d.x_train), len(d.x_valid)) == (142, 36)
    assert np.bincount(d.y_valid).tolist() == [12, 14, 10]
    np.testing.assert_allclose(d.x_train.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(d.x_train.std(0), 1.0, rtol=1e-5)
    assert np.abs(d.x_valid.mean(0)).max() > 0.01  # validation statistics were not used


def test_diabetes_standardises_features_and_targets_on_the_training_split():
    d = problems.get("diabetes-mlp").data
    assert (len(d.x_train), len(d.x_valid)) == (354, 88)
    assert d.y_train.dtype == np.float32 and d.y_train.ndim == 1
    np.testing.assert_allclose([d.y_train.mean(), d.y_train.std()], [0.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(d.x_train.std(0), 1.0, rtol=1e-5)


def test_split_is_seeded_disjoint_and_complete():
    labels = np.repeat([0, 1, 2], [10, 20, 30])
    train, valid = layers.split(60, seed=0, valid_fraction=0.2, labels=labels)
    assert np.bincount(labels[valid]).tolist() == [2, 4, 6]
    assert sorted(np.concatenate([train, valid]).tolist()) == list(range(60))
    plain = layers.split(60, seed=0, valid_fraction=0.2)
    np.testing.assert_array_equal(plain[1], layers.split(60, seed=0, valid_fraction=0.2)[1])
    assert not np.array_equal(plain[1], layers.split(60, seed=1, valid_fraction=0.2)[1])
