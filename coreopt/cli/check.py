"""`coreopt check MODULE:NAME`: the report card of anybody's optimizer class or factory.

    coreopt check my_opts:MyAdam
    coreopt check path/to/seed_reference.py:Momentum --out card/
    coreopt check my_opts:make --kwargs '{"learning_rate": 0.01}' --checks retrace,checkpoint

MODULE is a dotted module name (found from the current directory too) or a
.py file; NAME is a class or a function that returns a new optimizer (with
`apply_gradients(grads, vars)`), called with --kwargs. Each check runs on
fresh copies and says pass, fail or n/a in one sentence with its numbers
(`coreopt.testing`). The two logical CPUs of the MirroredStrategy check are
set before MODULE is imported. With --out, DIR/card.json and DIR/card.md.

Exit status: 0 when no check fails, 1 when one does, 2 for bad input (a
module that cannot be imported, a NAME it lacks, a factory that raises, an
object without apply_gradients).
"""

from __future__ import annotations

import argparse
import json

# `coreopt.testing.card.TITLES`, written here so that `--help` imports no TensorFlow
# (tests/testing/test_cli.py checks that the two agree).
CHECK_NAMES = ("per_variable_state", "order_independence", "tf_function", "xla", "retrace",
               "checkpoint", "none_gradient", "indexed_slices", "dtypes",
               "nonfinite_gradient", "mirrored", "reference", "step_time")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers `check` on the `coreopt` command's subparsers."""
    p = subparsers.add_parser("check", help="the report card of an optimizer class or factory",
                              description=__doc__.strip())
    p.add_argument("target", metavar="MODULE:NAME",
                   help="a class or factory: my_opts:MyAdam or path/to/file.py:MyAdam")
    p.add_argument("--kwargs", default="{}", metavar="JSON",
                   help="keyword arguments for NAME, a JSON object")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write DIR/card.json and DIR/card.md (default: none, print only)")
    p.add_argument("--steps", type=int, default=8, metavar="N", help="steps per run")
    p.add_argument("--time-limit", type=float, default=120.0, metavar="SECONDS",
                   help="per check; a check that takes longer fails")
    p.add_argument("--reference", default=None, metavar="SPEC",
                   help="compare with it (the reference and step-time checks): "
                        "adam(epsilon_hat=true), keras:Adam(), torch:Adam(lr=0.01), ... "
                        "(default: none, those two checks are n/a)")
    p.add_argument("--checks", default="all", metavar="NAMES",
                   help=f"comma-separated, of: {', '.join(CHECK_NAMES)}")
    p.set_defaults(run=run)
    return p


def parse_kwargs(text: str) -> dict:
    """--kwargs: a JSON object; ValueError naming the flag otherwise."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--kwargs must be a JSON object; {error.msg} in {text!r}.") from None
    if not isinstance(value, dict):
        raise ValueError(f"--kwargs must be a JSON object ({{\"key\": value}}); received {text!r}.")
    return value


def parse_checks(text: str):
    """--checks: None for all, else the names; ValueError for an unknown one."""
    if text.strip() == "all":
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CHECK_NAMES]
    if unknown or not names:
        raise ValueError(f"--checks: unknown {unknown or text!r}; the checks are "
                         f"{', '.join(CHECK_NAMES)} (or all).")
    return names


def load_target(text: str, kwargs: dict):
    """MODULE:NAME imported (`coreopt.testing.load`), bound to `kwargs` when there are any.

    Raises:
        TypeError: `kwargs` given for something that is not a class or function.
    """
    import functools

    from coreopt import testing

    target = testing.load(text)
    if kwargs:
        if not callable(target):
            raise TypeError(f"--kwargs given, but {text} is a {type(target).__name__}, "
                            "not a class or function to call with them.")
        target = functools.partial(target, **kwargs)
    return target


def run(args) -> int:
    from coreopt import testing
    from coreopt.lab.store import check_writable

    kwargs, checks = parse_kwargs(args.kwargs), parse_checks(args.checks)
    if args.out is not None:
        check_writable(args.out)
    testing.split_cpus(2)  # before the user's module starts TensorFlow's runtime
    target = load_target(args.target, kwargs)
    card = testing.check(target, steps=args.steps, time_limit=args.time_limit, checks=checks,
                         reference=args.reference)
    print(card)
    if args.out is not None:
        written = card.write(args.out)
        print(f"wrote {written[0]} and {written[1]}")
    return 1 if card.failures() else 0
