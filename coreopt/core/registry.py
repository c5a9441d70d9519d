"""The one registry: a name maps to an optimizer or wrapper class and its capabilities.

The command line, the lab, the Keras adapter, `from_config` and the common
test suites all read it. Registering is a class decorator::

    @register("adam", description="Adam: adaptive moments with bias correction")
    class Adam(Optimizer): ...

A chain of wrappers is named with colons, outermost first, each part with its
hyperparameters in parentheses if wanted (see `coreopt.core.chains`):

    coreopt.get("adam", learning_rate=0.1)
    coreopt.get("ema(momentum=0.999):adam(learning_rate=1e-3)")
    coreopt.get("sam:momentum", learning_rate=0.05, **{"sam.rho": 0.1})
"""

from __future__ import annotations

import dataclasses

from coreopt._names import NameTable


@dataclasses.dataclass(frozen=True)
class Entry:
    """One registered optimizer or wrapper.

    Attributes:
        name: the registry name, e.g. "adam".
        cls: the class.
        description: a one-line description for `coreopt list`.
        aliases: other names that resolve to this entry.
    """

    name: str
    cls: type
    description: str
    aliases: tuple[str, ...] = ()

    @property
    def spec(self):
        """The declared hyperparameters (`coreopt.core.spec.Spec`)."""
        return self.cls.spec

    @property
    def wrapper(self) -> bool:
        """True for a wrapper (it takes an inner optimizer)."""
        return bool(getattr(self.cls, "wraps", False))

    @property
    def needs_closure(self) -> bool:
        """It evaluates the gradient more than once: `minimize(loss_fn, vars)` only."""
        return bool(self.cls.needs_closure)

    @property
    def batchable(self) -> bool:
        """The lab may run it batched (one compiled loop for many runs)."""
        return bool(self.cls.batchable)

    @property
    def ranks(self) -> tuple[int, ...] | None:
        """The variable ranks it steps (Muon: (2,), matrices); None: every rank."""
        return getattr(self.cls, "ranks", None)

    def steps_rank(self, rank: int) -> bool:
        """Whether it steps variables of `rank` (the lab's functions: rank 1)."""
        return self.ranks is None or rank in self.ranks

    def capabilities(self) -> tuple[str, ...]:
        """The capability names that hold, for `coreopt list`."""
        flags = {"wrapper": self.wrapper, "needs_closure": self.needs_closure,
                 "batchable": self.batchable, "limited_ranks": self.ranks is not None}
        return tuple(k for k, v in flags.items() if v)


_TABLE = NameTable("optimizer")


def register(name: str, *, description: str, aliases=()):
    """Class decorator that registers an optimizer or wrapper class under `name`."""

    def decorate(cls):
        _TABLE.add(name, Entry(name, cls, description, tuple(aliases)), aliases)
        cls.registry_name = name
        return cls

    return decorate


def _load_all():
    """Imports the optimizers, then the wrappers, once: every built-in name is registered
    whatever was imported first (`import coreopt` itself imports neither)."""
    import coreopt.optimizers  # noqa: F401
    import coreopt.wrappers  # noqa: F401


def names(kind: str = "optimizer", *, rank: int | None = None) -> list[str]:
    """The registered names (no aliases), in registration order.

    Args:
        kind: "optimizer" (the default), "wrapper" or "all" (optimizers, then wrappers).
        rank: only those that step variables of this rank (`Entry.steps_rank`): the
            lab's test functions have vectors, `rank=1`, which Muon (matrices only) skips.
    """
    _load_all()
    if kind not in ("optimizer", "wrapper", "all"):
        raise ValueError(f"`kind` must be 'optimizer', 'wrapper' or 'all'; received {kind!r}.")
    if kind == "all":
        return [*names("optimizer", rank=rank), *names("wrapper", rank=rank)]
    return [n for n in _TABLE.names() if _TABLE.get(n).wrapper == (kind == "wrapper")
            and (rank is None or _TABLE.get(n).steps_rank(rank))]


def entry(name: str) -> Entry:
    """The registry entry for `name` or one of its aliases.

    Raises:
        ValueError: for an unknown name, with the closest registered names.
    """
    _load_all()
    return _TABLE.get(name)


def get(name: str, **hyperparameters):
    """A new optimizer of the registered `name` or chain, built with `hyperparameters`.

    For a chain, a wrapper's hyperparameters are named "wrapper.key" (for
    example "sam.rho"); bare names go to the innermost optimizer.

    Example:
        >>> import coreopt
        >>> coreopt.get("momentum", learning_rate=0.01)  # doctest: +ELLIPSIS
        Momentum(learning_rate=0.01, momentum=0.7, nesterov=False, ...)
        >>> coreopt.get("clip_by_norm(clipnorm=1.0):gd")
        ClipByNorm(GradientDescent(learning_rate=0.001), clipnorm=1.0)
    """
    from coreopt.core.chains import build

    return build(name, hyperparameters)
