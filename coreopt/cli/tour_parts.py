"""The three parts of `coreopt tour`, each one report section (see `coreopt.cli.tour`).

Each part runs its sweep into its own results folder under the tour's folder,
draws its figures into figures/, prints what it found and returns its section.
"""

from __future__ import annotations

import coreopt
from coreopt import functions, lab
from coreopt.cli import figures, tour
from coreopt.cli.lab import table
from coreopt.cli.reports import results_table
from coreopt.report import Section

GUIDE_YLIM = (0.0, 5.0)  # the guide's window on its loss-and-gradient figure


def guide(folder, log) -> Section:
    """The guide's nine runs: its table, its loss figure and its path figures."""
    runs = lab.sweep_runs(list(tour.GUIDE_OPTIMIZERS), "seed_quartic",
                          {"learning_rate": list(tour.GUIDE_RATES)}, starts=[[2.0]],
                          max_iters=2000, rule="exact", keep_paths=True, out=folder / "guide")
    log("1. The guide: gd, momentum and Adam on 2x^4 + 3x^3 + 2 from x = 2 (exact rule)\n")
    log(table(lab.to_frame(runs), ["learning_rate"]))
    text = ("The guide's own experiment, on its own defaults: each optimizer at each rate "
            "from x = 2 until the parameter stops changing (converged), a gradient is NaN "
            "(diverged, counted as the guide counts) or 2,000 iterations pass. Its outcomes: "
            "gradient descent runs out at 1e-3 and 1e-2 and diverges at step 6 at 1e-1; "
            "momentum runs out at 1e-3, converges in 80 steps at 1e-2 and diverges at step 6 "
            "at 1e-1; Adam runs out at 1e-3 and 1e-2 and converges in 1156 steps at 1e-1. "
            "The guide's path figures leave the diverged runs out; here they are drawn up "
            "to where they leave the plotted range and marked with their step.")
    return Section("1. The guide, reproduced", text=text, table=results_table(runs)[0],
                   figures=guide_figures(runs, folder / "figures"))


def guide_figures(runs, folder) -> list:
    """The guide's two figures: loss and gradient, and one path figure per optimizer."""
    from coreopt.lab.surface import surface
    from coreopt.plots import functions as fplots
    from coreopt.plots import paths, style

    f = functions.get("seed_quartic")
    grid = surface(f, 201)
    ax = fplots.plot_function_1d(grid, f.to_dict())
    ax.set_ylim(*GUIDE_YLIM)
    ax.set_title("seed_quartic: loss and gradient (the guide's first figure)")
    made = [(style.save(ax.figure, folder / "guide-loss.png"),
             "2x^4 + 3x^3 + 2 and its gradient; the star is the global minimum at x = -9/8, "
             "the dot the saddle (inflection point) at 0.")]
    for name in tour.GUIDE_OPTIMIZERS:
        ax = paths.plot_paths_1d([r for r in runs if r.optimizer == name], grid, f.to_dict())
        ax.set_title(f"{name}: parameter paths (the guide's second figure)")
        made.append((style.save(ax.figure, folder / f"guide-{name}-paths.png"),
                     f"{name} from x = 2 at learning rates 1e-3, 1e-2, 1e-1: the parameter "
                     "against the iteration over log(loss - minimum)."))
    return made


def fair(folder, log, names) -> list:
    """The optimizers `names` on each of `tour.FAIR_FUNCTIONS`, rates chosen by one rule."""
    from coreopt.lab.fair import tune

    log(f"\n2. {_which(names)} on {' and '.join(tour.FAIR_FUNCTIONS)}, fairly tuned")
    sections = []
    for name in tour.FAIR_FUNCTIONS:
        f = functions.get(name)
        choice = tune(list(names), f, f.start.tolist(), max_iters=tour.FAIR_HORIZON,
                      low=1e-4, high=10.0, grid_size=64, keep_paths=True)
        runs = list(choice.runs.values())  # the very runs the rule chose, as they ran
        failed = sorted(set(choice.rates) - set(choice.runs))
        log(f"   {name}: " + ", ".join(f"{r.optimizer} {r.config['learning_rate']:.3g}"
                                       for r in runs))
        _save_results(folder / f"fair-{name}", choice)
        sections.append(_fair_section(folder / "figures", f, runs, choice, failed, names))
    return sections


