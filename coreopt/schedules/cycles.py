"""The one-cycle policy: `OneCycle` for a learning rate, `OneCycleMomentum` for momentum.

Smith & Topin, 2019, "Super-Convergence: Very Fast Training of Neural Networks
Using Large Learning Rates" (arXiv:1708.07120), in the form of PyTorch's
`torch.optim.lr_scheduler.OneCycleLR` (`torch/optim/lr_scheduler.py`).

How torch's conventions map:

* Step indexing. torch sets the rate for step number 0 when the scheduler is
  made and moves to number k + 1 on the `scheduler.step()` after the k-th
  `optimizer.step()`, so the k-th update (0-based) uses torch's value at
  k. An optimizer here reads `schedule(iterations)` with `iterations = k`
  steps taken before that update: the same number, no shift.
* `total_steps` is torch's (`epochs * steps_per_epoch` is the caller's
  product). Phase i ends at step `end_i` (a float, as torch computes it)::

      two phases:    pct_start * T - 1,  T - 1
      three phases:  pct_start * T - 1,  2 * pct_start * T - 2,  T - 1

  and a step s belongs to the first phase with s <= end_i (the last phase
  takes the rest), read at pct = (s - end_{i-1}) / (end_i - end_{i-1}),
  with end_{-1} = 0.
* After the last phase (s > T - 1) torch raises past s = T and extrapolates
  the last phase at s = T (a value no update uses); here the value holds at
  the last phase's end for every s > T - 1.
* torch's `max_lr` is `peak`; `initial_lr = max_lr / div_factor` and
  `min_lr = initial_lr / final_div_factor` as in torch. torch cycles the
  momentum in the same scheduler (`cycle_momentum`); here that is the
  separate `OneCycleMomentum`, for the optimizer's momentum or beta_1.

torch also accepts two configurations refused here: `pct_start * T == 1`
(torch divides by zero at step 0) and `three_phase` with `pct_start > 0.5`
(the third phase would never run).
"""

from __future__ import annotations

import math

import tensorflow as tf

from coreopt.schedules import _args
from coreopt.schedules.base import Schedule, full

_ANNEAL = {
    "cos": lambda start, end, pct: end + (start - end) / 2.0 * (tf.cos(math.pi * pct) + 1.0),
    "linear": lambda start, end, pct: (end - start) * pct + start,
}


class _Cycle(Schedule):
    """The phases of a one-cycle policy; a subclass gives each phase's (start, end) levels."""

    def _check_cycle(self, total_steps, pct_start, anneal_strategy, three_phase):
        self.total_steps = _args.integer("total_steps", total_steps, low=1)
        self.pct_start = _args.real("pct_start", pct_start, 0.0, 1.0)
        self.anneal_strategy = _args.choice("anneal_strategy", anneal_strategy, tuple(_ANNEAL))
        self.three_phase = _args.boolean("three_phase", three_phase)
        if self.three_phase and self.pct_start > 0.5:
            raise ValueError("with `three_phase`, `pct_start` must be in [0, 0.5] (the first two "
                             f"phases take 2 * pct_start of the steps); received {pct_start!r}.")
        if self.ends()[0] == 0.0:
            raise ValueError(f"`pct_start` * `total_steps` must not be 1 (the first phase would "
                             f"have no length); received {pct_start!r} * {total_steps!r}.")

    def ends(self) -> tuple[float, ...]:
        """The step at which each phase ends, as torch computes them."""
        p, total = self.pct_start, self.total_steps
        if self.three_phase:
            return float(p * total) - 1, float(2 * p * total) - 2, total - 1
        return float(p * total) - 1, total - 1

    def levels(self) -> tuple[tuple[float, float], ...]:
        """Each phase's (start, end) values."""
        raise NotImplementedError

    def _phase(self, t, i, starts, ends, levels):
        length = ends[i] - starts[i]
        pct = (t - starts[i]) / (length if length else 1.0)
        return _ANNEAL[self.anneal_strategy](*levels[i], pct)

    def at(self, t):
        ends, levels = self.ends(), self.levels()
        starts = (0.0, *ends[:-1])
        last = len(ends) - 1
        out = tf.where(t > ends[-1], full(t, levels[-1][1]),
                       self._phase(t, last, starts, ends, levels))
        for i in reversed(range(last)):
            out = tf.where(t <= ends[i], self._phase(t, i, starts, ends, levels), out)
        return out

    @property
    def horizon(self):
        return self.total_steps - 1


