"""From a sweep's arguments to the list of runs it stands for, checked.

optimizers x hyperparameter grid x functions x starting points x seeds, each
run a `Spec`. Every grid value is checked by the optimizer's own constructor
before anything runs, so an out-of-range value fails at once with the
optimizer's message.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools

import numpy as np

from coreopt.lab.records import key_prefix, run_keys


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


def split_names(value) -> list:
    """"gd,adam" or ["gd", "adam"] -> ["gd", "adam"]; other items pass through."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def optimizers(items) -> list:
    """Registry or chain names (canonical) and user classes; instances are refused."""
    from coreopt.core import chains

    out = []
    for item in split_names(items):
        if isinstance(item, str):
            out.append(chains.canonical(item))
        elif isinstance(item, type) and callable(getattr(item, "apply_gradients", None)):
            out.append(item)
        else:
            raise TypeError(
                "each optimizer must be a registered name or a class with "
                f"`apply_gradients(grads, vars)` (built anew for every run); received {item!r}."
            )
    if not out:
        raise ValueError("`optimizers` is empty.")
    return out


def grid_for(optimizer, grid, all_names) -> dict:
    """The grid of one optimizer: the shared grid, or its own entry."""
    grid = dict(grid or {})
    name = optimizer if isinstance(optimizer, str) else optimizer.__name__
    if any(k in all_names for k in grid):
        grid = dict(grid.get(name, {}))
    return {k: list(np.atleast_1d(v).tolist()) if not isinstance(v, (list, tuple)) else list(v)
            for k, v in grid.items()}


def configs(optimizer, grid: dict) -> list:
    """Every full config of the grid, after checking each value."""
    base = defaults(optimizer)
    for key, values in grid.items():
        if not values:
            raise ValueError(f"grid entry {key!r} has no values.")
        if key not in base:
            raise ValueError(f"{_label(optimizer)} has no hyperparameter {key!r}; "
                             f"it has: {', '.join(base)}.")
        for value in values:
            _build(optimizer, {key: value})  # raises the constructor's range error
    keys = list(grid)
    return [{**base, **dict(zip(keys, point))}
            for point in itertools.product(*(grid[k] for k in keys))]


def defaults(optimizer) -> dict:
    """The flat config of a default build: from the declared specs for a name,
    from the constructor's defaults for a user's guide-style class."""
    from coreopt.core import chains

    if isinstance(optimizer, str):
        return chains.defaults(optimizer)
    params = inspect.signature(optimizer.__init__).parameters
    plain = (bool, int, float, str, type(None))
    return {n: p.default if isinstance(p.default, plain) else repr(p.default)
            for n, p in params.items()
            if n != "self" and p.default is not inspect.Parameter.empty}


def _build(optimizer, config):
    import coreopt

    return coreopt.get(optimizer, **config) if isinstance(optimizer, str) else optimizer(**config)


def _label(optimizer) -> str:
    return repr(optimizer) if isinstance(optimizer, str) else optimizer.__name__


def starts_for(function, starts, seeds) -> list:
    """[(init, seed)] for one function: its default start, given points, or random ones."""
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


def expand(optimizer_items, function_items, grid, starts, seeds, settings) -> list:
    """Every `Spec` of the sweep, in a fixed order, keys filled in.

    `settings` = (max_iters, rule, tol, divergence, dtype), part of every key.
    """
    opts = optimizers(optimizer_items)
    funcs = [function(f, _dim_of(starts)) for f in split_names(function_items)]
    if not funcs:
        raise ValueError("`functions` is empty.")
    if not isinstance(starts, (int, np.integer)) and list(seeds) != [0]:
        raise ValueError("`seeds` draw random starts: give `starts` as a number of points.")
    names = {o if isinstance(o, str) else o.__name__ for o in opts}
    specs = []
    per_function = [(f, starts_for(f, starts, seeds)) for f in funcs]
    for opt in opts:
        name = opt if isinstance(opt, str) else opt.__name__
        for config in configs(opt, grid_for(opt, grid, names)):
            for f, points in per_function:
                prefix = key_prefix(name, config, f.name, dict(f.params), settings)
                block = [Spec(opt, config, f, init, seed, key)
                         for (init, seed), key in zip(points, run_keys(prefix, points))]
                if block and block[0].registered:
                    group = group_key(block[0])
                    for s in block:
                        s.group = group
                specs += block
    return specs


def group_key(spec):
    """Runs with the same key share a compiled program: optimizer, options, function."""
    if spec.group is None:
        options = _option_names(spec.optimizer)
        spec.group = (spec.optimizer, tuple(spec.config[k] for k in options), id(spec.function))
    return spec.group


@functools.cache
def _option_names(name) -> tuple:
    """The static options of the chain's specs: they change the program."""
    return tuple(_build(name, {}).options())