def _every(names) -> bool:
    """Whether `names` are all the optimizers that step vectors (the tour's default)."""
    return list(names) == list(coreopt.names(rank=1))


def _which(names) -> str:
    return "Every optimizer" if _every(names) else "The chosen optimizers"


def _save_results(folder, choice):
    """The search's table (results.csv) and the chosen runs' records (results.json)."""
    from coreopt.lab.store import write_atomic

    folder.mkdir()
    write_atomic(folder / "results.csv", choice.table.to_csv(index=False))
    write_atomic(folder / "results.json", "[\n" + ",\n".join(
        r.to_json() for r in choice.runs.values()) + "\n]\n")


def _fair_section(folder, f, runs, choice, failed, names) -> Section:
    from coreopt.lab.surface import surface
    from coreopt.plots import style
    from coreopt.plots.panels import plot_paths_panels

    grid = surface(f)
    fig = plot_paths_panels(runs, grid, f.to_dict(), ncols=5)
    fig.suptitle(f"{f.name}: {tour.FAIR_HORIZON} steps from {f.start.tolist()}")
    made = [(style.save(fig, folder / f"fair-{f.name}.png"), choice.caption)]
    if f.name == tour.FAIR_FUNCTIONS[0]:
        shown = [r for r in runs if r.optimizer in tour.ANIMATED] or runs[:len(tour.ANIMATED)]
        gif = figures.draw("animation", shown, folder / f"fair-{f.name}.gif", grid=grid)
        made.append((gif, f"{', '.join(r.optimizer for r in shown)} on {f.name}, animated. "
                          + choice.caption))
    who = ("Every registered optimizer that steps vectors (Muon, for matrices, does not)"
           if _every(names) else f"{', '.join(names)} (--optimizers)")
    text = (f"{who} from the same start, each at the learning rate the rule in the caption "
            "picked for it on this very horizon; nothing is clipped.")
    if failed:
        text += f" Every rate diverged for: {', '.join(failed)}."
    return Section(f"2. Fair comparison on {f.name}", text=text,
                   table=results_table(runs)[0], figures=made)


def sensitivity(folder, log, names) -> Section:
    """Steps to converge against the learning rate, and the stable edge, per optimizer."""
    import pandas as pd

    s = tour.SENSITIVITY
    rates = tour.log_rates(*s["rates"])
    stop = {"max_iters": s["max_iters"], "rule": s["rule"], "tol": s["tol"]}
    runs = lab.sweep_runs(names, "seed_quartic", {"learning_rate": rates},
                          starts=[[2.0]], out=folder / "sensitivity", **stop)
    edges = [lab.max_stable_lr(name, "seed_quartic", [2.0], **stop) for name in names]
    stable = {e.optimizer: e.learning_rate for e in edges if e.diverging is not None}
    out = figures.draw("sensitivity", runs, folder / "figures" / "sensitivity.png",
                       stable=stable)
    rows = pd.DataFrame([_edge_row(e) for e in edges])
    log("\n3. Learning-rate sensitivity on the quartic, and each stable-lr edge\n")
    log(rows.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    caption = (f"Steps until the gap to the minimum is <= {s['tol']:g} (at most "
               f"{s['max_iters']}) from x = 2, at {len(rates)} log-spaced learning rates in "
               f"[{s['rates'][0]:g}, {s['rates'][1]:g}]; an x marks a rate where the run "
               "diverged, an open ring one that ran out of iterations; the dashed line is "
               "the optimizer's largest stable learning rate (none where nothing diverged "
               "up to 1000).")
    text = ("How far can each optimizer be pushed? The largest learning rate that does not "
            "diverge, found by a batched log grid then multisection, to the stated relative "
            "precision.")
    return Section("3. Learning-rate sensitivity and the stable edge", text=text, table=rows,
                   figures=[(out, caption)])


def _edge_row(edge) -> dict:
    """A row of the stable-edge table, in words where no edge was found."""
    if edge.learning_rate is None:
        stable, diverges = "none", f"{edge.diverging:.4g} (the lowest rate tried)"
    elif edge.diverging is None:
        stable, diverges = f">= {edge.learning_rate:.4g}", "nowhere up to the highest rate tried"
    else:
        stable, diverges = f"{edge.learning_rate:.6g}", f"{edge.diverging:.6g}"
    return {"optimizer": edge.optimizer, "stable lr": stable, "diverges at": diverges}
