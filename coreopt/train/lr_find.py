"""The learning-rate range test: a short training with a rising rate, and three suggestions.

`lr_find(optimizer, "digits")` trains the Core-API MLP for at most `steps`
mini-batch steps, step i with the learning rate lr_i of the ramp
(`coreopt.train.lr_suggest`: exponential, lr_i = start * (end / start) **
(i / (steps - 1)), or linear), set through `optimizer.learning_rate` (a
float64 variable, so the compiled step never retraces; for a chain, the
innermost optimizer's). Each step records (lr_i, the batch's loss before the
step, the smoothed loss)

    a_i = beta * a_{i-1} + (1 - beta) * loss_i,   smoothed_i = a_i / (1 - beta ** i),

beta = `smoothing` (fastai's bias-corrected `AvgSmoothLoss`). The test stops
early once smoothed_i > `diverge` * min_{j <= i} smoothed_j (fastai stops at 4x),
or at a non-finite loss. Afterwards the model's weights and the optimizer's
whole state (slots, step counters, the learning rate) are put back bit for
bit, and slots the test created are dropped. The record (`LRFindResult`)
holds the curve and the steepest, minimum / 10 and valley suggestions
(`coreopt.train.lr_suggest`), read on the smoothed curve without its first
tenth of `steps` and its last five points, as fastai reads it (a suggestion is
None when fewer than two points are left); `coreopt.plots.lr_find` draws it.

Example:
    >>> import coreopt
    >>> from coreopt.train import lr_find
    >>> opt = coreopt.Adam()
    >>> result = lr_find(opt, "digits", steps=8, start_lr=1e-4, end_lr=1.0, hidden=[16])
    >>> len(result.lrs), f"{result.lrs[-1]:g}", float(opt.learning_rate.numpy())
    (8, '1', 0.001)
    >>> sorted(result.suggestions)
    ['minimum', 'steepest', 'valley']

References:
    Smith, 2017, "Cyclical Learning Rates for Training Neural Networks",
    section 3.3 ("How can one estimate reasonable minimum and maximum
    boundary values?", the range test); fastai's `Learner.lr_find`
    (https://docs.fast.ai/callback.schedule.html).

Notes:
    Batches are the training split's, shuffled per epoch as `Trainer` shuffles
    them (seed + epoch), last smaller batch dropped so that every step has one
    shape; a test longer than an epoch goes on into the next.

    On the digits MLP with Adam (the defaults), the suggestions are about
    0.045 (steepest), 0.017 (minimum / 10) and 0.0016 (valley); every one lies
    in the range of constant rates, 5e-4 to 0.1, whose 30 epochs reach 97%
    validation accuracy at some epoch (16 log-spaced rates trained as one
    population; the slow test tier holds it). The steepest point is the bold
    one: 30 epochs there end at about 94% after a best epoch near 98.6%.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math

import numpy as np
import tensorflow as tf

from coreopt.core.optimizer import Optimizer
from coreopt.train import data as data_lib
from coreopt.train import lr_suggest
from coreopt.train.model import MLP, cross_entropy

STOPS = ("completed", "diverged", "non-finite")


@dataclasses.dataclass(repr=False)
class LRFindResult:
    """The range test's record: settings, the curve, the suggestions; plain JSON values.

    Attributes:
        optimizer: the optimizer's chain name; data: the data set's name;
        sizes: the MLP's widths.
        mode, start_lr, end_lr, steps, smoothing, diverge, skip_start, skip_end, batch_size, seed:
            the settings (`steps` planned; `len(lrs)` were run).
        lrs, losses, smoothed: per step run, the rate, the batch loss, the smoothed loss.
        stopped: "completed", "diverged" (smoothed loss above `diverge` x its
            best) or "non-finite" (that step's loss is not recorded).
        suggestions: name -> {"lr", "index", "loss"} or None (`lr_suggest`).
    """

    optimizer: str
    data: str
    sizes: list
    mode: str
    start_lr: float
    end_lr: float
    steps: int
    smoothing: float
    diverge: float
    skip_start: int
    skip_end: int
    batch_size: int
    seed: int
    lrs: list
    losses: list
    smoothed: list
    stopped: str
    suggestions: dict

    def suggested(self, name: str = "valley") -> float | None:
        """The learning rate suggested by `name` ("steepest", "minimum" or "valley")."""
        return lr_suggest.suggested(self.suggestions, name)

    def to_dict(self) -> dict:
        """The record as plain JSON values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> LRFindResult:
        """The record from its `to_dict()` form (e.g. read back from lr_find.json)."""
        return cls(**{f.name: values[f.name] for f in dataclasses.fields(cls)})

    def __repr__(self):
        shown = ", ".join(f"{name}={'None' if lr is None else f'{lr:.3g}'}"
                          for name in lr_suggest.NAMES for lr in [self.suggested(name)])
        return (f"LRFindResult(optimizer={self.optimizer!r}, data={self.data!r}, "
                f"mode={self.mode!r}, steps={len(self.lrs)}/{self.steps}, "
                f"stopped={self.stopped!r}, {shown})")


def lr_find(optimizer, data="digits", *, model=None, start_lr: float = 1e-7,
            end_lr: float = 10.0, steps: int = 100, mode: str = "exp",
            smoothing: float = 0.98, diverge: float = 4.0, skip_start: int | None = None,
            skip_end: int = 5, batch_size: int = 32, seed: int = 0,
            hidden=(128,)) -> LRFindResult:
    """Runs the range test with `optimizer` and returns its record (module docstring).

    Args:
        optimizer: a coreopt optimizer or chain, or a chain name (`coreopt.get`);
            its learning rate must be a variable (not a schedule).
        data: a data set name (`coreopt.train.data.DATASETS`) or a `Split`.
        model: the model to test (a `tf.Module` mapping a batch to logits);
            default a new `MLP([features, *hidden, classes], seed=seed)`.
        start_lr, end_lr: the ramp's ends, start_lr < end_lr (> 0 for "exp").
        steps: the ramp's length, >= 2.
        mode: "exp" or "linear".
        smoothing: beta of the smoothed loss, in [0, 1).
        diverge: stop once the smoothed loss exceeds this times its best, > 1.
        skip_start, skip_end: the suggestions leave out the curve's first and
            last points (fastai's: a tenth of `steps`, the default, and 5).
        batch_size: examples per step; seed: the MLP's weights, the split and
            the data order; hidden: the MLP's hidden widths.

    Returns:
        An `LRFindResult`.

    Raises:
        ValueError: for any bad argument (named), before anything is trained.
        TypeError: for an optimizer that is not a coreopt optimizer.
    """
    lr_suggest.check_ramp(start_lr, end_lr, steps, mode)
    lr_suggest.smooth([], smoothing)  # checks `smoothing`
    if not (isinstance(diverge, int | float) and diverge > 1):
        raise ValueError(f"`diverge` must be a number > 1; received {diverge!r}.")
    skip_start = steps // 10 if skip_start is None else skip_start
    lr_suggest.suggest([], [], skip_start=skip_start, skip_end=skip_end)  # checks both
    optimizer = check_optimizer(optimizer)
    split = data if isinstance(data, data_lib.Split) else data_lib.load(data, seed=seed)
    data_lib.check_batch_size(batch_size, len(split.x_train))
    if model is None:
        model = MLP([split.features, *_widths(hidden), split.classes], seed=seed)
    lrs = lr_suggest.ramp(start_lr, end_lr, steps, mode)
    with restored(model, optimizer):
        run, stopped = _run(model, optimizer, split, lrs, smoothing, diverge, batch_size, seed)
    used, losses, smoothed = (list(column) for column in zip(*run)) if run else ([], [], [])
    return LRFindResult(
        optimizer=optimizer.chain_name, data=split.name,
        sizes=list(getattr(model, "sizes", [])), mode=mode, start_lr=float(start_lr),
        end_lr=float(end_lr), steps=int(steps), smoothing=float(smoothing),
        diverge=float(diverge), skip_start=int(skip_start), skip_end=int(skip_end),
        batch_size=int(batch_size), seed=int(seed), lrs=used, losses=losses,
        smoothed=smoothed, stopped=stopped,
        suggestions=lr_suggest.suggest(used, smoothed, skip_start=skip_start,
                                       skip_end=skip_end))


def check_optimizer(optimizer) -> Optimizer:
    """The coreopt optimizer to test (a name is built); errors unless its rate is a variable."""
    if isinstance(optimizer, str):
        import coreopt

        optimizer = coreopt.get(optimizer)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"`optimizer` must be a coreopt optimizer or chain name; received "
                        f"{type(optimizer).__name__}.")
    if not isinstance(optimizer.learning_rate, tf.Variable):
        raise ValueError(f"`optimizer`: the learning rate of {optimizer.chain_name!r} is a "
                         "schedule; the range test sets it each step, so give a number.")
    return optimizer


