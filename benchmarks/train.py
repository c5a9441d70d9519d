"""Time one training epoch of the digits MLP: coreopt's Adam against `keras.optimizers.Adam`.

What is measured
    The wall time of one epoch of training (no evaluation) of an MLP
    64-128-10 (ReLU) on scikit-learn's digits (1,438 training examples,
    batch 32, 45 steps), in four settings:

    * ``custom loop``: the Core-API MLP (`coreopt.train.MLP`) trained by
      `coreopt.train.Trainer`, whose step is one ``tf.function`` calling the
      optimizer's ``apply_gradients``; coreopt's ``Adam(epsilon_hat=True)``
      (Keras's convention) against ``keras.optimizers.Adam`` on the same model;
    * ``custom loop (jit)``: the same, the whole train step in
      ``tf.function(jit_compile=True)``;
    * ``model.fit``: a Keras ``Sequential`` of the same shape, compiled with
      ``jit_compile=False``, with ``KerasOptimizer(coreopt.Adam(...))`` against
      ``keras.optimizers.Adam``;
    * ``model.fit (jit)``: the same with ``jit_compile=True``.

How
    Both libraries get their own copy of the same initial weights and see
    the same batches. After warm-up epochs (tracing, compiling), epochs of the
    two alternate (A B A B ...) so that a noisy shared machine hurts both
    alike; the ratio is the median over the pairs (coreopt epoch, the Keras
    epoch right after it) of their time ratio; the table also gives each
    library's median and fastest epoch, as context.

Run (from the repository root)
    python benchmarks/train.py            # about two minutes on 2 cores
    python benchmarks/train.py --quick    # fewer epochs
    python benchmarks/train.py --out DIR  # write train.md / train.csv to DIR

Writes ``benchmarks/results/train.md`` and ``benchmarks/results/train.csv``, each atomically.
"""

from __future__ import annotations

import argparse
import datetime
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
from coreopt.train import data, loop, model  # noqa: E402
from coreopt.train.keras_adapter import KerasOptimizer  # noqa: E402

SIZES = [64, 128, 10]
BATCH = 32
LR = 1e-3
WARMUP_EPOCHS = 3
LIBRARIES = ("coreopt", "keras")
COLUMNS = ("setting", "coreopt_ms", "keras_ms", "ratio", "coreopt_min_ms", "keras_min_ms",
           "epochs", "steps_per_epoch")
HEADINGS = ("setting", "coreopt ms/epoch", "keras ms/epoch", "ratio coreopt/keras",
            "coreopt fastest ms", "keras fastest ms", "timed epochs each", "steps/epoch")


# ------------------------------------------------------------------ custom loop
def custom_loop_epochs(split, jit: bool):
    """Per library, a function that trains one more epoch and returns its seconds."""
    runners = {}
    for library in LIBRARIES:
        mlp = model.MLP(SIZES, seed=0)
        if library == "coreopt":
            opt = coreopt.Adam(LR, epsilon_hat=True)
        else:
            opt = keras.optimizers.Adam(LR)
        trainer = loop.Trainer(mlp, opt, split, batch_size=BATCH, seed=0, verbose=0,
                               jit_compile=jit)
        runners[library] = _epoch_runner(trainer)
    return runners


def _epoch_runner(trainer):
    done = [0]

    def one_epoch() -> float:
        done[0] += 1
        return trainer.fit(done[0])[-1]["time_s"]

    return one_epoch


