"""From a sweep's arguments to the list of runs it stands for, checked.

optimizers x hyperparameter grid x functions x starting points x seeds, each
run a `Spec`. A grid reads one way only:

    {"learning_rate": [1e-3, 1e-2],          a list or a scalar: a hyperparameter,
     "momentum": {"momentum": [0.5, 0.9]}}   a dict: the grid of one optimizer

A shared key applies to every optimizer of the sweep that has that
hyperparameter; a dict under an optimizer's name extends the shared keys for
it and overrides them. Every grid value is checked by the optimizer's own
constructor before anything runs, so an out-of-range value fails at once with
the optimizer's message.

Example:
    >>> from coreopt.lab.inputs import resolve
    >>> grid = {"learning_rate": 0.1, "momentum": {"momentum": [0.5, 0.9]}}
    >>> grid_for(resolve("momentum"), grid, [resolve("momentum"), resolve("gd")])
    {'learning_rate': [0.1], 'momentum': [0.5, 0.9]}
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools

import numpy as np

from coreopt.lab.inputs import PLAIN, check_moves, resolve_all, split_names
from coreopt.lab.records import key_prefix, run_keys

__all__ = ["Spec", "build", "check_moves", "configs", "count", "defaults", "expand", "function",
           "grid_for", "group_key", "one_value_each", "other_hyperparameters", "split_names",
           "starts_for", "unbatchable"]


@dataclasses.dataclass
class Spec:
    """One run to do: optimizer (registry name, or a user's class), its full
    config, the test function, the start and the seed that drew it."""

    optimizer: object
    config: dict
    function: object
    init: np.ndarray
    seed: int | None
    key: str = ""
    group: tuple | None = None  # filled in by the sweep, shared by one config's runs

    @property
    def registered(self) -> bool:
        return isinstance(self.optimizer, str)

    @property
    def batchable(self) -> bool:
        """Registered, and every part of its chain says the lab may batch it."""
        return self.registered and not unbatchable(self.optimizer)

    @property
    def name(self) -> str:
        return self.optimizer if self.registered else self.optimizer.__name__


@functools.cache
def unbatchable(name: str) -> tuple:
    """The parts of a chain name whose registry entry is not batchable."""
    from coreopt.core import chains, registry

    return tuple(p for p, _ in chains.parse(name) if not registry.entry(p).batchable)


def function(obj, dim=None):
    """`functions.resolve`, returning the same object for the same name (so the
    programs compiled for it are reused); a plain callable takes `dim`."""
    from coreopt import functions

    if isinstance(obj, str):
        return _named_function(obj)
    if isinstance(obj, functions.TestFunction):
        return obj
    return functions.resolve(obj, dim=dim)


def _dim_of(starts):
    """The dimension given starting points imply (None for none or a count)."""
    if starts is None or isinstance(starts, (int, np.integer)):
        return None
    return int(np.atleast_1d(np.asarray(starts, np.float64)).shape[-1])


@functools.cache
def _named_function(name: str):
    from coreopt import functions

    return functions.resolve(name)


def grid_for(choice, grid, choices) -> dict:
    """The grid of one optimizer of a sweep: hyperparameter -> list of values.

    Args:
        choice: the optimizer (`coreopt.lab.inputs.Choice`).
        grid: the sweep's grid (see the module docstring), or None.
        choices: every optimizer of the sweep (to check the grid's keys).

    Returns:
        The shared keys `choice` has, then its own dict's, values as lists.

    Raises:
        ValueError: a key that is neither an optimizer of the sweep (given a
            dict) nor a hyperparameter of any, named with the accepted names.
    """
    grid = dict(grid or {})
    own = {}
    for key, value in grid.items():
        if isinstance(value, dict):
            names = [c.label for c in choices if _same_name(key, c.label)]
            if not names:
                raise ValueError(_unknown(key, choices, optimizer=True))
            if _same_name(key, choice.label):
                own.update(value)
        elif not any(key in _flat_defaults(c) for c in choices):
            raise ValueError(_unknown(key, choices, optimizer=False))
    mine = _flat_defaults(choice)
    shared = {k: v for k, v in grid.items() if not isinstance(v, dict) and k in mine}
    return {k: _values(k, v) for k, v in {**shared, **own}.items()}


def _same_name(key, label) -> bool:
    """`key` names the optimizer `label` (as written, or after canonicalizing)."""
    if key == label:
        return True
    from coreopt.core import chains

    try:
        return chains.canonical(key) == label
    except ValueError:
        return False


def _unknown(key, choices, optimizer: bool) -> str:
    labels = ", ".join(repr(c.label) for c in choices)
    hyper = sorted({k for c in choices for k in _flat_defaults(c)})
    if optimizer:
        return (f"the grid key {key!r} holds a dict, so it names an optimizer, and this sweep "
                f"has none of that name; its optimizers: {labels}.")
    return (f"the grid key {key!r} names no optimizer of this sweep and no hyperparameter of "
            f"one. Hyperparameters (a list or one value): {', '.join(hyper)}; optimizers (a "
            f"dict: that optimizer's own grid): {labels}.")


def _values(key, value) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, np.ndarray):
        return value.reshape(-1).tolist()
    return [value.item() if isinstance(value, np.generic) else value]


def one_value_each(config, where: str = "`config`") -> dict:
    """`config` (a grid with one value per key) checked to be one, as a grid.

    Args:
        config: hyperparameter -> value (or a one-value list), or optimizer
            name -> such a dict, as a grid reads (see the module docstring).
        where: the argument's name, for messages.

    Returns:
        The same, ready to pass as a grid.

    Raises:
        ValueError: a key with several values.

    Example:
        >>> one_value_each({"momentum": 0.5, "adam": {"beta_1": [0.8]}})
        {'momentum': 0.5, 'adam': {'beta_1': [0.8]}}
    """
    for key, value in dict(config or {}).items():
        if isinstance(value, dict):
            one_value_each(value, where)
        elif len(_values(key, value)) != 1:
            raise ValueError(f"{where} sets one value per hyperparameter; {key!r} has "
                             f"{len(_values(key, value))} (sweep them with `lab.sweep`).")
    return dict(config or {})


def other_hyperparameters(config, verb: str = "searched") -> dict:
    """`config` of an entry point that chooses the learning rate itself, checked.

    Args:
        config: as `one_value_each` takes it; it may not set the learning rate.
        verb: what the entry point does with the learning rate, for the message.

    Returns:
        `config` as a grid (a dict, maybe empty).

    Raises:
        ValueError: several values for a key, or a learning rate.

    Example:
        >>> other_hyperparameters(None)
        {}
    """
    config = one_value_each(config)
    if any(k == "learning_rate" or isinstance(v, dict) and "learning_rate" in v
           for k, v in config.items()):
        raise ValueError(f"`config` sets the other hyperparameters; the learning rate is {verb}.")
    return config


def configs(choice, grid: dict) -> list:
    """Every full config of the grid on top of the choice's own, after checking each value.

    Args:
        choice: the optimizer (`coreopt.lab.inputs.Choice`).
        grid: its grid, hyperparameter -> list of values (as `grid_for` gives it).

    Returns:
        One flat config per point of the grid (the product of its lists, in
        order), each the defaults, then the choice's own config, then the point.

    Raises:
        ValueError: an empty list, a hyperparameter the optimizer lacks, a
            value its constructor refuses, a value that is not plain data, or a
            learning rate of 0 (`check_moves`).

    Example:
        >>> from coreopt.lab.inputs import resolve
        >>> [c["momentum"] for c in configs(resolve("momentum"), {"momentum": [0.5, 0.9]})]
        [0.5, 0.9]
    """
    base = {**defaults(choice.target), **choice.base}
    for key, values in grid.items():
        if not values:
            raise ValueError(f"grid entry {key!r} has no values.")
        if key not in base:
            raise ValueError(f"{choice.label!r} has no hyperparameter {key!r}; "
                             f"it has: {', '.join(base)}.")
        for value in values:
            build(choice.target, {**choice.base, key: value})  # the constructor's range error
    _check_plain(choice, base, grid)
    for rate in grid.get("learning_rate", [base.get("learning_rate")]):
        check_moves(choice.label, rate)
    keys = list(grid)
    return [{**base, **dict(zip(keys, point))}
            for point in itertools.product(*(grid[k] for k in keys))]


def _check_plain(choice, base, grid):
    """Raises ValueError for a value a run's optimizer cannot be rebuilt from (a schedule)."""
    values = [(k, v) for k, v in base.items() if k not in grid]
    values += [(k, v) for k, vs in grid.items() for v in vs]
    for key, value in values:
        if not isinstance(value, PLAIN):
            raise ValueError(
                f"{choice.label!r} has {key}={value!r}: the lab builds every run's optimizer "
                "from plain values (numbers, booleans, strings); set a number in the grid, "
                "or run the instance as it is with `convergence_test`.")


def defaults(optimizer) -> dict:
    """The flat config of a default build: from the declared specs for a name,
    from the constructor's defaults for a user's guide-style class."""
    from coreopt.core import chains

    if isinstance(optimizer, str):
        return chains.defaults(optimizer)
    return {n: p.default if isinstance(p.default, PLAIN) else repr(p.default)
            for n, p in inspect.signature(optimizer).parameters.items()
            if p.default is not inspect.Parameter.empty}


@functools.cache
def _defaults_of(target) -> dict:
    return defaults(target)


def _flat_defaults(choice) -> dict:
    """The hyperparameter names `choice` takes (a cached default build's flat config)."""
    return {**_defaults_of(choice.target), **choice.base}


def build(optimizer, config):
    """A new optimizer: `coreopt.get(name, **config)`, or a user's class called with it."""
    import coreopt

    return coreopt.get(optimizer, **config) if isinstance(optimizer, str) else optimizer(**config)


def starts_for(function, starts, seeds) -> list:
    """[(init, seed)] for one function: its default start, given points, or random ones.

    Args:
        function: a `TestFunction`.
        starts: None (its own start), a point, several points, or an int n
            (n random starts in its domain per seed).
        seeds: the seeds of the random starts.

    Returns:
        (float64 point [dim], seed or None) pairs.
    """
    if starts is None:
        return [(function.check_start(function.start), None)]
    if isinstance(starts, (int, np.integer)) and not isinstance(starts, bool):
        if starts < 1:
            raise ValueError(f"the number of random starts must be >= 1; received {starts}.")
        return [(x, int(seed)) for seed in seeds for x in function.random_starts(int(starts),
                                                                                  int(seed))]
    points = np.asarray(starts, np.float64)
    if points.ndim <= 1 and function.dim == 1:
        points = points.reshape(-1, 1)
    elif points.ndim == 1:
        points = points[None, :]
    return [(function.check_start(p), None) for p in points]


def expand(optimizer_items, function_items, grid, starts, seeds, settings,
           where="the sweep", check=None) -> list:
    """Every `Spec` of the sweep, in a fixed order, keys filled in.

    Args:
        optimizer_items: as `coreopt.lab.inputs.resolve_all` takes them.
        function_items: function names ("a,b" or a list), `TestFunction`s, callables.
        grid: see the module docstring.
        starts, seeds: None, points or a count of random starts per seed.
        settings: (max_iters, rule, tol, divergence, dtype), part of every key.
        where: the entry point, for messages.
        check: called with (the number of runs, the largest dimension) before
            any config, start or `Spec` is built: it may refuse a sweep too
            large to hold.

    Returns:
        A list of `Spec`s: optimizers, then configs, then functions, then starts.
    """
    choices = resolve_all(optimizer_items, where)
    funcs = [function(f, _dim_of(starts)) for f in split_names(function_items)]
    if not funcs:
        raise ValueError("`functions` is empty.")
    if not isinstance(starts, (int, np.integer)) and list(seeds) != [0]:
        raise ValueError("`seeds` draw random starts: give `init` as a number of points.")
    own = [grid_for(c, grid, choices) for c in choices]
    if check is not None:
        check(count(own, funcs, starts, seeds), max(f.dim for f in funcs))
    per_function = [(f, starts_for(f, starts, seeds)) for f in funcs]
    specs = []
    for choice, points in zip(choices, own):
        for config in configs(choice, points):
            for f, points in per_function:
                specs += _block(choice, config, f, points, settings)
    return specs


def count(grids, functions, starts, seeds) -> int:
    """How many runs `expand` makes from each optimizer's grid (hyperparameter -> values),
    the `TestFunction`s, `starts` and `seeds`, from the sizes alone (nothing is built).

    Example:
        >>> from coreopt import functions
        >>> count([{"learning_rate": [0.1, 0.2]}, {}], [functions.get("rosenbrock")], 16, [0, 1])
        96
    """
    configs = sum(int(np.prod([len(v) for v in g.values()], dtype=object)) for g in grids)
    return configs * sum(_start_count(f, starts, seeds) for f in functions)


def _start_count(function, starts, seeds) -> int:
    """len(starts_for(function, starts, seeds)), without drawing or checking a point."""
    if starts is None:
        return 1
    if isinstance(starts, (int, np.integer)) and not isinstance(starts, bool):
        return max(int(starts), 0) * len(list(seeds))
    shape = np.shape(np.asarray(starts, np.float64))
    if len(shape) <= 1:
        return int(np.prod(shape)) if function.dim == 1 else 1
    return shape[0]


def _block(choice, config, f, points, settings) -> list:
    """The specs of one config on one function, one per start, sharing one group."""
    prefix = key_prefix(choice.label, config, f.name, dict(f.params), settings)
    block = [Spec(choice.target, config, f, init, seed, key)
             for (init, seed), key in zip(points, run_keys(prefix, points))]
    if block and block[0].registered:
        group = group_key(block[0])
        for s in block:
            s.group = group
    return block


def group_key(spec):
    """Runs with the same key share a compiled program: optimizer, options, function."""
    if spec.group is None:
        options = _option_names(spec.optimizer)
        spec.group = (spec.optimizer, tuple(spec.config[k] for k in options), id(spec.function))
    return spec.group


@functools.cache
def _option_names(name) -> tuple:
    """The static options of the chain's specs: they change the program."""
    return tuple(build(name, {}).options())
