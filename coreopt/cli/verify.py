"""`coreopt verify MODULE:NAME --against SPEC`: anybody's optimizer against a reference.

    coreopt verify my_opts:MyAdam --against adam
    coreopt verify my_opts:MyAdam --against "adam(epsilon_hat=true)" --out diff/
    coreopt verify my_opts:make --kwargs '{"lr": 0.01}' --against "keras:Adam(learning_rate=0.01)"
    coreopt verify my_opts:MyRMSprop --against "torch:RMSprop(lr=0.01)"      (needs torch)
    coreopt verify my_opts:MyAdam --against "optax:adam(learning_rate=0.001)" (needs optax)
    coreopt verify my_opts:MyAdam --against "oracle:adam"   (coreopt's float64 NumPy oracle)

MODULE:NAME is the candidate: a class or a function that returns a new optimizer
(with `apply_gradients(grads, vars)`), called with --kwargs. SPEC is a coreopt
name or chain with its options, or keras:, torch:, optax: and the library's
name, or oracle: and a registered name (coreopt's NumPy oracle, written from
the papers); arguments are literals (numbers, true/false, None, quoted strings,
tuples), read, never evaluated: importing MODULE is the only code run. Both
step the same problem with the same gradients in float32 and float64
(`coreopt.testing.verify`); when they differ the reference's convention options
are searched for the combination that matches. With --out, DIR/diff.json,
DIR/verify.png and DIR/report.html (and report.md).

Exit status: 0 when they match, 1 when they differ (or the time limit stops
them), 2 for bad input (a spec that does not parse, an unknown name, a module
that cannot be imported, torch or optax not installed).
"""

from __future__ import annotations

import argparse

DTYPES = ("float32", "float64", "float16", "bfloat16")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers `verify` on the `coreopt` command's subparsers."""
    p = subparsers.add_parser("verify", help="an optimizer class or factory against a reference",
                              description=__doc__.strip())
    p.add_argument("target", metavar="MODULE:NAME",
                   help="a class or factory: my_opts:MyAdam or path/to/file.py:MyAdam")
    p.add_argument("--against", required=True, metavar="SPEC",
                   help="the reference: adam(epsilon_hat=true), keras:Adam(...), torch:Adam(...), "
                        "optax:adam(...), oracle:adam(...)")
    p.add_argument("--kwargs", default="{}", metavar="JSON",
                   help="keyword arguments for NAME, a JSON object")
    p.add_argument("--steps", type=int, default=20, metavar="N", help="steps per run")
    p.add_argument("--dtypes", default="float32,float64", metavar="NAMES",
                   help=f"comma-separated, of: {', '.join(DTYPES)}")
    p.add_argument("--rtol", default=None, metavar="R",
                   help="tolerance of the relative error: one number, or float64=1e-12,"
                        "float32=1e-5 (default: those)")
    p.add_argument("--time-limit", type=float, default=120.0, metavar="SECONDS",
                   help="for all the steps; past it the run stops and says where it was")
    p.add_argument("--no-explain", action="store_true",
                   help="do not search the reference's options when they differ")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write DIR/diff.json, verify.png, report.html (default: print only)")
    p.set_defaults(run=run)
    return p


def parse_dtypes(text: str) -> list:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DTYPES]
    if unknown or not names:
        raise ValueError(f"--dtypes: unknown {unknown or text!r}; accepted: {', '.join(DTYPES)}.")
    return names


def parse_rtol(text):
    """--rtol: None, one number, or dtype=number pairs; ValueError naming the flag."""
    if text is None:
        return None
    try:
        if "=" not in text:
            return float(text)
        pairs = [item.split("=") for item in text.split(",") if item.strip()]
        return {k.strip(): float(v) for k, v in pairs}
    except ValueError:
        raise ValueError(f"--rtol must be a number or dtype=number pairs (float64=1e-12,"
                         f"float32=1e-5); received {text!r}.") from None


def run(args) -> int:
    from coreopt import testing
    from coreopt.cli.check import load_target, parse_kwargs
    from coreopt.lab.store import check_writable
    from coreopt.testing import references

    kwargs, dtypes = parse_kwargs(args.kwargs), parse_dtypes(args.dtypes)
    rtol = parse_rtol(args.rtol)
    if args.out is not None:
        check_writable(args.out)
    reference = references.side(references.parse(args.against))  # before the user's module
    target = load_target(args.target, kwargs)
    diff = testing.verify(target, reference, steps=args.steps, dtypes=dtypes, rtol=rtol,
                          explain=not args.no_explain, time_limit=args.time_limit)
    print(diff)
    if args.out is not None:
        written = diff.write(args.out)
        print(f"wrote {', '.join(str(p) for p in written)}")
    return 0 if diff.ok else 1
