"""The largest learning rate at which an optimizer still does not diverge.

`max_stable_lr` answers "how far can I push it" for one optimizer, function
and start: a batched run over a log grid of learning rates finds the edge
between the largest rate that does not diverge and the next one up that does,
then batched multisection (`grid_size` rates per round, log-spaced inside the
bracket) narrows that bracket until upper / lower - 1 <= rtol.

Stability need not be monotone in the learning rate (a larger rate can land on
a lucky point). The answer is the largest rate *seen* not to diverge, so a
stable island narrower than the first grid's spacing above it can be missed.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from coreopt.lab import execute, rules
from coreopt.lab import grid as grids
from coreopt.lab.single import check_budget


@dataclasses.dataclass
class StableLR:
    """The result of `max_stable_lr`.

    Attributes:
        learning_rate: the largest rate seen not to diverge (None: every rate
            from `low` up diverged).
        diverging: the smallest rate above it seen to diverge (None: nothing
            diverged up to `high`, so `learning_rate` is only a lower bound).
        rtol: the relative precision reached, diverging / learning_rate - 1.
        rounds: batched programs run; runs: learning rates tried in all.
        tried: every (learning rate, status) tried, sorted by rate.
    """

    optimizer: str
    config: dict
    function: str
    init: list
    learning_rate: float | None
    diverging: float | None
    rtol: float
    rounds: int
    runs: int
    tried: list

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def __repr__(self):
        if self.learning_rate is None:
            found = f"diverges already at {self.diverging:.6g}"
        elif self.diverging is None:
            found = f"no divergence up to {self.learning_rate:.6g}"
        else:
            found = f"{self.learning_rate:.6g} (diverges at {self.diverging:.6g})"
        return f"StableLR({self.optimizer} on {self.function} from {self.init}: {found})"


def max_stable_lr(optimizer="adam", function="seed_quartic", init=None, *, config=None,
                  low=1e-6, high=1e3, grid_size=64, rtol=1e-3, max_iters=2000, rule="exact",
                  tol=None, divergence=None, dtype="float32") -> StableLR:
    """Finds the largest learning rate in [low, high] that does not diverge.

    Args:
        optimizer: a registered or chain name, a class, or a configured coreopt
            instance (its learning rate is the one searched; see `coreopt.lab.inputs`).
        function: a `coreopt.functions` name or function.
        init: the start (default: the function's).
        config: the optimizer's other hyperparameters, one value each, on top
            of its own (`{"momentum": 0.5}`).
        low, high: the range searched, 0 < low < high.
        grid_size: learning rates per batched round, >= 2.
        rtol: the relative precision wanted, > 0.
        max_iters, rule, tol, divergence, dtype: as `convergence_test`.

    Returns:
        A `StableLR`.

    Example:
        >>> from coreopt import lab
        >>> edge = lab.max_stable_lr("gd", "seed_quartic", 2.0, rtol=1e-2)
        >>> 0.01 < edge.learning_rate < 0.1 < edge.diverging * 10
        True
        >>> from coreopt import functions
        >>> bowl = functions.get("quadratic", dim=1)  # x^2 / 2: curvature 1
        >>> edge = lab.max_stable_lr("momentum", bowl, [1.0], config={"momentum": 0.5},
        ...                          max_iters=10000, divergence="nonfinite")
        >>> round(edge.learning_rate, 2)  # heavy ball's edge: 2 (1 + momentum) / curvature
        3.0
    """
    _check(low, high, grid_size, rtol)
    stop = rules.make(rule, tol, divergence)
    key_parts = (check_budget(max_iters), stop.kind, stop.tol, stop.divergence, str(dtype))
    grid = {**grids.other_hyperparameters(config), "learning_rate": [float(low)]}  # searched
    spec = grids.expand([optimizer], [function], grid, None if init is None else [init], (0,),
                        key_parts, "`max_stable_lr`")[0]
    probe = _Probe(spec, stop, key_parts[0], str(dtype))
    rates = np.geomspace(low, high, grid_size)
    lo, hi = probe.edge(rates, None, None)
    while lo is not None and hi is not None and hi / lo - 1 > rtol:
        lo, hi = probe.edge(np.geomspace(lo, hi, grid_size + 2)[1:-1], lo, hi)
    reached = math.nan if lo is None or hi is None else hi / lo - 1
    return StableLR(spec.name, {k: v for k, v in spec.config.items() if k != "learning_rate"},
                    spec.function.name, spec.init.tolist(), lo, hi, reached, probe.rounds,
                    len(probe.tried), sorted(probe.tried))


class _Probe:
    """Runs one batch of learning rates and keeps what it saw."""

    def __init__(self, spec, stop, max_iters, dtype):
        self.spec, self.stop, self.max_iters = spec, stop, max_iters
        self.settings = execute.settings(dtype=dtype)
        self.rounds, self.tried = 0, []

    def edge(self, rates, lo, hi):
        """The new bracket: the largest stable rate and the next rate above it."""
        specs = [dataclasses.replace(self.spec, key=f"{self.spec.key}/{i}",
                                     config={**self.spec.config, "learning_rate": float(r)})
                 for i, r in enumerate(rates)]
        found = execute.records(execute.run_all(specs, self.stop, self.max_iters, False,
                                                self.settings))
        self.rounds += 1
        statuses = [found[s.key].status for s in specs]
        stable = [s != "diverged" for s in statuses]
        self.tried += [(float(r), s) for r, s in zip(rates, statuses)]
        if not any(stable):
            return lo, float(rates[0])
        i = max(j for j, s in enumerate(stable) if s)
        return float(rates[i]), float(rates[i + 1]) if i + 1 < len(rates) else hi


def _check(low, high, grid_size, rtol):
    if not (isinstance(low, (int, float)) and isinstance(high, (int, float))
            and 0 < low < high < math.inf):
        raise ValueError(f"need 0 < low < high < inf; received low={low!r}, high={high!r}.")
    if isinstance(grid_size, bool) or not isinstance(grid_size, int) or grid_size < 2:
        raise ValueError(f"`grid_size` must be an int >= 2; received {grid_size!r}.")
    if not (isinstance(rtol, (int, float)) and rtol > 0):
        raise ValueError(f"`rtol` must be > 0; received {rtol!r}.")
