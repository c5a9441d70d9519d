"""`coreopt check` and `coreopt verify` on one optimizer: wall time and peak memory.

What is measured
    Each command runs in a fresh subprocess, as a user would type it (start-up,
    TensorFlow's import and every check included), with the method of
    ``benchmarks/startup.py`` (one untimed warm-up run, then the median, fastest
    and slowest wall time, median peak resident memory, stderr lines):

    * ``coreopt check coreopt.optimizers.adam:Adam``: every check on coreopt's Adam;
    * ``coreopt check tests/testing/toys.py:KerasFormAdam``: every check on a
      guide-style optimizer loaded from a file (its MirroredStrategy check included);
    * ``coreopt verify tests/testing/toys.py:KerasFormAdam --against adam``: the
      diff in float32 and float64 and the explainer's option search (it finds
      ``epsilon_hat=True``; the exit status is 1 because the two differ).

    The target: under 30 s for one optimizer on 2 cores.

Run (from the repository root)
    python benchmarks/check.py             # 3 repetitions per command
    python benchmarks/check.py --reps 1    # fewer
    python benchmarks/check.py --out DIR   # write check.md / check.csv to DIR

Writes ``benchmarks/results/check.md`` and ``benchmarks/results/check.csv``, each atomically.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from _tables import aligned_markdown, write_results
from startup import (
    COLUMNS,
    HEADINGS,
    child_environment,
    formatted,
    header_lines,
    measure,
    parse_args,
)

TOYS = str(Path(__file__).resolve().parent.parent / "tests" / "testing" / "toys.py")
COMMANDS = {
    "check coreopt": ["check", "coreopt.optimizers.adam:Adam"],
    "check a file": ["check", f"{TOYS}:KerasFormAdam"],
    "verify": ["verify", f"{TOYS}:KerasFormAdam", "--against", "adam"],
}


def main(argv=None) -> int:
    args = parse_args(argv, doc=__doc__, stem="check", reps=3)
    env, load = child_environment(), os.getloadavg()
    with tempfile.TemporaryDirectory() as cwd:
        rows = [measure(name, cmd, args.reps, cwd, env) for name, cmd in COMMANDS.items()]
    root = str(Path(__file__).resolve().parent.parent) + os.sep
    for row in rows:  # paths as typed from the repository root
        row["command"] = row["command"].replace(root, "")
    header = header_lines(args.reps, load)
    header[0] = "# coreopt check and coreopt verify on one optimizer"
    header.insert(-1, "- exit status 1 for verify: the candidate differs from the reference "
                      "(as it should: Keras's epsilon form against the paper's)")
    markdown = "\n".join(header) + "\n" + aligned_markdown(
        [list(HEADINGS)] + [formatted(r) for r in rows], left=1)
    md, table = write_results(args.out, "check", markdown, rows, COLUMNS)
    print(markdown)
    print(f"wrote {md} and {table}", file=sys.stderr)
    return 0 if all(r["exit_status"] in (0, 1) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
