"""A fair choice of learning rate for side-by-side comparisons.

Pictures that compare optimizers are only fair when every optimizer's learning
rate is chosen by the same stated rule, on the same horizon that is shown, and
without tricks one optimizer gets and another does not. `tune` applies one
such rule to every optimizer at once, as one batched sweep:

    the learning rate, among `grid_size` log-spaced rates from `low` to
    `high`, with the smallest final gap to the known minimum (the final loss
    when none is known) after `max_iters` steps from the same start; runs that
    diverge are out; among equal gaps the smaller rate wins; no clipping.

`FairChoice.caption` states the rule in words, for the figure's caption.

Example:
    >>> from coreopt.lab.fair import tune
    >>> choice = tune("gd,momentum", "seed_quartic", 2.0, max_iters=200)
    >>> sorted(choice.rates) == ["gd", "momentum"]
    True
"""

from __future__ import annotations

import dataclasses

import numpy as np

from coreopt.lab import grid as grids
from coreopt.lab.records import to_frame
from coreopt.lab.sweeps import sweep_runs


@dataclasses.dataclass
class FairChoice:
    """The chosen learning rates and how they were chosen.

    Attributes:
        rates: optimizer -> chosen learning rate (None: every rate diverged).
        gaps: optimizer -> its final gap (final loss without a known minimum).
        caption: the rule, in one sentence.
        table: every run of the search (a DataFrame).
        runs: optimizer -> the chosen run's record, as the search ran it (with its
            path when `keep_paths`), so a picture shows exactly the run that was chosen.
    """

    rates: dict
    gaps: dict
    caption: str
    table: object = dataclasses.field(repr=False, default=None)
    runs: dict = dataclasses.field(repr=False, default_factory=dict)


def tune(optimizers, function, init=None, *, config=None, max_iters=2000, low=1e-4, high=1.0,
         grid_size=64, dtype="float32", keep_paths=False) -> FairChoice:
    """Picks each optimizer's learning rate by the module's rule, in one batched sweep.

    Args:
        optimizers: one optimizer or several ("gd,adam" or a list): registered
            or chain names, classes, configured coreopt instances (see
            `coreopt.lab.inputs`).
        function: a `coreopt.functions` name or function.
        init: the common start (default: the function's own).
        config: the other hyperparameters, one value each, as a grid reads them
            (`{"momentum": {"momentum": 0.9}}`: for the optimizer `momentum` only).
        max_iters: the horizon: the steps that will be plotted, >= 1.
        low, high: the range of learning rates, 0 < low < high.
        grid_size: rates in the log grid, >= 2.
        dtype: the parameters' dtype.
        keep_paths: keep the runs' paths and curves (for pictures of the chosen runs).

    Returns:
        A `FairChoice`.
    """
    if not (0 < low < high) or isinstance(grid_size, bool) or not isinstance(grid_size, int) \
            or grid_size < 2:
        raise ValueError(f"need 0 < low < high and an int grid_size >= 2; received low={low!r}, "
                         f"high={high!r}, grid_size={grid_size!r}.")
    config = grids.other_hyperparameters(config, "tuned")
    f = grids.function(function)
    rates = [float(r) for r in np.geomspace(low, high, grid_size)]
    grid = {**config, "learning_rate": rates}
    found = sweep_runs(optimizers, f, grid, init=None if init is None else [init],
                       max_iters=max_iters, dtype=dtype, keep_paths=keep_paths)
    table = to_frame(found)
    score = table["final_loss"] if f.minimum is None else table["final_loss"] - f.minimum
    table = table.assign(score=score)
    chosen, gaps, picked = {}, {}, {}
    for name, runs in table.groupby("optimizer", sort=False):
        ok = runs[(runs.status != "diverged") & np.isfinite(runs.score)]
        best = ok.sort_values(["score", "learning_rate"], kind="stable").head(1)
        chosen[name] = None if best.empty else float(best.learning_rate.iloc[0])
        gaps[name] = None if best.empty else float(best.score.iloc[0])
        if not best.empty:
            picked[name] = found[best.index[0]]
    measure = "final gap to the minimum" if f.minimum is not None else "final loss"
    caption = (f"Each optimizer's learning rate: the one with the smallest {measure} after "
               f"{max_iters} steps among {grid_size} log-spaced rates in [{low:g}, {high:g}] "
               "(diverged runs excluded, ties to the smaller rate), from the same start, "
               f"{_clipping(chosen)}.")
    return FairChoice(chosen, gaps, caption, table, picked)


def _clipping(names) -> str:
    """The caption's words on clipping: none, unless a chain given clips."""
    clipped = [n for n in names if "clip_by" in n]
    if not clipped:
        return "without gradient clipping"
    return f"without gradient clipping but in {', '.join(clipped)}, whose chain clips"
