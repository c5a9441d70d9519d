"""Wrappers: take an optimizer, return one (clipping, decoupled weight decay)."""

from coreopt.wrappers.base import Wrapper
from coreopt.wrappers.clip import ClipByGlobalNorm, ClipByNorm, ClipByValue
from coreopt.wrappers.weight_decay import DecoupledWeightDecay

__all__ = ["ClipByGlobalNorm", "ClipByNorm", "ClipByValue", "DecoupledWeightDecay", "Wrapper"]