# -------------------------------------------------------------------- model.fit
class _EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def fit_epochs(split, jit: bool):
    """Per library, a function that runs `model.fit` for one epoch and returns its seconds."""
    runners = {}
    for library in LIBRARIES:
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((SIZES[0],)),
                                keras.layers.Dense(SIZES[1], activation="relu"),
                                keras.layers.Dense(SIZES[2])])
        opt = (KerasOptimizer(coreopt.Adam(LR, epsilon_hat=True)) if library == "coreopt"
               else keras.optimizers.Adam(LR))
        net.compile(optimizer=opt, jit_compile=jit,
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        runners[library] = _fit_runner(net, split)
    return runners


def _fit_runner(net, split):
    timer = _EpochTimer()

    def one_epoch() -> float:
        net.fit(split.x_train, split.y_train, batch_size=BATCH, epochs=1, shuffle=True,
                verbose=0, callbacks=[timer])
        return timer.seconds

    return one_epoch


# ---------------------------------------------------------------------- timing
def measure(runners, epochs: int) -> tuple[dict, dict, float]:
    """Median and fastest seconds per epoch per library, and the median paired ratio.

    Epochs alternate A B A B after warm-up; each coreopt epoch is paired with
    the Keras epoch right after it, so that slow drifts in the machine's load
    cancel in the pair's ratio.
    """
    for _ in range(WARMUP_EPOCHS):
        for library in LIBRARIES:
            runners[library]()
    times = {library: [] for library in LIBRARIES}
    for _ in range(epochs):
        for library in LIBRARIES:
            times[library].append(runners[library]())
    pairs = [a / b for a, b in zip(times["coreopt"], times["keras"], strict=True)]
    return ({library: statistics.median(times[library]) for library in LIBRARIES},
            {library: min(times[library]) for library in LIBRARIES}, statistics.median(pairs))


SETTINGS = {
    "custom loop": lambda split: custom_loop_epochs(split, jit=False),
    "custom loop (jit)": lambda split: custom_loop_epochs(split, jit=True),
    "model.fit": lambda split: fit_epochs(split, jit=False),
    "model.fit (jit)": lambda split: fit_epochs(split, jit=True),
}


def run_all(args) -> list[dict]:
    split = data.load("digits")
    steps = data.steps_per_epoch(len(split.x_train), BATCH)
    rows = []
    for setting, make in SETTINGS.items():
        median, fastest, paired = measure(make(split), args.epochs)
        ms = {lib: 1e3 * median[lib] for lib in LIBRARIES}
        rows.append({"setting": setting, "coreopt_ms": ms["coreopt"], "keras_ms": ms["keras"],
                     "ratio": paired,
                     "coreopt_min_ms": 1e3 * fastest["coreopt"],
                     "keras_min_ms": 1e3 * fastest["keras"], "epochs": args.epochs,
                     "steps_per_epoch": steps})
        print(f"  {setting:40s} coreopt {ms['coreopt']:8.2f} ms  keras {ms['keras']:8.2f} ms  "
              f"ratio {rows[-1]['ratio']:.3f}", file=sys.stderr, flush=True)
    return rows


# ---------------------------------------------------------------------- output
def header_lines(args) -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "# One training epoch of the digits MLP: coreopt's Adam vs Keras's",
        "",
        f"- date: {now}{' (--quick)' if args.quick else ''}",
        f"- machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
        f"{platform.machine()}",
        f"- versions: Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, coreopt {coreopt.__version__}, NumPy {np.__version__}",
        f"- model: MLP {SIZES} (ReLU), digits train split, batch {BATCH}, Adam lr {LR:g}",
        f"- ms/epoch: median over {args.epochs} epochs each, alternating coreopt and keras, "
        f"after {WARMUP_EPOCHS} warm-up epochs each; training steps only, no evaluation",
        "- ratio coreopt/keras: median over the pairs (coreopt epoch, the keras epoch right "
        "after it) of their time ratio, so that drifts in the machine's load cancel; lower "
        "is better, target <= 1.05; medians and fastest epochs per library are context",
        f"- load average when the run started: {args.load}",
        "",
        "",
    ]


def markdown_table(rows: list[dict]) -> str:
    """Aligned Markdown table: the setting left, numbers right."""
    return aligned_markdown([list(HEADINGS)] + [
        [r["setting"], f"{r['coreopt_ms']:.2f}", f"{r['keras_ms']:.2f}", f"{r['ratio']:.3f}",
         f"{r['coreopt_min_ms']:.2f}", f"{r['keras_min_ms']:.2f}", str(r["epochs"]),
         str(r["steps_per_epoch"])] for r in rows
    ], left=1)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer timed epochs")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results",
                        help="folder for train.md and train.csv (default: benchmarks/results)")
    args = parser.parse_args(argv)
    args.epochs = 5 if args.quick else 40
    args.load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    rows = run_all(args)
    markdown = "\n".join(header_lines(args)) + markdown_table(rows)
    md, table = write_results(args.out, "train", markdown, rows, COLUMNS)
    print(markdown)
    print(f"wrote {md} and {table} "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