def _widths(hidden) -> list[int]:
    widths = [int(h) for h in hidden]
    if any(h < 1 for h in widths):
        raise ValueError(f"`hidden` widths must be >= 1; received {list(hidden)!r}.")
    return widths


def _run(model, optimizer, split, lrs, beta, diverge, batch_size, seed):
    """[(lr, loss, smoothed)] per step run, and why the test stopped."""
    step = _compiled_step(model, optimizer)
    run, average, best = [], 0.0, math.inf
    for i, (lr, (x, y)) in enumerate(zip(lrs, _batches(split, batch_size, seed)), start=1):
        optimizer.learning_rate = float(lr)
        loss = float(step(x, y))
        if not math.isfinite(loss):
            return run, "non-finite"
        average, smoothed = lr_suggest.smooth_step(average, loss, beta, i)
        run.append((float(lr), loss, smoothed))
        best = min(best, smoothed)
        if smoothed > diverge * best:
            return run, "diverged"
    return run, "completed"


def _batches(split, batch_size, seed):
    """The training batches, epoch after epoch, each of exactly `batch_size` examples."""
    for epoch in itertools.count():
        yield from data_lib.pipeline(split.x_train, split.y_train, batch_size=batch_size,
                                     seed=seed, epoch=epoch, drop_remainder=True)


