"""`coreopt bench`: a fair comparison of optimizers on small real problems.

    coreopt bench --problems digits-mlp,wine-logreg --optimizers sgd,adam,lion \\
        --budget 16 --seeds 3 --out bench/

Every optimizer gets the same budget of learning rates (log-uniform in
[--low, --high], one scrambled Sobol draw), trained as one population per
problem; the best rate is trained again over --seeds new seeds. Results are
appended to DIR/results.jsonl as they finish (the same command with --resume
continues a killed run); DIR/report.html and report.md give the tables, the
learning curves, the performance profile and the protocol (`coreopt.train.bench`).

--backend ray --address HOST:PORT runs the (problem, optimizer) jobs as tasks on
a running Ray cluster (`pip install 'coreopt[ray]'`, then e.g.
`ray start --head --port=6379`; every node needs coreopt): the same records, in
the same order, in the same files, and the same resume.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROBLEMS = "digits-mlp,digits-cnn,wine-logreg,diabetes-mlp,noisy-quadratic"


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers `bench` on the `coreopt` command's subparsers."""
    p = subparsers.add_parser("bench", help="a fair comparison on small real problems",
                              description=__doc__.strip(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--problems", default=PROBLEMS, metavar="NAMES",
                   help=f"comma-separated problems (default: {PROBLEMS})")
    p.add_argument("--optimizers", default="sgd,momentum,adam,adamw,lion", metavar="NAMES",
                   help="comma-separated names or chains (default: sgd,momentum,adam,adamw,"
                        "lion)")
    p.add_argument("--budget", type=int, default=16, metavar="N",
                   help="learning rates tried per optimizer and problem (default: 16)")
    p.add_argument("--seeds", type=int, default=3, metavar="K",
                   help="seeds the best rate is retrained from (default: 3)")
    p.add_argument("--low", type=float, default=1e-4, metavar="LR",
                   help="the search range's lowest rate (default: 1e-4)")
    p.add_argument("--high", type=float, default=1.0, metavar="LR",
                   help="the search range's highest rate (default: 1)")
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="epochs per training (default: each problem's own)")
    p.add_argument("--out", type=Path, default=Path("coreopt-bench"), metavar="DIR",
                   help="results folder (default: coreopt-bench)")
    p.add_argument("--resume", action="store_true",
                   help="continue the benchmark in DIR (the same settings); without it a DIR "
                        "with results is refused")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="where the jobs run: this process, or a Ray cluster (default: local)")
    p.add_argument("--address", default=None, metavar="HOST:PORT",
                   help="the Ray cluster's head (`ray start --head --port=6379`: "
                        "127.0.0.1:6379); required with --backend ray (default: none)")
    p.add_argument("--timeout", type=float, default=3600.0, metavar="SECONDS",
                   help="with --backend ray: the longest wait for one job (default: 3600)")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Runs `coreopt bench`; returns the exit status (2 for bad input, 1 for a timeout)."""
    from coreopt.lab.inputs import split_names
    from coreopt.report import bench as report
    from coreopt.train import bench

    try:
        check_args(args)
        records = bench.run(split_names(args.problems), split_names(args.optimizers),
                            budget=args.budget, seeds=args.seeds, out=args.out,
                            epochs=args.epochs, low=args.low, high=args.high,
                            backend=backend_of(args), resume=args.resume)
    except (ValueError, TypeError, KeyError, PermissionError) as err:
        print(f"coreopt bench: error: {err}", file=sys.stderr)
        return 2
    except TimeoutError as err:
        print(f"coreopt bench: error: {err}", file=sys.stderr)
        return 1
    settings = bench.settings_of(args.out)
    html, md = report.write(records, settings, args.out)
    print(report.summary_text(records))
    print(f"wrote {html} and {md}", file=sys.stderr)
    return 0


def check_args(args) -> None:
    """The numbers and the backend, refused by flag name before the library sees them.

    Example:
        >>> check_args(argparse.Namespace(budget=0, seeds=3, low=1e-4, high=1.0, epochs=None,
        ...                               backend="local", address=None, timeout=60.0))
        Traceback (most recent call last):
        ...
        ValueError: --budget must be an integer >= 1; received 0.
    """
    for flag, value in (("--budget", args.budget), ("--seeds", args.seeds),
                        ("--epochs", 1 if args.epochs is None else args.epochs)):
        if value < 1:
            raise ValueError(f"{flag} must be an integer >= 1; received {value}.")
    if not 0 < args.low < args.high:
        raise ValueError(f"--low and --high need 0 < --low < --high; received --low "
                         f"{args.low:g} and --high {args.high:g}.")
    if not args.timeout > 0:
        raise ValueError(f"--timeout must be > 0 seconds; received {args.timeout:g}.")
    if args.backend == "ray" and args.address is None:
        raise ValueError("--backend ray needs --address HOST:PORT, the head of a running "
                         "cluster (start one with `ray start --head --port=6379`, then "
                         "--address 127.0.0.1:6379).")
    if args.backend == "local" and args.address is not None:
        raise ValueError(f"--address {args.address} is for --backend ray; add "
                         f"--backend ray, or drop --address to run here.")


def backend_of(args):
    """None (this process) or the Ray backend the flags name."""
    if args.backend == "local":
        return None
    from coreopt.train.ray_backend import Ray

    try:
        return Ray(args.address, timeout=args.timeout)
    except ValueError as err:
        raise ValueError(f"--address: {err}") from None
