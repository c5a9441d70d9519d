"""Without torch or JAX (coreopt's default install): errors that say what to install."""

from __future__ import annotations

import sys

import pytest

import coreopt.compat


def test_from_torch_names_the_cpu_build(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0") as info:
        coreopt.compat.from_torch(object, lr=0.1)
    assert "coreopt[torch]" in str(info.value)


@pytest.mark.parametrize("missing", ["optax", "jax"])
def test_from_optax_names_jax_and_optax(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(ImportError, match="pip install jax jaxlib optax") as info:
        coreopt.compat.from_optax(object())
    assert "coreopt[jax]" in str(info.value)


def test_lazy_names():
    assert coreopt.compat.from_torch.__module__ == "coreopt.compat.torch"
    assert coreopt.compat.from_optax.__module__ == "coreopt.compat.optax"
