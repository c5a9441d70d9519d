"""Time one Adam step: `coreopt.Adam` against `keras.optimizers.Adam`, same process.

Also Adam with an exponential moving average of the weights (`coreopt.EMA`
against Keras's `use_ema=True`) and with gradient accumulation over 3
micro-steps (`coreopt.GradientAccumulation` against Keras's
`gradient_accumulation_steps=3`; a row's time is the mean over 3 consecutive
calls, two accumulating and one stepping, so one "step" is a micro-step).

What is measured
    The wall time of ONE optimizer step on fixed random float32 gradients (made
    once, passed as arguments), for three workloads:

    * ``dense-1M``:  one variable of 2**20 elements;
    * ``dense-16M``: one variable of 2**24 elements;
    * ``resnet50``:  161 variables shaped like ResNet-50's trainable variables
      (53 conv kernels, 53 batch-norm gamma/beta pairs, dense kernel and bias;
      25,557,032 parameters), written out from the architecture in code.

    Each runs in two modes: the whole apply call wrapped in ``tf.function`` and
    in ``tf.function(jit_compile=True)``. Both libraries do the same math
    (``coreopt.Adam(epsilon_hat=True)`` is Keras's epsilon convention) on their
    own copies of the same initial variables.

How
    The first call (trace + compile + one step) is timed on its own. After a
    few more warm-up calls the two libraries alternate (A B A B ...) so that a
    noisy shared machine hurts both alike; the table gives the median. Each
    timed call ends by reading the optimizer's step counter back to Python, so
    the step has finished when the clock stops.

    Bandwidth: an Adam step must move 28 bytes per float32 parameter (read g,
    x, m, v; write x, m, v). The achieved rate 28 * params / median time is
    divided by a streaming rate measured in the same run, before and after the
    workloads: the best of several runs of a jit-compiled TF triad updating a
    ``tf.Variable`` in place, ``a = a + s * c``, on 32M-element float32 arrays
    (128 MiB each, far beyond the caches), counting 12 bytes per element (read
    a, c; write a). In place, like an optimizer step, so no write-allocate or
    page-fault traffic for a fresh output buffer. A workload partly served from
    the CPU caches could exceed 1.0; per-call overhead pulls small ones down.

Run (from the repository root)
    python benchmarks/step.py            # full run, about 80 s on 2 cores
    python benchmarks/step.py --quick    # fewer repetitions, no dense-16M
    python benchmarks/step.py --out DIR  # write step.md / step.csv to DIR

Writes ``benchmarks/results/step.md`` (Markdown table with a header naming the
machine and versions) and ``benchmarks/results/step.csv``, each atomically.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _tables import aligned_markdown, cpu_model, write_results  # noqa: E402

import coreopt  # noqa: E402

ADAM_BYTES = 28  # per float32 parameter: read g, x, m, v; write x, m, v
TRIAD_BYTES = 12  # per float32 element: read a, c; write a
TRIAD_ELEMENTS = 1 << 25
TRIAD_RUNS = 20
WARMUP_CALLS = 3
MODES = {"tf.function": False, "tf.function(jit)": True}
VARIANTS = ("adam", "adam+ema", "adam+accumulate3")  # the last two on dense-1M and resnet50
ACCUMULATION = 3
LIBRARIES = ("coreopt", "keras")
COLUMNS = (
    "workload", "variant", "mode", "params", "coreopt_ms", "keras_ms", "ratio",
    "coreopt_first_s", "keras_first_s", "coreopt_bw_frac", "keras_bw_frac", "reps",
)
HEADINGS = (
    "workload", "variant", "mode", "params", "coreopt ms/step", "keras ms/step",
    "ratio coreopt/keras", "coreopt first call s", "keras first call s",
    "coreopt BW frac", "keras BW frac", "reps",
)


# ------------------------------------------------------------------ workloads
def resnet50_shapes() -> list[tuple[int, ...]]:
    """Trainable variable shapes of ResNet-50 (bottleneck v1, conv layers without bias)."""
    shapes = [(7, 7, 3, 64), (64,), (64,)]
    channels = 64
    for width, blocks in ((64, 3), (128, 4), (256, 6), (512, 3)):
        for block in range(blocks):
            convs = [(1, 1, channels, width), (3, 3, width, width), (1, 1, width, 4 * width)]
            if block == 0:
                convs.append((1, 1, channels, 4 * width))  # projection shortcut
            for kernel in convs:
                shapes += [kernel, (kernel[-1],), (kernel[-1],)]
            channels = 4 * width
    return shapes + [(channels, 1000), (1000,)]


def workloads(quick: bool) -> list[tuple[str, list[tuple[int, ...]]]]:
    """(name, variable shapes) for every workload of this run."""
    chosen = [("dense-1M", [(1 << 20,)])]
    if not quick:
        chosen.append(("dense-16M", [(1 << 24,)]))
    return chosen + [("resnet50", resnet50_shapes())]


def random_tensors(shapes, seed: int) -> list[tf.Tensor]:
    """Fixed standard-normal float32 tensors, one per shape."""
    rng = np.random.default_rng(seed)
    return [tf.constant(rng.standard_normal(s, dtype=np.float32)) for s in shapes]


# --------------------------------------------------------------------- timing
def stream_rate() -> float:
    """Best-of-runs bandwidth (bytes/s) of a jit-compiled in-place triad a = a + s * c."""
    initial, c = random_tensors([(TRIAD_ELEMENTS,)] * 2, seed=1)
    a = tf.Variable(initial)
    scale = tf.constant(1e-3)

    @tf.function(jit_compile=True)
    def triad(c):
        a.assign(a + scale * c)
        return a[0]  # one element back, so the triad has finished when it returns

    best = float("inf")
    for _ in range(WARMUP_CALLS + TRIAD_RUNS):
        start = time.perf_counter()
        triad(c).numpy()
        best = min(best, time.perf_counter() - start)
    return TRIAD_BYTES * TRIAD_ELEMENTS / best


def optimizers(variant: str) -> dict:
    """The same optimizer from both libraries for one variant."""
    ours = coreopt.Adam(learning_rate=1e-3, epsilon_hat=True)
    keras_options = {}
    if variant == "adam+ema":
        ours, keras_options = coreopt.EMA(ours, momentum=0.99), {"use_ema": True}
    elif variant == "adam+accumulate3":
        ours = coreopt.GradientAccumulation(ours, steps=ACCUMULATION)
        keras_options = {"gradient_accumulation_steps": ACCUMULATION}
    return {"coreopt": ours, "keras": keras.optimizers.Adam(learning_rate=1e-3, **keras_options)}


def make_steps(init: list[tf.Tensor], jit: bool, variant: str = "adam") -> dict:
    """Per library: (tf.function step on grads, step counter, its own variables)."""
    steps = {}
    for library, opt in optimizers(variant).items():
        variables = [tf.Variable(x) for x in init]
        opt.build(variables)
        apply = opt.apply_gradients if library == "coreopt" else opt.apply
        step = tf.function(lambda grads, apply=apply, variables=variables: apply(grads, variables),
                           jit_compile=jit)
        steps[library] = (step, opt.iterations, variables)
    return steps


def timed_call(step, counter, grads, calls=1) -> float:
    """Seconds per call over `calls` steps, ending when the step counter is read back."""
    start = time.perf_counter()
    for _ in range(calls):
        step(grads)
    counter.numpy()
    return (time.perf_counter() - start) / calls


def max_difference(steps) -> float:
    """Largest |x_coreopt - x_keras| over all parameters (same math, same start)."""
    pairs = zip(steps["coreopt"][2], steps["keras"][2], strict=True)
    return max(float(tf.reduce_max(tf.abs(a - b))) for a, b in pairs)


def measure(steps, grads, budget_s: float, min_reps: int, max_reps: int, calls=1) -> dict:
    """First-call and median step seconds per library, interleaving A B A B ..."""
    first = {lib: timed_call(*steps[lib][:2], grads) for lib in LIBRARIES}
    drift = max_difference(steps)
    warm = {lib: 0.0 for lib in LIBRARIES}
    for _ in range(WARMUP_CALLS):
        for lib in LIBRARIES:
            warm[lib] = timed_call(*steps[lib][:2], grads, calls)
    reps = int(min(max_reps, max(min_reps, budget_s / max(calls * sum(warm.values()), 1e-9))))
    times = {lib: [] for lib in LIBRARIES}
    for _ in range(reps):
        for lib in LIBRARIES:
            times[lib].append(timed_call(*steps[lib][:2], grads, calls))
    median = {lib: statistics.median(times[lib]) for lib in LIBRARIES}
    return {"first": first, "median": median, "reps": reps, "drift": drift}


# -------------------------------------------------------------------- driving
def run_cell(name, shapes, mode, grads, init, args, variant="adam") -> dict:
    """One table row: build both optimizers, time them, free them."""
    steps = make_steps(init, MODES[mode], variant)
    calls = ACCUMULATION if variant == "adam+accumulate3" else 1
    result = measure(steps, grads, args.budget, args.min_reps, args.max_reps, calls)
    del steps
    gc.collect()
    params = sum(int(np.prod(s)) for s in shapes)
    ms = {lib: 1e3 * result["median"][lib] for lib in LIBRARIES}
    row = {
        "workload": name, "variant": variant, "mode": mode, "params": params,
        "coreopt_ms": ms["coreopt"], "keras_ms": ms["keras"],
        "ratio": ms["coreopt"] / ms["keras"],
        "coreopt_first_s": result["first"]["coreopt"], "keras_first_s": result["first"]["keras"],
        "reps": result["reps"],
    }
    print(f"  {name:9s} {variant:16s} {mode:16s} coreopt {ms['coreopt']:9.3f} ms  "
          f"keras {ms['keras']:9.3f} ms"
          f"  ({result['reps']} reps; max |x_coreopt - x_keras| after step 1: "
          f"{result['drift']:.1e})", file=sys.stderr, flush=True)
    return row


def run_all(args) -> list[dict]:
    """Every workload in every mode; tensors of one workload are freed before the next."""
    rows = []
    for name, shapes in workloads(args.quick):
        grads = random_tensors(shapes, seed=2)
        init = random_tensors(shapes, seed=3)
        for variant in VARIANTS if name != "dense-16M" else VARIANTS[:1]:
            for mode in MODES:
                rows.append(run_cell(name, shapes, mode, grads, init, args, variant))
        del grads, init
        gc.collect()
    return rows


def add_bandwidth_fractions(rows: list[dict], stream: float) -> None:
    """Adds each library's achieved Adam bandwidth as a fraction of `stream` (bytes/s)."""
    for row in rows:
        for lib in LIBRARIES:
            seconds = row[f"{lib}_ms"] / 1e3
            row[f"{lib}_bw_frac"] = ADAM_BYTES * row["params"] / seconds / stream


