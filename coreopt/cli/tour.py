"""`coreopt tour`: the guide reproduced end to end, then what more coreopt sees.

The tour itself is `coreopt.report.tour.tour`: its experiments are
`coreopt.lab.tour`'s, its report's sections `coreopt.report.tour_sections`.
"""

from __future__ import annotations


def add_parser(sub):
    """Registers `tour` on the `coreopt` command's subparsers."""
    p = sub.add_parser("tour", help="the guide reproduced, then what more coreopt sees "
                                    "(the main job; writes ./coreopt-out/)")
    p.add_argument("--out", default="coreopt-out", help="the folder to write (default: "
                   "./coreopt-out; replaced if it holds an earlier tour)")
    p.add_argument("--optimizers", default=None, help="comma-separated optimizers for parts 2 "
                   "and 3 (default: every registered one that steps vectors)")
    p.set_defaults(run=_tour)


def _tour(args) -> int:
    from coreopt.report.tour import tour

    names = None if args.optimizers is None else [n.strip() for n in args.optimizers.split(",")]
    page = tour(args.out, optimizers=names, log=print)
    print(f"\nreport: {page}")
    return 0
