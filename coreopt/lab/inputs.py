"""What every lab entry point is given: the optimizer(s) and the start, read one way.

`convergence_test`, `max_stable_lr`, `sweep`, `sweep_runs` and `fair.tune`
all take the optimizer as one of

    a registered name            "adam"
    a chain name                 "clip_by_norm(clipnorm=1.0):adam"
    a class                      coreopt.Adam (its registry name), or a user's
                                 class with `apply_gradients(grads, vars)`
                                 (built anew per run, run one at a time)
    a configured instance        coreopt.Momentum(momentum=0.5): its `chain_name`
                                 and `flat_config()` are the configuration, and a
                                 grid or `config` varies on top of it

and `resolve` turns each into a `Choice`. A user's guide-style *instance*
(not a coreopt optimizer) can only be stepped as it is, so `convergence_test`
runs it and the entry points that build an optimizer per run refuse it.

The start is one keyword, `init` (see `start`).

Example:
    >>> import coreopt
    >>> resolve(coreopt.Momentum(momentum=0.5)).base["momentum"]
    0.5
    >>> resolve("SGD").target
    'gd'
"""

from __future__ import annotations

import dataclasses

PLAIN = (bool, int, float, str, type(None))


@dataclasses.dataclass(frozen=True)
class Choice:
    """One optimizer as an entry point was given it, resolved.

    Attributes:
        target: a canonical registry or chain name, or a user's class.
        base: the flat config it came with (an instance's `flat_config()`;
            empty for a name or a class); a grid varies on top of it.
        instance: the object itself when an instance was given, else None.
    """

    target: object
    base: dict = dataclasses.field(default_factory=dict)
    instance: object = None

    @property
    def registered(self) -> bool:
        """Built from the registry (a name, a registered class, a coreopt instance)."""
        return isinstance(self.target, str)

    @property
    def rebuildable(self) -> bool:
        """It can be built anew for every run (everything but a guide-style instance)."""
        return self.registered or self.instance is None

    @property
    def label(self) -> str:
        """The name the grid, the records and the tables use."""
        return self.target if self.registered else self.target.__name__

    def check_rebuildable(self, where: str):
        """Raises TypeError unless `where` can build this optimizer anew per run."""
        if not self.rebuildable:
            cls = type(self.instance).__name__
            raise TypeError(
                f"{where} builds the optimizer anew for every run, so it takes a registered "
                f"or chain name, a class, or a coreopt optimizer instance; received an "
                f"instance of {cls}: pass the class {cls} (and its hyperparameters in the "
                "grid or `config`), or run this instance with `convergence_test`.")
        return self


def resolve(item) -> Choice:
    """The `Choice` an optimizer argument stands for (see the module docstring).

    Args:
        item: a registered or chain name, a class, or an optimizer instance.

    Returns:
        A `Choice`.

    Raises:
        ValueError: an unknown name (with the closest registered ones).
        TypeError: anything else, naming what is accepted.

    Example:
        >>> resolve("ema(momentum=0.9):Adam").label
        'ema(momentum=0.9):adam'
    """
    from coreopt.core import chains

    if isinstance(item, str):
        return Choice(chains.canonical(item))
    if isinstance(item, type):
        name = _registered_name(item)
        if name is not None:
            return Choice(chains.canonical(name))
        if callable(getattr(item, "apply_gradients", None)):
            return Choice(item)
    elif callable(getattr(item, "apply_gradients", None)):
        if _is_registered_chain(item):
            return Choice(chains.canonical(item.chain_name), dict(item.flat_config()), item)
        return Choice(type(item), {}, item)
    raise TypeError(
        "an optimizer must be a registered name (see coreopt.names()), a chain name such as "
        "'ema:adam', a class, or an optimizer instance with `apply_gradients(grads, vars)`; "
        f"received {item!r}.")


def resolve_all(items, where: str) -> list:
    """`resolve` for every item of "gd,adam", a list or one item; all rebuildable.

    Args:
        items: names (comma-separated in one string, or a list), classes, instances.
        where: the entry point, for messages.

    Returns:
        A list of `Choice`s, in the order given.

    Raises:
        ValueError: no optimizer at all, or an unknown name.
        TypeError: as `resolve`, or a guide-style instance (see `Choice.check_rebuildable`).
    """
    out = [resolve(item).check_rebuildable(where) for item in split_names(items)]
    if not out:
        raise ValueError("`optimizers` is empty.")
    return out


def split_names(value) -> list:
    """"gd,adam" or ["gd", "adam"] -> ["gd", "adam"]; other items pass through.

    A comma inside a chain's parentheses ("sam(rho=0.1, adaptive=True):gd") does not split.

    Example:
        >>> split_names("gd, sam(rho=0.1, adaptive=True):adam")
        ['gd', 'sam(rho=0.1, adaptive=True):adam']
    """
    from coreopt.core.chains import split_top

    if isinstance(value, str):
        return split_top(value, ",")
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _registered_name(cls):
    """The registry name `cls` is registered under (None: not registered itself)."""
    from coreopt.core import registry

    name = getattr(cls, "registry_name", None)
    if not isinstance(name, str):
        return None
    try:
        return name if registry.entry(name).cls is cls else None
    except ValueError:
        return None


def _is_registered_chain(optimizer) -> bool:
    """A coreopt optimizer every level of which is a registered class (so it can be rebuilt)."""
    from coreopt.core.optimizer import Optimizer

    level = optimizer
    while isinstance(level, Optimizer):
        if _registered_name(type(level)) is None:
            return False
        if not getattr(level, "wraps", False):
            return True
        level = level.inner
    return False


def start(init=None, alias=None, alias_name="init_val"):
    """The one start an entry point was given, as `init` or under its older name.

    Args:
        init: the start as `init=` gave it (None: not given).
        alias: the start as the older keyword gave it (None: not given).
        alias_name: that keyword, for the message.

    Returns:
        Whichever was given (None for neither).

    Raises:
        TypeError: both were given.

    Example:
        >>> start(None, [2.0])
        [2.0]
    """
    if init is not None and alias is not None:
        raise TypeError(f"give the start once: `init` or its alias `{alias_name}`, not both.")
    return alias if init is None else init


def check_moves(label, rate):
    """Raises ValueError for a learning rate of 0: such a run cannot leave its start.

    A run at rate 0 takes steps of size 0, so the guide's exact rule would report it
    "converged" at iteration 1, wherever it started; the lab refuses it instead.
    """
    if isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate == 0:
        raise ValueError(
            f"{label!r} has learning_rate=0: a zero learning rate cannot move from the start "
            "(the run would stop there at once, as if converged); the lab takes learning "
            "rates > 0.")
