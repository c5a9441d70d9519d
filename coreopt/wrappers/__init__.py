"""Wrappers: take an optimizer, return one; importing this package registers them all.

Clipping and weight decay (coupled, `l2`, or decoupled, `decay`) are stateless;
see `coreopt.wrappers.base` for the contract of a wrapper with state of its own
(a 30-line example).
"""
# ruff: noqa: I001, F403, F405

from coreopt.wrappers.base import Wrapper
from coreopt.wrappers.clip import ClipByGlobalNorm, ClipByNorm, ClipByValue
from coreopt.wrappers.l2 import CoupledWeightDecay
from coreopt.wrappers.weight_decay import DecoupledWeightDecay
from coreopt.wrappers import accumulation, ema, if_finite, lookahead, loss_scale, routing, sam
from coreopt.wrappers.accumulation import *
from coreopt.wrappers.ema import *
from coreopt.wrappers.if_finite import *
from coreopt.wrappers.lookahead import *
from coreopt.wrappers.loss_scale import *
from coreopt.wrappers.routing import *
from coreopt.wrappers.sam import *

__all__ = ["ClipByGlobalNorm", "ClipByNorm", "ClipByValue", "CoupledWeightDecay",
           "DecoupledWeightDecay", "Wrapper",
           *accumulation.__all__, *ema.__all__, *if_finite.__all__, *lookahead.__all__,
           *loss_scale.__all__, *routing.__all__, *sam.__all__]
