"""The lab's commands: `coreopt run`, `coreopt sweep`, `coreopt stable-lr`.

    coreopt run seed_quartic --optimizers gd,momentum,adam --lr 1e-3,1e-2,1e-1 \\
        --init 2 --max-iters 2000 --rule exact --out DIR
    coreopt sweep rosenbrock,himmelblau --optimizers adam,lion --lr 1e-4:1:16 \\
        --starts 64 --seeds 0,1 --out DIR [--resume]
    coreopt stable-lr seed_quartic --optimizers gd,momentum,adam --init 2

Lists are comma-separated; "A:B:N" is N log-spaced values from A to B; points
of several coordinates are separated by ";" (`--init "-1.2,1;0,0"`). An
optimizer is a registered name or a chain of wrappers, outermost first
(`sam:momentum`, `ema(momentum=0.999):adam`); an N-D test function takes its
dimension after a colon (`rosenbrock:5`) or from `--dim`.
"""

from __future__ import annotations

import argparse
import itertools
import textwrap

from coreopt.cli import show

# `coreopt.lab.rules.DEFAULT_TOL`, written here so that `--help` imports no TensorFlow
# (tests/cli/test_lab.py checks the two agree).
TOL_HELP = "step 1e-08, grad 1e-05, gap 1e-08"


RANGE_FORM = "A:B:N, N log-spaced values from A to B (1e-4:1:16)"
LIST_FORM = "values comma-separated (1e-3,1e-2; true or false for an option)"


def values(text: str) -> list:
    """"1e-3,1e-2" -> [0.001, 0.01]; "1e-4:1:5" -> 5 log-spaced values; "true" -> True."""
    text = text.strip()
    if ":" in text:
        return _log_spaced(text)
    return [_scalar(v) for v in text.split(",") if v.strip()]


def _log_spaced(text: str) -> list:
    """"1e-4:1:5" -> 5 log-spaced values from 1e-4 to 1, each part checked."""
    parts = text.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(
            f"{text!r} has {len(parts)} part(s) separated by ':'; a range is {RANGE_FORM}")
    try:
        a, b = float(parts[0]), float(parts[1])
        n = int(parts[2])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"in {text!r}, A and B must be numbers and N an integer; a range is "
            f"{RANGE_FORM}") from None
    if not (0 < a < float("inf") and 0 < b < float("inf")) or n < 1:
        raise argparse.ArgumentTypeError(
            f"in {text!r}, A and B must be > 0 (the values are log-spaced) and N >= 1; a "
            f"range is {RANGE_FORM}")
    import numpy as np

    return [float(v) for v in np.geomspace(a, b, n)]


def _scalar(text: str):
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return float(low)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"not a number: {text!r}; expected {LIST_FORM}, or {RANGE_FORM}") from error


