"""The largest learning rate at which an optimizer still does not diverge.

`max_stable_lr` answers "how far can I push it" for one optimizer, function
and start (or several starts: a rate counts as stable only when no start
diverges, so the edge is the most conservative one): a batched run over a
log grid of learning rates finds the edge between the largest rate that does
not diverge and the next one up that does, then batched multisection
(`grid_size` rates per round, log-spaced inside the bracket) narrows that
bracket until upper / lower - 1 <= rtol.

Stability need not be monotone in the learning rate (a larger rate can land on
a lucky point). The answer is the largest rate *seen* not to diverge, so a
stable island narrower than the first grid's spacing above it can be missed.

The step budget. "Does not diverge" means "within `max_iters` steps", so the
edge is then checked with `longer` times the steps, in one batched round of
`grid_size` rates log-spaced from edge / longer^2 up to the edge (a run that
diverges within a budget diverges within any longer one):

    the edge still holds          a stability edge: more steps do not move it;
    the edge diverges             `budget_limited`: the edge is where runs
                                  diverge within the budget, and moves with it;
    and the new edge is below     `diverges_everywhere`: the edge falls in
    edge / sqrt(longer)           proportion to the budget, as when the loss
                                  falls (or grows) without bound at a rate
                                  proportional to the learning rate (x^2 - y^2,
                                  where y grows as (1 + 2 lr)^k): there is no
                                  rate that stays stable, given the steps.

sqrt(longer) is the geometric middle between "does not move" (ratio 1) and
"moves in proportion to the budget" (ratio 1 / longer). Every rate diverging
within the budget itself is `diverges_everywhere` too. A result's `verdict`
also says when the runs at the edge reach the budget without converging
(`edge_status`), or no rate converged at all.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from coreopt.lab import execute, rules
from coreopt.lab import grid as grids
from coreopt.lab.single import check_budget

LONGER = 4  # the default budget factor of the check (see the module docstring)


@dataclasses.dataclass
class StableLR:
    """The result of `max_stable_lr`.

    Attributes:
        init: the start searched from (the first, when there are several).
        learning_rate: the largest rate seen not to diverge from any start
            within `max_iters` steps (None: every rate from `low` up diverged).
        diverging: the smallest rate above it seen to diverge (None: nothing
            diverged up to `high`, so `learning_rate` is only a lower bound).
        rtol: the relative precision reached, diverging / learning_rate - 1.
        rounds: batched programs run; runs: learning rates tried in all.
        tried: every (learning rate, status) tried, sorted by rate; the
            status is the worst over the starts (diverged, max_iters, converged).
        max_iters: the step budget of the search.
        edge_status: the status at `learning_rate` (None: no such rate).
        longer_iters: the budget of the check (None: not checked).
        longer_edge: the largest rate of the check not to diverge (None: all
            diverged, or not checked).
        budget_limited: `learning_rate` diverges given `longer_iters` steps
            (None: not checked).
        diverges_everywhere: every rate tried diverged, or the edge falls in
            proportion to the budget (see the module docstring); then
            `learning_rate` is only where runs diverge within `max_iters`.
        starts: every start searched from, a list of points.
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
    max_iters: int = 0
    edge_status: str | None = None
    longer_iters: int | None = None
    longer_edge: float | None = None
    budget_limited: bool | None = None
    diverges_everywhere: bool = False
    starts: list = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def verdict(self) -> str:
        """The result in one sentence, the budget's part in it included."""
        lo, hi = self.learning_rate, self.diverging
        if lo is None:
            return f"diverges at every rate tried (from {hi:.6g} up)"
        if self.diverges_everywhere:
            return (f"diverges at every rate tried: the edge falls with the step budget "
                    f"({lo:.3g} at {self.max_iters} steps, {_rate(self.longer_edge)} at "
                    f"{self.longer_iters}), so it only marks where runs diverge within the "
                    "budget")
        found = (f">= {lo:.6g} (nothing diverged up to the highest rate tried)" if hi is None
                 else f"{lo:.6g} (diverges at {hi:.6g})")
        if self.budget_limited:
            found += (f" within {self.max_iters} steps; at {self.longer_iters} steps the edge"
                      f" is {_rate(self.longer_edge)}: it moves with the step budget")
        elif self.budget_limited is not None:
            found += f"; the same at {self.longer_iters} steps"
        if not any(status == "converged" for _, status in self.tried):
            found += "; no rate tried converged within the budget"
        elif self.edge_status == "max_iters":
            found += "; the runs at the edge reach the step budget without converging"
        return found

    def __repr__(self):
        return (f"StableLR({self.optimizer} on {self.function} from {_starts(self.starts)}: "
                f"{self.verdict})")


def _rate(value) -> str:
    return "below the rates checked" if value is None else f"{value:.3g}"


def _starts(init) -> str:
    return str(init[0]) if len(init) == 1 else f"{len(init)} starts"


