"""The lab's commands: `coreopt run`, `coreopt sweep`, `coreopt stable-lr`.

    coreopt run seed_quartic --optimizers gd,momentum,adam --lr 1e-3,1e-2,1e-1 \\
        --init 2 --max-iters 2000 --rule exact --out DIR
    coreopt sweep rosenbrock,himmelblau --optimizers adam,lion --lr 1e-4:1:16 \\
        --starts 64 --seeds 0,1 --out DIR [--resume]
    coreopt stable-lr seed_quartic --optimizers gd,momentum,adam --init 2

Lists are comma-separated; "A:B:N" is N log-spaced values from A to B; points
of several coordinates are separated by ";" (`--init "-1.2,1;0,0"`).
"""

from __future__ import annotations

import argparse

import numpy as np

from coreopt.cli import show


def values(text: str) -> list:
    """"1e-3,1e-2" -> [0.001, 0.01]; "1e-4:1:5" -> 5 log-spaced values; "true" -> True."""
    text = text.strip()
    if text.count(":") == 2:
        a, b, n = text.split(":")
        return [float(v) for v in np.geomspace(float(a), float(b), int(n))]
    return [_scalar(v) for v in text.split(",") if v.strip()]


def _scalar(text: str):
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return float(low)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from error


def points(text: str) -> list:
    """"2" -> [[2.0]]; "-1.2,1;0,0" -> [[-1.2, 1.0], [0.0, 0.0]]."""
    return [[float(v) for v in p.split(",")] for p in text.split(";") if p.strip()]


def setting(text: str) -> tuple:
    """"beta_1=0.8,0.9" -> ("beta_1", [0.8, 0.9])."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUES, received {text!r}")
    return name.strip(), values(rest)


def _common(p, many_functions=False):
    p.add_argument("functions" if many_functions else "function",
                   help="test function(s): see `coreopt list`")
    p.add_argument("--optimizers", default="gd,momentum,adam", help="registered names")
    p.add_argument("--max-iters", type=int, default=2000, help="budget per run")
    p.add_argument("--rule", default="exact", help="exact (the guide's), step, grad or gap")
    p.add_argument("--tol", type=float, default=None, help="tolerance of step/grad/gap")
    p.add_argument("--divergence", default=None, help="guide or nonfinite")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))


def _grid_options(p):
    p.add_argument("--lr", type=values, default=None, help="learning rates")
    p.add_argument("--set", type=setting, action="append", default=[], metavar="NAME=VALUES",
                   help="another hyperparameter's values (repeatable)")
    p.add_argument("--init", type=points, default=None, help="start point(s)")
    p.add_argument("--engine", default="auto", choices=("auto", "batched", "single"))
    p.add_argument("--keep-paths", action="store_true", help="keep paths and curves")
    p.add_argument("--out", default=None, help="results directory")
    show.add_flags(p)


def add_parsers(sub):
    run = sub.add_parser("run", help="run optimizers on a test function, print the table")
    _common(run)
    _grid_options(run)
    run.set_defaults(run=_run)
    sw = sub.add_parser("sweep", help="grids x functions x random starts, batched")
    _common(sw, many_functions=True)
    _grid_options(sw)
    sw.add_argument("--starts", type=int, default=None, help="N random starts per seed")
    sw.add_argument("--seeds", type=lambda t: [int(v) for v in t.split(",")], default=[0])
    sw.add_argument("--resume", action="store_true", help="continue the sweep in --out")
    sw.add_argument("--chunk-size", type=int, default=16384)
    sw.add_argument("--workers", type=int, default=None)
    sw.set_defaults(run=_sweep)
    st = sub.add_parser("stable-lr", help="the largest learning rate that does not diverge")
    _common(st)
    st.add_argument("--init", type=points, default=None, help="start point")
    st.add_argument("--set", type=setting, action="append", default=[], metavar="NAME=VALUE")
    st.add_argument("--low", type=float, default=1e-6)
    st.add_argument("--high", type=float, default=1e3)
    st.add_argument("--grid-size", type=int, default=64)
    st.add_argument("--rtol", type=float, default=1e-3)
    st.set_defaults(run=_stable)


def _grid(args) -> dict:
    grid = dict(args.set)
    if args.lr is not None:
        grid["learning_rate"] = args.lr
    return grid


def _stop(args) -> dict:
    return {"max_iters": args.max_iters, "rule": args.rule, "tol": args.tol,
            "divergence": args.divergence, "dtype": args.dtype}


def _run(args) -> int:
    from coreopt import lab

    show.check_flags(args)
    keep = args.keep_paths or args.plot or args.report  # a handful of runs: draw their paths
    runs = lab.sweep_runs(args.optimizers, [args.function], _grid(args), starts=args.init,
                          keep_paths=keep, out=args.out, engine=args.engine, **_stop(args))
    print(table(lab.to_frame(runs), _varied(args)))
    _written(args.out)
    show.after(args, runs)
    return 0


def _sweep(args) -> int:
    from coreopt import lab

    if args.out is None:
        raise ValueError("`coreopt sweep` needs --out DIR (results are appended as they finish).")
    show.check_flags(args)
    starts = args.starts if args.starts is not None else args.init
    runs = lab.sweep_runs(args.optimizers, args.functions, _grid(args), starts=starts,
                          seeds=args.seeds, keep_paths=args.keep_paths, out=args.out,
                          resume=args.resume, chunk_size=args.chunk_size,
                          workers=args.workers, engine=args.engine, progress=True,
                          **_stop(args))
    print(summary(lab.to_frame(runs), _varied(args)))
    _written(args.out)
    show.after(args, runs)
    return 0


def _stable(args) -> int:
    from coreopt import lab
    from coreopt.lab.grid import split_names

    init = None if args.init is None else args.init[0]
    config = {k: v[0] for k, v in args.set}
    rows = []
    for name in split_names(args.optimizers):
        edge = lab.max_stable_lr(name, args.function, init, config=config, low=args.low,
                                 high=args.high, grid_size=args.grid_size, rtol=args.rtol,
                                 **_stop(args))
        rows.append({"optimizer": edge.optimizer, "stable lr": edge.learning_rate,
                     "diverges at": edge.diverging, "rel. precision": edge.rtol,
                     "runs": edge.runs})
    import pandas as pd

    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    return 0


def _varied(args) -> list:
    return (["learning_rate"] if args.lr is not None else []) + [k for k, _ in args.set]


def table(frame, hyper) -> str:
    """The runs as a text table: who, from where, what happened."""
    columns = ["optimizer", *hyper, "function", "init", "status", "iteration", "final",
               "final_loss", "distance"]
    shown = frame[[c for c in columns if c in frame.columns]].copy()
    for column in ("init", "final"):
        if column in shown:
            shown[column] = [", ".join(f"{v:.6g}" for v in p) for p in shown[column]]
    return shown.to_string(index=False, float_format=lambda v: f"{v:.6g}")


def summary(frame, hyper) -> str:
    """Per optimizer (and hyperparameter): how many runs converged, diverged, ran out."""
    keys = ["optimizer", *hyper, "function"]
    counts = frame.groupby(keys, sort=False)["status"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=["converged", "diverged", "max_iters"], fill_value=0)
    median = frame[frame.status == "converged"].groupby(keys, sort=False)["iteration"].median()
    counts["median iters (converged)"] = median
    return counts.reset_index().to_string(index=False, float_format=lambda v: f"{v:.6g}")


def _written(out):
    if out is not None:
        print(f"\nwrote {out}/results.csv and {out}/results.json")
