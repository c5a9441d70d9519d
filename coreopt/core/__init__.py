"""The math kit, the declared spec, the `tf.Module` base class and the registry."""

from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import Entry, entry, get, names, register
from coreopt.core.serialize import from_config

__all__ = ["Entry", "Optimizer", "entry", "from_config", "get", "names", "register"]
