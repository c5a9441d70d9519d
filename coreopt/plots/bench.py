"""The benchmark's figures: learning curves per problem and the performance profile.

Both read the benchmark's records (`coreopt.train.bench`, plain JSON values); no
TensorFlow here.

A performance profile (Dolan & Moré 2002, as AlgoPerf uses it): for problem p and
optimizer o, r(p, o) = steps to the target of o on p / the fewest of any optimizer
on p (infinite where o never reaches it); rho_o(tau) = the share of problems with
r(p, o) <= tau. A curve high on the left is fast; its right end is the share of
problems whose target the optimizer reaches at all.

Example:
    >>> ratios = profile_ratios({("a", "x"): 100, ("a", "y"): 200, ("b", "x"): None,
    ...                          ("b", "y"): 50})
    >>> ratios["x"], ratios["y"]
    ([1.0, inf], [2.0, 1.0])
"""

from __future__ import annotations

import math

import numpy as np

from coreopt.plots import style


def profile_ratios(steps: dict) -> dict:
    """{optimizer: [r(p, o) per problem, in the problems' first-seen order]} from
    {(problem, optimizer): median steps to the target, or None}."""
    problems = list(dict.fromkeys(p for p, _ in steps))
    optimizers = list(dict.fromkeys(o for _, o in steps))
    ratios = {o: [] for o in optimizers}
    for p in problems:
        reached = [s for (q, _), s in steps.items() if q == p and s is not None]
        best = min(reached) if reached else None
        for o in optimizers:
            s = steps.get((p, o))
            ratios[o].append(math.inf if s is None or best is None else s / best)
    return ratios


def profile_figure(ratios: dict):
    """rho_o(tau) for every optimizer, tau on a log axis from 1 to past the largest ratio."""
    finite = [r for rs in ratios.values() for r in rs if math.isfinite(r)]
    top = max(max(finite, default=1.0) * 1.5, 2.0)
    taus = np.geomspace(1.0, top, 200)
    with style.style():
        fig, ax = style.new_figure()
        for i, (name, rs) in enumerate(ratios.items()):
            rho = [np.mean([r <= t for r in rs]) for t in taus]
            ax.step(taus, rho, where="post", color=style.color(i), label=name)
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("tau (steps to target / the fewest)")
        ax.set_ylabel("share of problems within tau")
        ax.grid(alpha=0.3)
        style.legend_outside(ax)
    return fig


def curves_figure(records: list, problem: str):
    """The validation metric per epoch (mean over seeds, band: min to max) for every
    optimizer's retrained best rate on `problem`, with the target as a line."""
    rows = [r for r in records if r["problem"] == problem and r["phase"] == "seeds"
            and r.get("lr") is not None]
    with style.style():
        fig, ax = style.new_figure()
        for i, r in enumerate(rows):
            curves = np.asarray(r["curves"], np.float64)
            epochs = np.arange(1, curves.shape[1] + 1)
            ax.plot(epochs, curves.mean(0), color=style.color(i),
                    label=f"{r['optimizer']} (lr {r['lr']:.2g})")
            ax.fill_between(epochs, curves.min(0), curves.max(0), color=style.color(i),
                            alpha=0.15)
        if rows:
            ax.axhline(rows[0]["target"], color="0.4", linestyle=":", label="target")
            ax.set_ylabel(f"validation {rows[0]['metric']}")
            if not rows[0]["higher_is_better"]:
                ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(problem)
        ax.grid(alpha=0.3)
        style.legend_outside(ax)
    return fig
