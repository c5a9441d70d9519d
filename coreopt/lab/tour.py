"""The experiments of `coreopt tour`, as records: the guide, a fair comparison, sensitivity.

1. `guide`: the guide's nine runs ("Optimizers with Core APIs"): gradient
   descent, momentum and Adam at learning rates 1e-3, 1e-2, 1e-1 on
   2x^4 + 3x^3 + 2 from x = 2, its exact stopping rule, 2,000 iterations.
2. `fair`: the chosen optimizers on one of `FAIR_FUNCTIONS` under the fair
   protocol (`coreopt.lab.fair`): each one's learning rate picked by the same
   stated rule on the plotted horizon.
3. `sensitivity`: each one's steps to converge against the learning rate on the
   quartic, and its stable-learning-rate edge (`coreopt.lab.max_stable_lr`).

Each experiment keeps its results in its own folder and returns its records;
the tour's report (`coreopt.report.tour`) draws and describes them.

Example:
    >>> from coreopt.lab import tour
    >>> tour.optimizers(["adam", "adam", "gd"])
    ('adam', 'gd')
    >>> [f"{r:g}" for r in tour.log_rates(1e-3, 1e-1, 3)]
    ['0.001', '0.01', '0.1']
"""

from __future__ import annotations

import pathlib

from coreopt import files

GUIDE_OPTIMIZERS = ("gd", "momentum", "adam")
GUIDE_RATES = (1e-3, 1e-2, 1e-1)
GUIDE = {"function": "seed_quartic", "init": [2.0], "max_iters": 2000, "rule": "exact"}
FAIR_FUNCTIONS = ("rosenbrock", "himmelblau")
FAIR_HORIZON = 500
FAIR_SEARCH = {"low": 1e-4, "high": 10.0, "grid_size": 64}
ANIMATED = ("gd", "momentum", "adam", "rmsprop", "adagrad", "lion")
SENSITIVITY = {"rates": (1e-4, 10.0, 48), "max_iters": 2000, "rule": "gap", "tol": 1e-4}
STABLE_HIGH = 1e3  # the largest rate the stable-edge search tries


def optimizers(names=None) -> tuple:
    """The checked optimizer names, repeats dropped (all that step vectors when None).

    Raises:
        ValueError: an unknown name (with suggestions), a wrapper, or an optimizer
            that cannot step vectors.
    """
    import coreopt

    vectors = coreopt.names(rank=1)
    if names is None:
        return vectors
    if not names or any(not n for n in names):
        raise ValueError(f"--optimizers needs comma-separated names; received {names!r}.")
    for name in names:
        coreopt.entry(name)  # unknown: ValueError with suggestions
        if name in coreopt.names("wrapper"):
            raise ValueError(f"{name!r} is a wrapper; the tour compares optimizers.")
        if name not in vectors:
            raise ValueError(f"{name!r} cannot step the tour's vector parameters (it steps "
                             f"ranks {coreopt.entry(name).cls.ranks}); choose others.")
    return tuple(dict.fromkeys(names))


def every(names) -> bool:
    """Whether `names` are all the optimizers that step vectors (the tour's default)."""
    import coreopt

    return list(names) == list(coreopt.names(rank=1))


def guide(folder) -> list:
    """The guide's nine runs, paths kept, their results in `folder`; the `Run` records."""
    from coreopt import lab

    g = GUIDE
    return lab.sweep_runs(list(GUIDE_OPTIMIZERS), g["function"],
                          {"learning_rate": list(GUIDE_RATES)}, starts=[g["init"]],
                          max_iters=g["max_iters"], rule=g["rule"], keep_paths=True,
                          out=pathlib.Path(folder))


def fair(folder, names, function):
    """`names` on the test function named `function`, rates chosen by one rule.

    Writes the search's table (results.csv) and the chosen runs (results.json)
    into `folder`, a new folder. Returns the `coreopt.lab.fair.FairChoice`.
    """
    from coreopt import functions
    from coreopt.lab.fair import tune

    f = functions.get(function)
    choice = tune(list(names), f, f.start.tolist(), max_iters=FAIR_HORIZON,
                  keep_paths=True, **FAIR_SEARCH)
    folder = pathlib.Path(folder)
    folder.mkdir()
    files.write_text(folder / "results.csv", choice.table.to_csv(index=False))
    files.write_text(folder / "results.json", "[\n" + ",\n".join(
        r.to_json() for r in choice.runs.values()) + "\n]\n")
    return choice


def sensitivity(folder, names) -> tuple:
    """Each of `names` on the quartic at `SENSITIVITY`'s rates (results in `folder`),
    and its stable edge: (the `Run` records, the `StableLR` results)."""
    from coreopt import lab

    s = SENSITIVITY
    stop = {"max_iters": s["max_iters"], "rule": s["rule"], "tol": s["tol"]}
    runs = lab.sweep_runs(list(names), GUIDE["function"],
                          {"learning_rate": log_rates(*s["rates"])}, starts=[GUIDE["init"]],
                          out=pathlib.Path(folder), **stop)
    edges = [lab.max_stable_lr(name, GUIDE["function"], GUIDE["init"], high=STABLE_HIGH,
                               **stop) for name in names]
    return runs, edges


def log_rates(low, high, n) -> list:
    """n log-spaced rates from low to high, as floats."""
    import numpy as np

    return [float(v) for v in np.geomspace(low, high, n)]
