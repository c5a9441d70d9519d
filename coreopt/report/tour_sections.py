"""The sections of the tour's report (`coreopt.report.tour`), from the tour's records.

Every sentence about an outcome (which run converged, in how many steps, which
diverged) is written from the records given, never ahead of them.

Example:
    >>> from types import SimpleNamespace as Run  # the fields of a `Run` read here
    >>> runs = [Run(optimizer="gd", config={"learning_rate": r}, status=s, iteration=i)
    ...         for r, s, i in ((1e-3, "max_iters", 2000), (1e-2, "max_iters", 2000),
    ...                         (1e-1, "diverged", 6))]
    >>> outcomes(runs)
    'gradient descent runs out at 1e-3 and 1e-2 and diverges at step 6 at 1e-1'
"""

from __future__ import annotations

import pathlib

from coreopt.lab import tour
from coreopt.report import Section, edges, figures
from coreopt.report.results import results_table

GUIDE_YLIM = (0.0, 5.0)  # the guide's window on its loss-and-gradient figure
SPOKEN = {"gd": "gradient descent", "adam": "Adam"}  # names as the guide writes them


def guide(runs, folder) -> Section:
    """The guide's section: its table, its loss figure and its path figures."""
    text = ("The guide's own experiment, on its own defaults: each optimizer at each rate "
            "from x = 2 until the parameter stops changing (converged), a gradient is NaN "
            "(diverged, counted as the guide counts) or "
            f"{tour.GUIDE['max_iters']:,} iterations pass. Its outcomes: {outcomes(runs)}. "
            "The guide's path figures leave the diverged runs out; here they are drawn up "
            "to where they leave the plotted range and marked with their step.")
    return Section("1. The guide, reproduced", text=text, table=results_table(runs)[0],
                   figures=guide_figures(runs, folder))


def outcomes(runs) -> str:
    """What happened to each optimizer at each rate, in words, from the records."""
    said = []
    for name in dict.fromkeys(r.optimizer for r in runs):
        parts: list = []  # [phrase, rates] with neighbouring rates of one outcome merged
        for r in sorted((r for r in runs if r.optimizer == name),
                        key=lambda r: r.config["learning_rate"]):
            phrase = _outcome(r)
            if parts and parts[-1][0] == phrase:
                parts[-1][1].append(rate_text(r.config["learning_rate"]))
            else:
                parts.append([phrase, [rate_text(r.config["learning_rate"])]])
        said.append(f"{SPOKEN.get(name, name)} "
                    + _and([f"{phrase} at {_and(rates)}" for phrase, rates in parts]))
    return "; ".join(said)


def _outcome(run) -> str:
    if run.status == "converged":
        return f"converges in {run.iteration} steps"
    if run.status == "diverged":
        return f"diverges at step {run.iteration}"
    return "runs out"


def rate_text(value) -> str:
    """1e-3 for 0.001: the rate as the guide writes it."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _and(items) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def guide_figures(runs, folder) -> list:
    """The guide's two figures: loss and gradient, and one path figure per optimizer."""
    from coreopt.lab.surface import surface
    from coreopt.plots import functions as fplots
    from coreopt.plots import paths, style

    folder = pathlib.Path(folder)
    f = figures.function_of(runs)
    grid = surface(f, 201)
    ax = fplots.plot_function_1d(grid, f.to_dict())
    ax.set_ylim(*GUIDE_YLIM)
    ax.set_title(f"{f.name}: loss and gradient (the guide's first figure)")
    made = [(style.save(ax.figure, folder / "guide-loss.png"),
             "2x^4 + 3x^3 + 2 and its gradient; the star is the global minimum at x = -9/8, "
             "the dot the saddle (inflection point) at 0.")]
    for name in dict.fromkeys(r.optimizer for r in runs):
        mine = [r for r in runs if r.optimizer == name]
        rates = ", ".join(rate_text(r.config["learning_rate"]) for r in mine)
        ax = paths.plot_paths_1d(mine, grid, f.to_dict())
        ax.set_title(f"{name}: parameter paths (the guide's second figure)")
        made.append((style.save(ax.figure, folder / f"guide-{name}-paths.png"),
                     f"{name} from x = {_start(mine[0])} at learning rates {rates}: the "
                     "parameter against the iteration over log(loss - minimum)."))
    return made


def _start(run) -> str:
    return ", ".join(f"{v:g}" for v in run.init)


def fair(choice, function, folder, names) -> Section:
    """The section of one fair comparison: `choice` (a `FairChoice`) on `function`."""
    from coreopt.lab.surface import surface
    from coreopt.plots import style
    from coreopt.plots.panels import plot_paths_panels

    runs = list(choice.runs.values())  # the very runs the rule chose, as they ran
    failed = sorted(set(choice.rates) - set(choice.runs))
    grid = surface(function)
    fig = plot_paths_panels(runs, grid, function.to_dict(), ncols=5)
    fig.suptitle(f"{function.name}: {tour.FAIR_HORIZON} steps from {function.start.tolist()}")
    made = [(style.save(fig, folder / f"fair-{function.name}.png"), choice.caption)]
    if function.name == tour.FAIR_FUNCTIONS[0]:
        shown = [r for r in runs if r.optimizer in tour.ANIMATED] or runs[:len(tour.ANIMATED)]
        gif = figures.draw("animation", shown, folder / f"fair-{function.name}.gif", grid=grid)
        made.append((gif, f"{', '.join(r.optimizer for r in shown)} on {function.name}, "
                          "animated. " + choice.caption))
    who = ("Every registered optimizer that steps vectors (Muon, for matrices, does not)"
           if tour.every(names) else f"{', '.join(names)} (--optimizers)")
    text = (f"{who} from the same start, each at the learning rate the rule in the caption "
            "picked for it on this very horizon; nothing is clipped.")
    if failed:
        text += f" Every rate diverged for: {', '.join(failed)}."
    return Section(f"2. Fair comparison on {function.name}", text=text,
                   table=results_table(runs)[0], figures=made)


def sensitivity(runs, found, folder) -> Section:
    """The sensitivity section: steps against the rate, and each optimizer's stable edge."""
    s = tour.SENSITIVITY
    stable = {e.optimizer: e.learning_rate for e in found if e.diverging is not None}
    out = figures.draw("sensitivity", runs, folder / "sensitivity.png", stable=stable)
    caption = (f"Steps until the gap to the minimum is <= {s['tol']:g} (at most "
               f"{s['max_iters']}) from x = {_start(runs[0])}, at {s['rates'][2]} log-spaced "
               f"learning rates in [{s['rates'][0]:g}, {s['rates'][1]:g}]; an x marks a rate "
               "where the run diverged, an open ring one that ran out of iterations; the "
               "dashed line is the optimizer's largest stable learning rate (none where "
               f"nothing diverged up to {tour.STABLE_HIGH:g}).")
    text = ("How far can each optimizer be pushed? The largest learning rate that does not "
            "diverge, found by a batched log grid then multisection, to the stated relative "
            "precision.")
    return Section("3. Learning-rate sensitivity and the stable edge", text=text,
                   table=edges.tour_table(found), figures=[(out, caption)])