def max_stable_lr(optimizer="adam", function="seed_quartic", init=None, *, config=None,
                  low=1e-6, high=1e3, grid_size=64, rtol=1e-3, max_iters=2000, rule="exact",
                  tol=None, divergence=None, dtype="float32", longer=LONGER) -> StableLR:
    """Finds the largest learning rate in [low, high] that does not diverge.

    Args:
        optimizer: a registered or chain name, a class, or a configured coreopt
            instance (its learning rate is the one searched; see `coreopt.lab.inputs`).
        function: a `coreopt.functions` name or function.
        init: the start, or several ([n, d]; for a 1-D function a list of
            numbers is n starts): a rate is stable when no start diverges
            (default: the function's own start).
        config: the optimizer's other hyperparameters, one value each, on top
            of its own (`{"momentum": 0.5}`).
        low, high: the range searched, 0 < low < high.
        grid_size: learning rates per batched round, >= 2.
        rtol: the relative precision wanted, > 0.
        max_iters, rule, tol, divergence, dtype: as `convergence_test`.
        longer: the edge is checked with `longer` times `max_iters` steps (an
            int >= 2; None: not checked; see the module docstring).

    Returns:
        A `StableLR`; its `verdict` says what was found in one sentence.

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
        >>> lab.max_stable_lr("gd", "saddle").diverges_everywhere  # x^2 - y^2
        True
    """
    _check(low, high, grid_size, rtol, longer)
    stop = rules.make(rule, tol, divergence)
    key_parts = (check_budget(max_iters), stop.kind, stop.tol, stop.divergence, str(dtype))
    grid = {**grids.other_hyperparameters(config), "learning_rate": [float(low)]}  # searched
    specs = grids.expand([optimizer], [function], grid, init, (0,), key_parts,
                         "`max_stable_lr`")
    probe = _Probe(specs, stop, key_parts[0], str(dtype))
    lo, hi = probe.edge(np.geomspace(low, high, grid_size), None, None)
    while lo is not None and hi is not None and hi / lo - 1 > rtol:
        lo, hi = probe.edge(np.geomspace(lo, hi, grid_size + 2)[1:-1], lo, hi)
    reached = math.nan if lo is None or hi is None else hi / lo - 1
    spec = specs[0]
    found = StableLR(spec.name, {k: v for k, v in spec.config.items() if k != "learning_rate"},
                     spec.function.name, spec.init.tolist(), lo, hi, reached, probe.rounds,
                     len(probe.tried), sorted(probe.tried), key_parts[0],
                     dict(probe.tried).get(lo), diverges_everywhere=lo is None,
                     starts=[s.init.tolist() for s in specs])
    if lo is not None and longer is not None:
        _check_budget(found, specs, stop, str(dtype), max(low, lo / longer**2), longer,
                      grid_size)
    return found


def max_stable_lrs(optimizers, function="seed_quartic", init=None, **kwargs) -> list:
    """`max_stable_lr` of each of `optimizers` (names) on one function; the `StableLR`s."""
    return [max_stable_lr(name, function, init, **kwargs) for name in optimizers]


def _check_budget(found, specs, stop, dtype, lower, longer, grid_size):
    """Fills in the check of `found`'s edge with `longer` times the steps."""
    lo = found.learning_rate
    steps = found.max_iters * longer
    rates = np.geomspace(lower, lo, grid_size) if lower < lo else np.array([lo])
    rates[-1] = lo  # the edge itself, exactly
    edge, _ = _Probe(specs, stop, steps, dtype).edge(rates, None, None)
    found.longer_iters, found.longer_edge = steps, edge
    found.budget_limited = edge is None or edge < lo
    found.diverges_everywhere = found.budget_limited and (
        edge is None or edge < lo / math.sqrt(longer))


class _Probe:
    """Runs one batch of learning rates from every start and keeps what it saw."""

    def __init__(self, specs, stop, max_iters, dtype):
        self.specs, self.stop, self.max_iters = specs, stop, max_iters
        self.settings = execute.settings(dtype=dtype)
        self.rounds, self.tried = 0, []

    def edge(self, rates, lo, hi):
        """The new bracket: the largest stable rate and the next rate above it."""
        specs = [[dataclasses.replace(s, key=f"{s.key}/{i}",
                                      config={**s.config, "learning_rate": float(r)})
                  for s in self.specs] for i, r in enumerate(rates)]
        found = execute.records(execute.run_all(
            [s for per_rate in specs for s in per_rate], self.stop, self.max_iters, False,
            self.settings))
        self.rounds += 1
        statuses = [_worst(found[s.key].status for s in per_rate) for per_rate in specs]
        stable = [s != "diverged" for s in statuses]
        self.tried += [(float(r), s) for r, s in zip(rates, statuses)]
        if not any(stable):
            return lo, float(rates[0])
        i = max(j for j, s in enumerate(stable) if s)
        return float(rates[i]), float(rates[i + 1]) if i + 1 < len(rates) else hi


def _worst(statuses) -> str:
    """The status of one rate over its starts: diverged, else max_iters, else converged."""
    statuses = set(statuses)
    return next(s for s in ("diverged", "max_iters", "converged") if s in statuses)


def _check(low, high, grid_size, rtol, longer):
    if not (isinstance(low, (int, float)) and isinstance(high, (int, float))
            and 0 < low < high < math.inf):
        raise ValueError(f"need 0 < low < high < inf; received low={low!r}, high={high!r}.")
    if isinstance(grid_size, bool) or not isinstance(grid_size, int) or grid_size < 2:
        raise ValueError(f"`grid_size` must be an int >= 2; received {grid_size!r}.")
    if not (isinstance(rtol, (int, float)) and rtol > 0):
        raise ValueError(f"`rtol` must be > 0; received {rtol!r}.")
    if longer is not None and (isinstance(longer, bool) or not isinstance(longer, int)
                               or longer < 2):
        raise ValueError(f"`longer` must be an int >= 2 or None; received {longer!r}.")
