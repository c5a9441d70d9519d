"""`coreopt`: the command line.

    coreopt tour         the main job: the guide reproduced, then what more coreopt sees
    coreopt list         the registered optimizers and test functions
    coreopt run          optimizers on a test function, one table (see `coreopt run -h`)
    coreopt sweep        grids x functions x random starts, batched, resumable
    coreopt stable-lr    the largest learning rate that does not diverge
    coreopt plot         one figure from results (paths, curves, sensitivity, heatmap, ...)
    coreopt report       an HTML and Markdown report of a results directory
    coreopt train        train the Core-API MLP with several optimizers, compare them

Bad input ends the command with exit status 2 and one line naming the problem.
"""

from __future__ import annotations

import argparse
import sys

from coreopt.cli import lab, show, tour, train


def _list(args) -> int:
    import coreopt
    from coreopt import functions

    rows = []
    for name in coreopt.names():
        entry = coreopt.entry(name)
        alias = f" (alias: {', '.join(entry.aliases)})" if entry.aliases else ""
        rows.append((name, f"{entry.cls.__name__}{alias}", entry.description))
    _print_rows("Optimizers:", rows)
    rows = []
    for name in functions.names():
        f = functions.get(name)
        dim = f"{f.dim}-D" if "n-d" not in f.tags else "N-D"
        rows.append((name, dim, f.description))
    _print_rows("\nTest functions:", rows)
    return 0


def _print_rows(title, rows):
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    print(title)
    for a, b, c in rows:
        print(f"  {a:<{width[0]}}  {b:<{width[1]}}  {c}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="coreopt",
        description="Optimizers from TensorFlow Core ops: write, verify, compare, visualize.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    tour.add_parser(sub)
    sub.add_parser("list", help="list the optimizers and test functions").set_defaults(run=_list)
    lab.add_parsers(sub)
    show.add_parsers(sub)
    train.add_parser(sub)
    return p


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        p.exit(2, f"coreopt: error: {message}\n")


if __name__ == "__main__":
    sys.exit(main())
