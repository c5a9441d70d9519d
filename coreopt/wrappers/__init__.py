"""Wrappers: take an optimizer, return one; importing this package registers them all.

Clipping and decoupled weight decay are stateless; see `coreopt.wrappers.base`
for the contract of a wrapper with state of its own.
"""
# ruff: noqa: I001

from coreopt.wrappers.base import Wrapper
from coreopt.wrappers.clip import ClipByGlobalNorm, ClipByNorm, ClipByValue
from coreopt.wrappers.weight_decay import DecoupledWeightDecay

__all__ = ["ClipByGlobalNorm", "ClipByNorm", "ClipByValue", "DecoupledWeightDecay", "Wrapper"]
