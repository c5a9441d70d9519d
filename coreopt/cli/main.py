"""`coreopt`: the command line.

    coreopt list          the registered optimizers, one line each
"""

from __future__ import annotations

import argparse
import sys


def _list(args) -> int:
    import coreopt

    rows = []
    for name in coreopt.names():
        entry = coreopt.entry(name)
        alias = f" (alias: {', '.join(entry.aliases)})" if entry.aliases else ""
        rows.append((name, f"{entry.cls.__name__}{alias}", entry.description))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    print("Optimizers:")
    for name, cls, description in rows:
        print(f"  {name:<{width[0]}}  {cls:<{width[1]}}  {description}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="coreopt",
        description="Optimizers from TensorFlow Core ops: write, verify, compare, visualize.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="list the registered optimizers").set_defaults(run=_list)
    __import__("coreopt.cli.train", fromlist=["add_parser"]).add_parser(sub)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