def _compiled_step(model, optimizer):
    """One compiled training step on a batch; returns the batch's loss before the step."""
    variables = list(model.trainable_variables)

    def closure_step(x, y):  # SAM: the optimizer evaluates the loss itself
        return optimizer.minimize(lambda: cross_entropy(model(x), y), variables)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = cross_entropy(model(x), y)
            scaled = optimizer.scale_loss(loss)  # LossScale's; the loss itself otherwise
        grads = tape.gradient(scaled, variables)
        optimizer.apply_gradients(list(zip(grads, variables)))
        return loss

    return tf.function(closure_step if optimizer.chain_needs_closure else step)


def _levels(optimizer) -> list[Optimizer]:
    """The optimizer and every coreopt optimizer it holds (a chain's inner ones)."""
    return [optimizer, *(m for m in optimizer.submodules if isinstance(m, Optimizer))]


def state_variables(model, optimizer) -> list[tf.Variable]:
    """Every variable the range test may change: the model's and all of the optimizer's
    (step counters, hyperparameters, the slots of each model variable), once each."""
    found = {}
    slots = [optimizer.slot_variables(v) for v in model.trainable_variables]
    for var in (*model.variables, *optimizer.variables, *tf.nest.flatten(slots)):
        found.setdefault(var.ref(), var)
    return list(found.values())


@contextlib.contextmanager
def restored(model, optimizer):
    """Builds `optimizer` for `model`; on exit (an error too) puts every variable of
    `state_variables` back to its value on entry and drops the slots built here."""
    built = {id(level): set(level._slots.of) for level in _levels(optimizer)}
    optimizer.build(model.trainable_variables)
    saved = [(var, np.array(var.numpy(), copy=True)) for var in state_variables(model, optimizer)]
    try:
        yield
    finally:
        for var, value in saved:
            var.assign(value)
        for level in _levels(optimizer):
            for key in set(level._slots.of) - built.get(id(level), set()):
                del level._slots.of[key]