# --------------------------------------------------------------------- output
def header_lines(stream: float, args) -> list[str]:
    """Markdown lines above the table: date, machine, versions, method."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "# One Adam step (alone, with EMA, with gradient accumulation): coreopt vs Keras",
        "",
        f"- date: {now}{' (--quick)' if args.quick else ''}",
        f"- machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
        f"{platform.machine()}",
        f"- versions: Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, coreopt {coreopt.__version__}",
        f"- stream rate: {stream / 1e9:.1f} GB/s, best of 2 x {TRIAD_RUNS} runs (before and "
        "after the workloads) of a jit-compiled TF triad a = a + s*c updating a tf.Variable "
        f"in place, {TRIAD_ELEMENTS:,} float32 elements, counting {TRIAD_BYTES} bytes/element "
        "(read a, c; write a)",
        f"- BW frac = {ADAM_BYTES} bytes/param (read g, x, m, v; write x, m, v) * params / "
        "median step time / stream rate, for plain Adam only; above 1.0 means the data "
        "stayed in cache",
        f"- adam+accumulate3: time per call averaged over {ACCUMULATION} consecutive calls "
        "(two accumulate, one steps)",
        "- ms/step: median over interleaved repetitions (coreopt, keras, coreopt, ...) after "
        f"{WARMUP_CALLS} warm-up calls; first call = trace + compile + one step",
        "- ratio coreopt/keras: lower is better, target <= 1.0",
        "",
        "",
    ]


def formatted(row: dict) -> list[str]:
    """A row's cells as the Markdown table shows them."""
    return [
        row["workload"], row["variant"], row["mode"], f"{row['params']:,}",
        f"{row['coreopt_ms']:.3f}", f"{row['keras_ms']:.3f}", f"{row['ratio']:.2f}",
        f"{row['coreopt_first_s']:.2f}", f"{row['keras_first_s']:.2f}",
        _frac(row, "coreopt"), _frac(row, "keras"), str(row["reps"]),
    ]


def _frac(row, library) -> str:
    return f"{row[library + '_bw_frac']:.2f}" if row["variant"] == "adam" else "-"


def markdown_table(rows: list[dict]) -> str:
    """Aligned Markdown table: text columns left, numbers right."""
    return aligned_markdown([list(HEADINGS)] + [formatted(r) for r in rows], left=3)


# ----------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and no dense-16M workload")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results",
                        help="folder for step.md and step.csv (default: benchmarks/results)")
    args = parser.parse_args(argv)
    args.budget = 1.5 if args.quick else 12.0  # seconds of timed repetitions per row
    args.min_reps, args.max_reps = (5, 50) if args.quick else (15, 300)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    stream = stream_rate()
    print(f"stream rate {stream / 1e9:.1f} GB/s", file=sys.stderr, flush=True)
    rows = run_all(args)
    stream = max(stream, stream_rate())
    add_bandwidth_fractions(rows, stream)
    markdown = "\n".join(header_lines(stream, args)) + markdown_table(rows)
    md, table = write_results(args.out, "step", markdown, rows, COLUMNS)
    print(markdown)
    print(f"wrote {md} and {table} "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