class OneCycle(_Cycle):
    """One cycle: up from `peak / div_factor` to `peak`, then down far below the start.

    With lo = peak / div_factor and floor = lo / final_div_factor, the phases
    (see the module docstring for where each ends) anneal::

        two phases:    lo -> peak,  peak -> floor
        three phases:  lo -> peak,  peak -> lo,  lo -> floor
        cos:     end + (start - end) / 2 * (cos(pi * pct) + 1)
        linear:  (end - start) * pct + start

    and the value holds at `floor` after step T - 1.

    References: Smith & Topin, 2019 (arXiv:1708.07120); PyTorch
    `torch.optim.lr_scheduler.OneCycleLR` (its `max_lr` is `peak`).

    Args:
        peak: the highest value, float >= 0.
        total_steps: int >= 1, the steps in the cycle.
        pct_start: the fraction of the steps spent climbing, in [0, 1].
        anneal_strategy: "cos" or "linear".
        div_factor: float > 0, peak over the starting value.
        final_div_factor: float > 0, the starting value over the final one.
        three_phase: climb, descend back to the start, then annihilate.

    Example:
        >>> lr = OneCycle(peak=1.0, total_steps=100, pct_start=0.5, div_factor=10.0,
        ...               final_div_factor=10.0, anneal_strategy="linear")
        >>> [round(float(lr(s)), 6) for s in (0, 49, 74, 99, 200)]
        [0.1, 1.0, 0.505, 0.01, 0.01]
    """

    registry_name = "one_cycle"

    def __init__(self, peak, total_steps, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        self.peak = _args.nonnegative("peak", peak)
        self.div_factor = _args.positive("div_factor", div_factor)
        self.final_div_factor = _args.positive("final_div_factor", final_div_factor)
        self._check_cycle(total_steps, pct_start, anneal_strategy, three_phase)

    def levels(self):
        lo = self.peak / self.div_factor
        floor = lo / self.final_div_factor
        if self.three_phase:
            return (lo, self.peak), (self.peak, lo), (lo, floor)
        return (lo, self.peak), (self.peak, floor)


class OneCycleMomentum(_Cycle):
    """The momentum that goes with `OneCycle`: down while the rate climbs, then back up.

    The phases of `OneCycle` with the same arguments, annealing::

        two phases:    max -> base,  base -> max
        three phases:  max -> base,  base -> max,  max -> max

    (max = max_momentum, base = base_momentum), holding at max after step
    T - 1. This is torch's `cycle_momentum=True` part of `OneCycleLR`.

    References: Smith & Topin, 2019 (arXiv:1708.07120); PyTorch
    `torch.optim.lr_scheduler.OneCycleLR` (`base_momentum`, `max_momentum`).

    Args:
        total_steps: int >= 1, the steps in the cycle.
        base_momentum: the lowest momentum, at the rate's peak, in [0, 1].
        max_momentum: the momentum at the start and the end, in [0, 1].
        pct_start: the fraction of the steps spent climbing, in [0, 1].
        anneal_strategy: "cos" or "linear".
        three_phase: as in `OneCycle`.

    Example:
        >>> beta = OneCycleMomentum(total_steps=100, pct_start=0.5, anneal_strategy="linear")
        >>> [round(float(beta(s)), 6) for s in (0, 49, 99)]
        [0.95, 0.85, 0.95]
    """

    registry_name = "one_cycle_momentum"

    def __init__(self, total_steps, base_momentum=0.85, max_momentum=0.95, pct_start=0.3,
                 anneal_strategy="cos", three_phase=False):
        self.base_momentum = _args.real("base_momentum", base_momentum, 0.0, 1.0)
        self.max_momentum = _args.real("max_momentum", max_momentum, 0.0, 1.0)
        self._check_cycle(total_steps, pct_start, anneal_strategy, three_phase)

    def levels(self):
        lo, hi = self.base_momentum, self.max_momentum
        if self.three_phase:
            return (hi, lo), (lo, hi), (hi, hi)
        return (hi, lo), (lo, hi)
