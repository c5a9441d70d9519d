"""The math kit, the `tf.Module` base class and the registry."""

from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import Entry, entry, get, names, register

__all__ = ["Entry", "Optimizer", "entry", "get", "names", "register"]