def points(text: str) -> list:
    """"2" -> [[2.0]]; "-1.2,1;0,0" -> [[-1.2, 1.0], [0.0, 0.0]]."""
    try:
        return [[float(v) for v in p.split(",")] for p in text.split(";") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected coordinates comma-separated, points separated by ';' (2, or "
            f"\"-1.2,1;0,0\"); received {text!r}") from None


def setting(text: str) -> tuple:
    """"beta_1=0.8,0.9" -> ("beta_1", [0.8, 0.9])."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUES, received {text!r}")
    try:
        return name.strip(), values(rest)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"{name.strip()}: {error}") from None


def function_names(text: str) -> list:
    """"rosenbrock:5,himmelblau" -> [("rosenbrock", 5), ("himmelblau", None)]: a test
    function's name and, for an N-D one, its dimension (checked when it is built)."""
    out = []
    for part in (t.strip() for t in text.split(",")):
        if not part:
            continue
        name, sep, dim = part.partition(":")
        if not name.strip() or (sep and not dim.strip().isdigit()):
            raise argparse.ArgumentTypeError(
                f"expected NAME or NAME:DIM (rosenbrock:5), received {part!r}")
        out.append((name.strip(), int(dim) if sep else None))
    if not out:
        raise argparse.ArgumentTypeError("give at least one test function name")
    return out


def function_name(text: str) -> tuple:
    """"rosenbrock:5" -> ("rosenbrock", 5): one test function (see `function_names`)."""
    found = function_names(text)
    if len(found) != 1:
        raise argparse.ArgumentTypeError(f"expected one test function, received {text!r}")
    return found[0]


def positive_int(text: str) -> int:
    """"5" -> 5; zero, a negative number or a non-integer is refused."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, received {text!r}")
    return value


def seeds(text: str) -> list:
    """"0,1,2" -> [0, 1, 2]."""
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers, comma-separated: {text!r}") from None


def _common(p, many_functions=False):
    if many_functions:
        p.add_argument("functions", type=function_names, metavar="FUNCTIONS",
                       help="test functions, comma-separated, from `coreopt list`; an N-D one "
                            "takes its dimension after a colon: rosenbrock:5,himmelblau")
    else:
        p.add_argument("function", type=function_name, metavar="FUNCTION",
                       help="a test function from `coreopt list`; an N-D one takes its "
                            "dimension after a colon: rosenbrock:5")
    p.add_argument("--dim", type=positive_int, default=None, metavar="N",
                   help="the dimension of the N-D functions given without one "
                        "(default: each function's own, 2)")
    p.add_argument("--optimizers", default="gd,momentum,adam", metavar="NAMES",
                   help="optimizers, comma-separated: names from `coreopt list`, or chains of "
                        "wrappers, outermost first: sam:momentum, ema(momentum=0.999):adam")
    p.add_argument("--max-iters", type=int, default=2000, metavar="N",
                   help="iterations per run at most")
    p.add_argument("--rule", default="exact", choices=("exact", "step", "grad", "gap"),
                   help="when a run has converged: exact (the guide's: the step no longer "
                        "changes the point), step, grad or gap (each within --tol)")
    p.add_argument("--tol", type=float, default=None,
                   help=f"the tolerance of the step, grad and gap rules (default: {TOL_HELP})")
    p.add_argument("--divergence", default=None, choices=("guide", "nonfinite"),
                   help="when a run has diverged: guide (a NaN gradient or parameter) or "
                        "nonfinite (any NaN or Inf) (default: guide for the exact rule, "
                        "else nonfinite)")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                   help="the floating-point type of every run")


def _grid_options(p):
    p.add_argument("--lr", type=values, default=None, metavar="RATES",
                   help="learning rates: comma-separated (1e-3,1e-2,1e-1), or A:B:N, N "
                        "log-spaced rates from A to B (1e-4:1:16) (default: each "
                        "optimizer's own)")
    p.add_argument("--set", type=setting, action="append", default=[], metavar="NAME=VALUES",
                   help="another hyperparameter's values, in the forms of --lr "
                        "(beta_1=0.8,0.9; momentum=0.5:0.99:8; a wrapper's: sam.rho=0.05); "
                        "repeatable (default: none)")
    p.add_argument("--init", type=points, default=None, metavar="POINTS",
                   help='start point(s): coordinates comma-separated, points separated by ";" '
                        '(--init 2, --init "-1.2,1;0,0") (default: the function\'s own start)')
    p.add_argument("--engine", default="auto", choices=("auto", "batched", "single"),
                   help="auto: many runs in one compiled loop where every optimizer allows "
                        "it; batched: always (else an error); single: one run at a time")
    p.add_argument("--keep-paths", action="store_true",
                   help="keep every run's path and curves (for --plot; memory grows with "
                        "steps x runs)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="the results directory: results.csv, runs.jsonl "
                        "(default: none, the table is only printed)")
    show.add_flags(p)


def _description(summary: str, command: str) -> str:
    """A command's --help text: `summary`, its example from the module's docstring, and
    the accepted forms of the values (the docstring's last paragraph)."""
    paragraphs = __doc__.split("\n\n")
    lines = paragraphs[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[1:2] == [command])
    rest = itertools.takewhile(lambda line: line.split()[0] != "coreopt", lines[start + 1:])
    example = "\n".join([lines[start], *rest])
    return "\n\n".join([textwrap.fill(summary, 79), example, paragraphs[2].strip()])


def add_parsers(sub):
    """Registers `run`, `sweep` and `stable-lr` on the `coreopt` command's subparsers."""
    run = sub.add_parser("run", help="run optimizers on a test function, print the table",
                         description=_description(
                             "Runs optimizers on one test function and prints one row per "
                             "run: who, from where, what happened.", "run"))
    _common(run)
    _grid_options(run)
    run.set_defaults(run=_run)
    sw = sub.add_parser("sweep", help="grids x functions x random starts, batched",
                        description=_description(
                            "Runs optimizers x hyperparameter grids x test functions x "
                            "starts, batched; appends the results to --out as they finish "
                            "(--resume continues) and prints a summary.", "sweep"))
    _common(sw, many_functions=True)
    _grid_options(sw)
    sw.add_argument("--starts", type=positive_int, default=None, metavar="N",
                    help="N random starts per seed, drawn in each function's domain "
                         "(default: --init, else each function's own start)")
    sw.add_argument("--seeds", type=seeds, default="0", metavar="SEEDS",
                    help="the seeds that draw the random starts, comma-separated: 0,1,2")
    sw.add_argument("--resume", action="store_true", help="continue the sweep in --out")
    sw.add_argument("--chunk-size", type=positive_int, default=16384, metavar="N",
                    help="the most runs in one compiled batch")
    sw.add_argument("--workers", type=positive_int, default=None, metavar="N",
                    help="threads running batches side by side (default: the CPU count)")
    sw.set_defaults(run=_sweep)
    st = sub.add_parser("stable-lr", help="the largest learning rate that does not diverge",
                        description=_description(
                            "Finds each optimizer's largest learning rate in [--low, --high] "
                            "that does not diverge, by batched rounds of log-spaced rates, "
                            "to --rtol, then checks the edge with 4 x --max-iters steps and "
                            "says whether it moves with the step budget.", "stable-lr"))
    _common(st)
    st.add_argument("--init", type=points, default=None, metavar="POINTS",
                    help='start point(s): coordinates comma-separated, points separated by '
                         '";" (--init 2, --init "-1.2,1;0,0"); with several, a rate is stable '
                         "when no start diverges (default: the function's own start)")
    st.add_argument("--set", type=setting, action="append", default=[], metavar="NAME=VALUE",
                    help="another hyperparameter, held fixed: momentum=0.9; repeatable "
                         "(default: each optimizer's own)")
    st.add_argument("--low", type=float, default=1e-6, help="the smallest learning rate tried")
    st.add_argument("--high", type=float, default=1e3, help="the largest learning rate tried")
    st.add_argument("--grid-size", type=int, default=64, metavar="N",
                    help="learning rates tried per batched round, log-spaced")
    st.add_argument("--rtol", type=float, default=1e-3,
                    help="the relative precision wanted of the edge")
    st.set_defaults(run=_stable)


def _functions(args) -> list:
    """The test functions named on the command line, built with their dimensions."""
    from coreopt.functions.dims import build

    return build([args.function] if hasattr(args, "function") else args.functions, args.dim)


def _optimizers(args) -> list:
    """--optimizers split at the commas outside parentheses: "sam(rho=0.1):gd,adam"."""
    from coreopt.core.chains import split_top

    return split_top(args.optimizers, ",")


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
    from coreopt.report.results import text_table

    show.check_flags(args)
    keep = args.keep_paths or args.plot or args.report  # a handful of runs: draw their paths
    runs = lab.sweep_runs(_optimizers(args), _functions(args), _grid(args), starts=args.init,
                          keep_paths=keep, out=args.out, engine=args.engine, **_stop(args))
    print(text_table(lab.to_frame(runs), _varied(args)))
    _written(args.out)
    show.after(args, runs)
    return 0


def _sweep(args) -> int:
    from coreopt import lab
    from coreopt.report.results import text_summary

    if args.out is None:
        raise ValueError("`coreopt sweep` needs --out DIR (results are appended as they finish).")
    if args.starts is not None and args.init is not None:
        raise ValueError("give the starts once: --starts N draws N random starts per seed, "
                         "--init gives the points; not both.")
    show.check_flags(args)
    starts = args.starts if args.starts is not None else args.init
    runs = lab.sweep_runs(_optimizers(args), _functions(args), _grid(args), starts=starts,
                          seeds=args.seeds, keep_paths=args.keep_paths, out=args.out,
                          resume=args.resume, chunk_size=args.chunk_size,
                          workers=args.workers, engine=args.engine, progress=True,
                          **_stop(args))
    print(text_summary(lab.to_frame(runs), _varied(args)))
    _written(args.out)
    show.after(args, runs)
    return 0


def _stable(args) -> int:
    from coreopt.lab.stable import max_stable_lrs
    from coreopt.report.edges import command_text

    edges = max_stable_lrs(_optimizers(args), _functions(args)[0], args.init,
                           config={k: v[0] for k, v in args.set}, low=args.low,
                           high=args.high, grid_size=args.grid_size, rtol=args.rtol,
                           **_stop(args))
    print(command_text(edges))
    return 0


def _varied(args) -> list:
    return (["learning_rate"] if args.lr is not None else []) + [k for k, _ in args.set]


def _written(out):
    if out is not None:
        print(f"\nwrote {out}/results.csv and {out}/runs.jsonl")
