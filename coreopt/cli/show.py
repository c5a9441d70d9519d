"""The picture commands: `coreopt plot`, `coreopt report`, and `--plot`/`--report`.

    coreopt plot RESULTS --kind paths --out paths.png [--function F] [--optimizer O]
    coreopt plot RESULTS --kind heatmap --x learning_rate --y beta_1 --out map.png
    coreopt plot "cosine(initial=0.1, decay_steps=900)" "wsd(peak=0.1, total_steps=1000,
        warmup_steps=100, decay_steps=200)" --kind schedule --steps 1000 --out lr.png
    coreopt report DIR            # DIR/report.html, DIR/report.md, DIR/figures/

RESULTS is a results directory of `coreopt run` or `coreopt sweep`, its
results.json, or its runs.jsonl. `coreopt plot --help` lists the kinds.
"""

from __future__ import annotations

import sys

from coreopt.cli import literals

FIGURES = "coreopt.report.figures"


def figure_kinds() -> dict:
    """`coreopt.report.figures.KINDS` (kind -> what it draws), importing nothing heavy.

    The parser is built before any command runs, and `coreopt plot --help` must
    import no TensorFlow, pandas or matplotlib; so, unless the figures module is
    imported already, the literal is read from its source (`kinds_in_source`).
    """
    if FIGURES in sys.modules:
        return dict(sys.modules[FIGURES].KINDS)
    return kinds_in_source()


def kinds_in_source() -> dict:
    """The `KINDS = {...}` literal of the figures module, read from its source file."""
    return literals.literal(FIGURES, "KINDS")


def add_parsers(sub):
    """Registers `plot` and `report` on the `coreopt` command's subparsers."""
    kinds = figure_kinds()
    listed = "\n".join(f"  {k:<12} {v}" for k, v in kinds.items())
    p = sub.add_parser("plot", help="draw one figure from results",
                       description=f"Draw one figure from a lab's results.\n\nkinds:\n{listed}")
    p.add_argument("results", nargs="+",
                   help="a results directory, results.json or runs.jsonl; for --kind "
                        "schedule, one or more schedules")
    p.add_argument("--kind", required=True, choices=list(kinds), metavar="KIND",
                   help=f"one of {', '.join(kinds)}")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the PNG file to write (GIF for animation)")
    p.add_argument("--function", default=None,
                   help="only the runs on this function (default: all)")
    p.add_argument("--optimizer", default=None,
                   help="only the runs of this optimizer (default: all)")
    p.add_argument("--x", default=None, metavar="COLUMN",
                   help="heatmap: the column along x, e.g. learning_rate (default: none; "
                        "the heatmap needs one)")
    p.add_argument("--y", default=None, metavar="COLUMN",
                   help="heatmap: the column along y, e.g. beta_1 (default: none; the "
                        "heatmap needs one)")
    p.add_argument("--metric", default="iteration", choices=("iteration", "gap"),
                   help="sensitivity and heatmap: steps to converge, or the final gap")
    p.add_argument("--steps", type=int, default=1000,
                   help="schedule: the steps drawn, 0 to STEPS - 1 (default: 1000)")
    p.set_defaults(run=_plot)
    r = sub.add_parser("report", help="an HTML and Markdown report of a results directory")
    r.add_argument("directory", help="a results directory of `coreopt run` or `sweep`")
    r.set_defaults(run=_report)


def add_flags(p):
    """`--plot` and `--report` for `coreopt run` and `coreopt sweep`."""
    p.add_argument("--plot", action="store_true", help="draw the figures into OUT/figures/")
    p.add_argument("--report", action="store_true",
                   help="write OUT/report.html and OUT/report.md (with the figures)")


def check_flags(args):
    """ValueError before any work when --plot/--report come without --out."""
    if (args.plot or args.report) and args.out is None:
        raise ValueError("--plot and --report write into the results directory: add --out DIR.")


def after(args, runs):
    """Draws the figures and the report asked for by --plot/--report; prints the paths."""
    from pathlib import Path

    from coreopt.report import figures
    from coreopt.report.results import results_report

    if args.report:
        page, _ = results_report(args.out, runs)
        print(f"wrote {page} (and report.md, figures/)")
    elif args.plot:
        made = figures.auto_figures(runs, Path(args.out) / "figures")
        print(f"wrote {len(made)} figures into {Path(args.out) / 'figures'}")


def _plot(args) -> int:
    from coreopt.report import figures

    out = figures.check_output(args.out)
    if args.kind == "schedule":
        print(f"wrote {figures.draw_schedules(args.results, args.steps, out)}")
        return 0
    if len(args.results) != 1:
        raise ValueError(f"--kind {args.kind} draws one results directory or file; received "
                         f"{len(args.results)}: {', '.join(args.results)}.")
    if (args.kind == "animation") != (out.suffix.lower() == ".gif"):
        want = ".gif" if args.kind == "animation" else ".png"
        raise ValueError(f"--kind {args.kind} writes a {want} file; --out is {str(out)!r}.")
    runs = figures.select(figures.load_runs(args.results[0]), function=args.function,
                          optimizer=args.optimizer)
    written = figures.draw(args.kind, runs, out, x=args.x, y=args.y, metric=args.metric)
    print(f"wrote {written}")
    return 0


def _report(args) -> int:
    from coreopt.report.results import results_report

    page, text = results_report(args.directory)
    print(f"wrote {page} and {text}")
    return 0
