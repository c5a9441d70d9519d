"""Time one training epoch of the digits MLP: coreopt's Adam against `keras.optimizers.Adam`.

What is measured
    The wall time of one epoch of training (no evaluation, but for one test batch
    in the custom loop: see How) of an MLP
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

    and, in its own table, Muon against AdamW in the ``custom loop`` setting
    (the same model, step and data as its row above):

    * ``muon+adamw``: ``coreopt.optimizers.muon.with_adamw()``, the documented
      way to use Muon (a `coreopt.Route`): Muon on the two weight matrices
      (64x128, 128x10), AdamW on the two biases; every hyperparameter its
      default: Muon's are Keller Jordan's (lr 0.02, momentum 0.95, Nesterov,
      5 Newton-Schulz steps), the biases' AdamW is his MuonWithAuxAdam's
      auxiliary Adam (lr 3e-4, beta_2 0.95, epsilon 1e-10, no weight decay);
    * ``adamw``: ``coreopt.AdamW()`` on every variable, at its defaults (lr
      1e-3, weight decay 0.01; 1e-3 is also ``coreopt train``'s rate for adamw).

    Defaults, not tuned rates, because the question is what a user gets who
    follows the documentation; no rate was searched for either. Besides the
    time per epoch, the note gives each one's test accuracy after 30 epochs
    (the 30th epoch's record of the same training that is timed: the timed
    epochs are epochs 1.. of one run, so a Muon or AdamW epoch costs the same
    at epoch 5 as at 30; with ``--quick`` training simply goes on to 30).

How
    Both libraries get their own copy of the same initial weights and see
    the same batches. After warm-up epochs (tracing, compiling), epochs of the
    two alternate (A B A B ...) so that a noisy shared machine hurts both
    alike; the ratio is the median over the pairs (coreopt epoch, the Keras
    epoch right after it) of their time ratio; the table also gives each
    library's median and fastest epoch, as context. Muon and AdamW are timed
    the same way (Muon epoch, AdamW epoch right after it). A ``custom loop``
    epoch's time is `coreopt.train.Trainer`'s ``time_s``: its training steps
    and one test-set evaluation batch (under 3 ms, the same for both).

Run (from the repository root)
    python benchmarks/train.py            # about two to three minutes on 2 cores
    python benchmarks/train.py --quick    # fewer epochs
    python benchmarks/train.py --out DIR  # write train.md / .csv / train_muon.csv to DIR

Writes ``benchmarks/results/train.md`` (both tables), ``benchmarks/results/train.csv`` and
``benchmarks/results/train_muon.csv`` (the Muon row, its own columns), each atomically.
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
from _tables import (  # noqa: E402
    aligned_markdown,
    cpu_model,
    csv_text,
    write_atomically,
    write_results,
)

import coreopt  # noqa: E402
from coreopt.optimizers.muon import with_adamw  # noqa: E402
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
MUONS = ("muon+adamw", "adamw")
ACCURACY_EPOCHS = 30
MUON_COLUMNS = ("setting", "muon_ms", "adamw_ms", "ratio", "muon_min_ms", "adamw_min_ms",
                "epochs", "steps_per_epoch", "muon_test_accuracy", "adamw_test_accuracy",
                "accuracy_epoch", "test_examples")
MUON_HEADINGS = ("setting", "muon+adamw ms/epoch", "adamw ms/epoch", "ratio muon/adamw",
                 "muon+adamw fastest ms", "adamw fastest ms", "timed epochs each",
                 "steps/epoch")


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


def muon_trainers(split) -> dict:
    """Muon (+ AdamW for the biases) and AdamW alone, each a `Trainer` of its own MLP copy."""
    optimizers = {"muon+adamw": with_adamw(), "adamw": coreopt.AdamW()}
    return {name: loop.Trainer(model.MLP(SIZES, seed=0), optimizers[name], split,
                               batch_size=BATCH, seed=0, verbose=0) for name in MUONS}


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
def measure(runners, epochs: int, names=LIBRARIES) -> tuple[dict, dict, float]:
    """Median and fastest seconds per epoch per library, and the median paired ratio.

    Epochs alternate A B A B after warm-up; each epoch of `names[0]` (coreopt)
    is paired with the epoch of `names[1]` (Keras) right after it, so that slow
    drifts in the machine's load cancel in the pair's ratio.
    """
    for _ in range(WARMUP_EPOCHS):
        for library in names:
            runners[library]()
    times = {library: [] for library in names}
    for _ in range(epochs):
        for library in names:
            times[library].append(runners[library]())
    pairs = [a / b for a, b in zip(times[names[0]], times[names[1]], strict=True)]
    return ({library: statistics.median(times[library]) for library in names},
            {library: min(times[library]) for library in names}, statistics.median(pairs))


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


def run_muon(args) -> dict:
    """The Muon row: times per epoch, their paired ratio, test accuracies after 30 epochs."""
    split = data.load("digits")
    trainers = muon_trainers(split)
    median, fastest, paired = measure({n: _epoch_runner(t) for n, t in trainers.items()},
                                      args.epochs, MUONS)
    accuracy = {}
    for name, trainer in trainers.items():
        history = trainer.fit(max(ACCURACY_EPOCHS, WARMUP_EPOCHS + args.epochs))
        accuracy[name] = history[ACCURACY_EPOCHS - 1]["test_accuracy"]
    row = {"setting": "custom loop", "muon_ms": 1e3 * median["muon+adamw"],
           "adamw_ms": 1e3 * median["adamw"], "ratio": paired,
           "muon_min_ms": 1e3 * fastest["muon+adamw"], "adamw_min_ms": 1e3 * fastest["adamw"],
           "epochs": args.epochs, "steps_per_epoch": trainers["adamw"].steps_per_epoch,
           "muon_test_accuracy": accuracy["muon+adamw"], "adamw_test_accuracy": accuracy["adamw"],
           "accuracy_epoch": ACCURACY_EPOCHS, "test_examples": len(split.x_test)}
    print(f"  {'muon+adamw vs adamw (custom loop)':40s} muon {row['muon_ms']:8.2f} ms  "
          f"adamw {row['adamw_ms']:8.2f} ms  ratio {paired:.3f}  test accuracy "
          f"{accuracy['muon+adamw']:.4f} / {accuracy['adamw']:.4f}", file=sys.stderr, flush=True)
    return row


# ---------------------------------------------------------------------- output
def header_lines(args) -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "# One training epoch of the digits MLP: coreopt's Adam vs Keras's; Muon vs AdamW",
        "",
        f"- date: {now}{' (--quick)' if args.quick else ''}",
        f"- machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
        f"{platform.machine()}",
        f"- versions: Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, coreopt {coreopt.__version__}, NumPy {np.__version__}",
        f"- model: MLP {SIZES} (ReLU), digits train split, batch {BATCH}, Adam lr {LR:g}",
        f"- ms/epoch: median over {args.epochs} epochs each, alternating coreopt and keras, "
        f"after {WARMUP_EPOCHS} warm-up epochs each; training steps only (the custom loop's "
        "`Trainer.time_s` also holds one test-set evaluation batch)",
        "- ratio coreopt/keras: median over the pairs (coreopt epoch, the keras epoch right "
        "after it) of their time ratio, so that drifts in the machine's load cancel; lower "
        "is better, target <= 1.05; medians and fastest epochs per library are context",
        f"- load average when the run started: {args.load}",
        "",
        "",
    ]


def muon_lines(row: dict) -> list[str]:
    """The Muon section: its note (the optimizers, the accuracies) and its table."""
    return [
        "",
        "## Muon against AdamW (custom loop)",
        "",
        "- muon+adamw: `coreopt.optimizers.muon.with_adamw()`, Muon (lr 0.02, momentum 0.95, "
        "Nesterov, 5 Newton-Schulz steps) on the weight matrices, AdamW (lr 3e-4, beta_2 0.95, "
        "epsilon 1e-10, no weight decay) on the biases; adamw: `coreopt.AdamW()` (lr 1e-3, "
        "weight decay 0.01) on all; every hyperparameter its documented default, none tuned",
        "- same initial weights (MLP seed 0) and data order (seed 0) for both; timed as above "
        "(warm-up, alternating epochs, paired ratio); an epoch's time is the Trainer's "
        "`time_s`, its steps and one test-set evaluation",
        f"- test accuracy after {row['accuracy_epoch']} epochs (digits test split, "
        f"{row['test_examples']} examples): muon+adamw {row['muon_test_accuracy']:.4f}, "
        f"adamw {row['adamw_test_accuracy']:.4f}",
        "",
        aligned_markdown([list(MUON_HEADINGS), [
            row["setting"], f"{row['muon_ms']:.2f}", f"{row['adamw_ms']:.2f}",
            f"{row['ratio']:.3f}", f"{row['muon_min_ms']:.2f}", f"{row['adamw_min_ms']:.2f}",
            str(row["epochs"]), str(row["steps_per_epoch"])]], left=1),
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
    muon = run_muon(args)
    markdown = ("\n".join(header_lines(args)) + markdown_table(rows)
                + "\n".join(muon_lines(muon)))
    md, table = write_results(args.out, "train", markdown, rows, COLUMNS)
    muon_table = Path(args.out) / "train_muon.csv"
    write_atomically(muon_table, csv_text([muon], MUON_COLUMNS))
    print(markdown)
    print(f"wrote {md}, {table} and {muon_table} "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
