"""The optimizers, one file each; importing this package registers them all.

The import order is the registry's order, which `coreopt list` shows: the
guide's three first, then the rest.
"""
# ruff: noqa: I001

from coreopt.optimizers.gd import GradientDescent
from coreopt.optimizers.momentum import Momentum
from coreopt.optimizers.adam import Adam
from coreopt.optimizers.adamw import AdamW
from coreopt.optimizers.adamax import Adamax
from coreopt.optimizers.nadam import Nadam
from coreopt.optimizers.rmsprop import RMSprop
from coreopt.optimizers.adagrad import Adagrad
from coreopt.optimizers.adadelta import Adadelta
from coreopt.optimizers.adafactor import Adafactor
from coreopt.optimizers.ftrl import Ftrl
from coreopt.optimizers.lion import Lion
from coreopt.optimizers.lamb import Lamb
from coreopt.optimizers.muon import Muon
from coreopt.optimizers.radam import RAdam
from coreopt.optimizers.adabelief import AdaBelief
from coreopt.optimizers.yogi import Yogi
from coreopt.optimizers.adan import Adan
from coreopt.optimizers.novograd import NovoGrad
from coreopt.optimizers.lars import LARS
from coreopt.optimizers.adam_weight_decay import AdamWeightDecay
from coreopt.optimizers.rprop import Rprop
from coreopt.optimizers.asgd import ASGD
from coreopt.optimizers.sm3 import SM3
from coreopt.optimizers.fromage import Fromage
from coreopt.optimizers.noisy_sgd import NoisySGD
from coreopt.optimizers.optimistic_gd import OptimisticGD
from coreopt.optimizers.schedule_free import ScheduleFreeSGD
from coreopt.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from coreopt.optimizers.prodigy import Prodigy
from coreopt.optimizers.dadapt_adamw import DAdaptAdamW
from coreopt.optimizers.shampoo import Shampoo
from coreopt.optimizers.soap import SOAP
from coreopt.optimizers.polyak_sgd import PolyakSGD

__all__ = [
    "ASGD", "AdaBelief", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "AdamWeightDecay",
    "Adamax", "Adan", "DAdaptAdamW", "Fromage", "Ftrl", "GradientDescent", "LARS", "Lamb", "Lion",
    "Momentum", "Muon", "Nadam", "NoisySGD", "NovoGrad", "OptimisticGD", "PolyakSGD", "Prodigy",
    "RAdam", "RMSprop", "Rprop", "SM3", "SOAP", "ScheduleFreeAdamW", "ScheduleFreeSGD", "Shampoo",
    "Yogi",
]
