"""Fixtures of the `coreopt.testing` tests: the guide's optimizers and their cards, made once."""

from __future__ import annotations

import pytest
import tensorflow as tf

from tests.testing import seed


@pytest.fixture(scope="session", autouse=True)
def tensorflow_started():
    """TensorFlow's runtime starts before any test: so `coreopt check` run in this process
    (through `main`) cannot split the CPU into logical devices under the other tests."""
    tf.config.list_logical_devices("CPU")


@pytest.fixture(scope="session")
def guide(tmp_path_factory) -> dict:
    """{name: class} of the guide's GradientDescent, Momentum and Adam."""
    return seed.load_classes(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="session")
def guide_cards(guide) -> dict:
    """{name: Card} of `check(cls)` for each of the guide's classes."""
    from coreopt.testing import check

    return {name: check(cls) for name, cls in guide.items()}
