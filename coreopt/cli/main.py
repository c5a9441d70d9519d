"""`coreopt`: the command line.

    coreopt tour         the main job: the guide reproduced, then what more coreopt sees
    coreopt list         the registered optimizers and test functions
    coreopt run          optimizers on a test function, one table (see `coreopt run -h`)
    coreopt sweep        grids x functions x random starts, batched, resumable
    coreopt stable-lr    the largest learning rate that does not diverge
    coreopt plot         one figure from results (paths, curves, sensitivity, heatmap, ...)
    coreopt report       an HTML and Markdown report of a results directory
    coreopt train        train the Core-API MLP with several optimizers, compare them
    coreopt lr-find      the learning-rate range test on the MLP: suggested learning rates
    coreopt check        the report card of anybody's optimizer class or factory
    coreopt verify       anybody's optimizer against a reference, and which convention it matches

Bad input ends the command with exit status 2 and one line naming the problem.

Start-up: building the parser, `--help` and `--version` import no TensorFlow. A
command that needs it imports it once, before it starts, with TensorFlow's log
lines silenced: `TF_CPP_MIN_LOG_LEVEL=3` and absl's verbosity set first, and
the lines its C++ libraries print while they load (before their logging is
set up, so no setting reaches them) dropped from stderr. `--verbose`, or
`COREOPT_VERBOSE=1`, shows them all.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import tempfile

import coreopt
from coreopt.cli import bench, check, lab, lr_find, show, tour, train, verify

VERBOSE_ENV = "COREOPT_VERBOSE"
EPILOG = f"""\
Forms accepted by the flags (see `coreopt COMMAND --help`):
  optimizers      comma-separated names from `coreopt list`, or chains of wrappers,
                  outermost first: gd,adam  sam:momentum  ema(momentum=0.999):adam
  --lr A:B:N      N log-spaced rates from A to B (1e-4:1:16), or a list: 1e-3,1e-2
  --init          coordinates comma-separated, points ";"-separated: --init "-1.2,1;0,0"
  functions       names from `coreopt list`; N-D ones take a dimension: rosenbrock:5

TensorFlow's log lines are hidden; --verbose (or {VERBOSE_ENV}=1) shows them."""

# What TensorFlow's C++ libraries print to stderr while they load, before absl's
# logging is initialised (so TF_CPP_MIN_LOG_LEVEL does not reach them): dropped.
TF_NOISE = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(r"^[IWE]\d{4} [\d:.]+\s+\d+ [\w./-]+\.(cc|h):\d+\] "),  # info, warning, error
    re.compile(r"^To enable the following instructions: .*rebuild TensorFlow"),
)
_VALUE = re.compile(r"^-\.?\d")  # "-1.2,1": a value (a negative start), not an option


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written; every option that takes a value shows its default."""

    def _get_help_string(self, action):
        text = action.help or ""
        shown = "%(default)" in text or "(default" in text
        if shown or not action.option_strings or action.nargs == 0:
            return text  # already said, a positional, or a flag (off unless given)
        if action.default in (None, argparse.SUPPRESS):
            return text
        return text + " (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """`argparse` with coreopt's help format; a value such as `-1.2,1` is read as a
    value (`--init -1.2,1` works as `--init=-1.2,1` does)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _VALUE


def _list(args) -> int:
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
    print("\nN-D functions take a dimension after a colon (rosenbrock:5) or from --dim; "
          "optimizers chain with wrappers, outermost first (sam:momentum).")
    return 0


def _print_rows(title, rows):
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    print(title)
    for a, b, c in rows:
        print(f"  {a:<{width[0]}}  {b:<{width[1]}}  {c}")


def _add_verbose(p, default):
    p.add_argument("--verbose", action="store_true", default=default,
                   help=f"show TensorFlow's log lines (also {VERBOSE_ENV}=1)")


def parser() -> argparse.ArgumentParser:
    """The `coreopt` parser, every command on it; builds without importing TensorFlow."""
    p = Parser(prog="coreopt", epilog=EPILOG,
               description="Optimizers from TensorFlow Core ops: write, verify, compare, "
                           "visualize.")
    p.add_argument("--version", action="version", version=f"%(prog)s {coreopt.__version__}")
    _add_verbose(p, False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    tour.add_parser(sub)
    sub.add_parser("list", help="list the optimizers and test functions",
                   description="The registered optimizers and test functions.",
                   ).set_defaults(run=_list)
    lab.add_parsers(sub)
    show.add_parsers(sub)
    train.add_parser(sub)
    lr_find.add_parser(sub)
    bench.add_parser(sub)
    check.add_parser(sub)
    verify.add_parser(sub)
    for command in sub.choices.values():
        _add_verbose(command, argparse.SUPPRESS)  # also after the command: coreopt list --verbose
    return p


def verbose_requested(args) -> bool:
    """--verbose, or COREOPT_VERBOSE set to 1, true, yes or on."""
    setting = os.environ.get(VERBOSE_ENV, "").strip().lower()
    return bool(getattr(args, "verbose", False)) or setting in ("1", "true", "yes", "on")


def import_tensorflow(verbose: bool = False) -> None:
    """Imports TensorFlow once: quietly (log level 3, absl at ERROR, its load-time
    lines dropped from stderr), or with every log line when `verbose`."""
    if "tensorflow" in sys.modules:
        return
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        import tensorflow  # noqa: F401
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with contextlib.suppress(ImportError):
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    with stderr_without(TF_NOISE):
        import tensorflow as tf
    tf.get_logger().setLevel("ERROR")


@contextlib.contextmanager
def stderr_without(patterns):
    """While the block runs, file descriptor 2 goes to a temporary file; afterwards
    (on an error too) the lines that match none of `patterns` go to stderr.

    For output of C and C++ code, which Python's `sys.stderr` does not see. When
    fd 2 cannot be redirected (closed, say), the block runs unfiltered.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode(errors="replace").splitlines(keepends=True)
            kept = [line for line in lines if not any(p.search(line) for p in patterns)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def main(argv=None) -> int:
    """Runs `coreopt` with `argv` (default: the process's); returns the exit status."""
    p = parser()
    args = p.parse_args(argv)
    if getattr(args, "tensorflow", True):  # a command may say it needs none
        import_tensorflow(verbose_requested(args))
    try:
        return args.run(args)
    except (ValueError, TypeError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        p.exit(2, f"coreopt: error: {message}\n")


if __name__ == "__main__":
    sys.exit(main())
