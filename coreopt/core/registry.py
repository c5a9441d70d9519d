"""The one registry: a name maps to an optimizer class and its capabilities.

The command line, the lab, the Keras adapter and the common test suite all read
it. Registering is a class decorator::

    @register("adam", description="Adam: adaptive moments with bias correction")
    class Adam(Optimizer): ...

    coreopt.get("adam", learning_rate=0.1)   # -> Adam(learning_rate=0.1, ...)
"""

from __future__ import annotations

import dataclasses

from coreopt._names import NameTable


@dataclasses.dataclass(frozen=True)
class Entry:
    """One registered optimizer.

    Attributes:
        name: the registry name, e.g. "adam".
        cls: the optimizer class.
        description: a one-line description for `coreopt list`.
        aliases: other names that resolve to this entry.
        needs_closure: the optimizer needs a loss closure, not only gradients.
        sparse: the optimizer updates only the rows an `IndexedSlices` touches
            (others densify such gradients first, which gives the dense result).
    """

    name: str
    cls: type
    description: str
    aliases: tuple[str, ...] = ()
    needs_closure: bool = False
    sparse: bool = False


_TABLE = NameTable("optimizer")


def register(name: str, *, description: str, aliases=(), needs_closure=False, sparse=False):
    """Class decorator that registers an optimizer class under `name`."""

    def decorate(cls):
        _TABLE.add(name, Entry(name, cls, description, tuple(aliases), needs_closure, sparse),
                   aliases)
        cls.registry_name = name
        return cls

    return decorate


def names() -> list[str]:
    """The registered names (aliases not included), in registration order."""
    return _TABLE.names()


def entry(name: str) -> Entry:
    """The registry entry for `name` or one of its aliases.

    Raises:
        ValueError: for an unknown name, with the closest registered names.
    """
    return _TABLE.get(name)


def get(name: str, **hyperparameters):
    """A new optimizer of the registered `name`, built with `hyperparameters`.

    Example:
        >>> import coreopt
        >>> coreopt.get("momentum", learning_rate=0.01)
        Momentum(learning_rate=0.01, momentum=0.7, nesterov=False)
    """
    return entry(name).cls(**hyperparameters)
