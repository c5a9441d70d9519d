"""The range test's arithmetic in NumPy: the learning-rate ramp, the smoothed loss, suggestions.

Ramp (step i = 0..n-1 of n, from `start` to `end`):
    exp:     lr_i = start * (end / start) ** (i / (n - 1))
    linear:  lr_i = start + (end - start) * i / (n - 1)
The exponential ramp is the one of fastai's `lr_find`; Smith's range test
(section 3.3) raises the rate linearly.

Smoothed loss (an exponentially weighted average with bias correction, as
fastai's `AvgSmoothLoss`, weight beta = `smoothing`):
    a_0 = 0,  a_i = beta * a_{i-1} + (1 - beta) * loss_i,
    smoothed_i = a_i / (1 - beta ** i)              (i counted from 1)
so the first smoothed value is the first loss and beta = 0 leaves the curve raw.

Suggestions, on the smoothed loss L against the learning rate (only points with
lr > 0 and a finite loss count; each needs at least two; `suggest` can leave
out the curve's first and last points, as fastai leaves out the first tenth
of the planned steps, where the average rests on few batches, and the last five):
    steepest      the lr where dL / d(log lr) is most negative (central
                  differences, `np.gradient` on log lr; one-sided at the ends);
    minimum / 10  the lr of the smallest L, divided by 10;
    valley        the middle of the longest valley: take the longest strictly
                  decreasing subsequence L_{j1} > L_{j2} > ... > L_{jk}
                  (j1 < ... < jk, not necessarily adjacent; the first to end
                  among the longest); the valley is the k points up to its end,
                  e - k + 1 .. e with e = jk (fastai's reading: noisy points the
                  subsequence skips do not widen it), and the suggestion is the
                  point halfway along, index e - k + 1 + (k - 1) // 2 (on the
                  exponential ramp, about the geometric mean of its ends' rates).

Example:
    >>> import numpy as np
    >>> from coreopt.train import lr_suggest
    >>> lrs = lr_suggest.ramp(1e-4, 1.0, 5)
    >>> [f"{lr:.0e}" for lr in lrs]
    ['1e-04', '1e-03', '1e-02', '1e-01', '1e+00']
    >>> lr_suggest.smooth([1.0, 3.0], 0.5).tolist()   # (0.5 * 0.5 + 0.5 * 3) / 0.75
    [1.0, 2.3333333333333335]
    >>> losses = np.array([2.0, 1.5, 0.5, 0.4, 3.0])
    >>> f"{lr_suggest.minimum(lrs, losses)['lr']:.0e}"
    '1e-02'

References:
    Smith, 2017, "Cyclical Learning Rates for Training Neural Networks",
    section 3.3 (the range test); fastai's documentation of `Learner.lr_find`
    and its suggestion functions `minimum`, `steep` and `valley`
    (https://docs.fast.ai/callback.schedule.html).

Notes:
    fastai's valley takes the point floor(k/3) + floor(k/6) after e - k
    (about its middle); this one takes the middle exactly.
"""

from __future__ import annotations

import math

import numpy as np

MODES = ("exp", "linear")
NAMES = ("steepest", "minimum", "valley")  # the suggestions, in the order they are shown
TITLES = {"steepest": "steepest", "minimum": "minimum / 10", "valley": "valley"}


def suggested(suggestions: dict, name: str) -> float | None:
    """The rate of the suggestion `name` ("steepest", "minimum" or "valley") among
    `suggestions` ({name: {"lr": ...} or None}), None where that rule found none."""
    if name not in NAMES:
        raise ValueError(f"`name` must be one of {', '.join(NAMES)}; received {name!r}.")
    found = suggestions.get(name)
    return None if found is None else found["lr"]


def check_ramp(start_lr: float, end_lr: float, steps: int, mode: str) -> None:
    """Raises ValueError, naming the argument, for a ramp that cannot be run."""
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {', '.join(MODES)}; received {mode!r}.")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 2:
        raise ValueError(f"`steps` must be an integer >= 2; received {steps!r}.")
    for name, value in (("start_lr", start_lr), ("end_lr", end_lr)):
        if not isinstance(value, int | float | np.floating) or not math.isfinite(value):
            raise ValueError(f"`{name}` must be a finite number; received {value!r}.")
    if mode == "exp" and start_lr <= 0:
        raise ValueError(f"`start_lr` must be > 0 for the exponential ramp (mode='exp'); "
                         f"received {start_lr!r}.")
    if start_lr < 0:
        raise ValueError(f"`start_lr` must be >= 0; received {start_lr!r}.")
    if not start_lr < end_lr:
        raise ValueError(f"`start_lr` must be below `end_lr`; received start_lr={start_lr!r}, "
                         f"end_lr={end_lr!r}.")


def ramp(start_lr: float, end_lr: float, steps: int, mode: str = "exp") -> np.ndarray:
    """The `steps` learning rates from `start_lr` to `end_lr` (see the module docstring)."""
    check_ramp(start_lr, end_lr, steps, mode)
    fraction = np.arange(steps, dtype=np.float64) / (steps - 1)
    if mode == "exp":
        return start_lr * (end_lr / start_lr) ** fraction
    return start_lr + (end_lr - start_lr) * fraction


def smooth_step(average: float, loss: float, beta: float, count: int) -> tuple[float, float]:
    """One step of the smoothing: (new average a_i, bias-corrected value); `count` is i >= 1."""
    average = beta * average + (1.0 - beta) * loss
    return average, average / (1.0 - beta**count)


def smooth(losses, beta: float) -> np.ndarray:
    """The bias-corrected exponentially weighted average of `losses` (module docstring)."""
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"`smoothing` must be in [0, 1); received {beta!r}.")
    out, average = [], 0.0
    for i, loss in enumerate(np.asarray(losses, dtype=np.float64), start=1):
        average, value = smooth_step(average, float(loss), beta, i)
        out.append(value)
    return np.asarray(out, dtype=np.float64)


def _usable(lrs, losses) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices, lrs, losses) of the points with lr > 0 and a finite loss."""
    lrs, losses = np.asarray(lrs, np.float64), np.asarray(losses, np.float64)
    if lrs.shape != losses.shape or lrs.ndim != 1:
        raise ValueError(f"`lrs` and `losses` must be 1-D of one length; received shapes "
                         f"{lrs.shape} and {losses.shape}.")
    keep = np.flatnonzero((lrs > 0) & np.isfinite(losses) & np.isfinite(lrs))
    return keep, lrs[keep], losses[keep]


def _suggestion(lr: float, index: int, lrs, losses) -> dict:
    """{"lr", "index" (the point the rule picked), "loss" (L at `lr`, linear in log lr)}."""
    loss = float(np.interp(np.log(lr), np.log(lrs), losses))
    return {"lr": float(lr), "index": int(index), "loss": loss}


def steepest(lrs, losses) -> dict | None:
    """The lr of the most negative dL/d(log lr); None with fewer than two usable points."""
    keep, lrs, losses = _usable(lrs, losses)
    if len(keep) < 2:
        return None
    k = int(np.argmin(np.gradient(losses, np.log(lrs))))
    return _suggestion(lrs[k], keep[k], lrs, losses)


def minimum(lrs, losses) -> dict | None:
    """The lr of the smallest loss (its first occurrence) divided by 10; None as `steepest`."""
    keep, lrs, losses = _usable(lrs, losses)
    if len(keep) < 2:
        return None
    k = int(np.argmin(losses))
    return _suggestion(lrs[k] / 10.0, keep[k], lrs, losses)


def longest_valley(losses) -> tuple[int, int]:
    """(first, last) position of the longest valley of `losses` (the module docstring).

    The valley ends where the longest strictly decreasing subsequence ends (the
    first such end) and is as many points long as that subsequence.
    """
    losses = np.asarray(losses, np.float64)
    length = np.ones(len(losses), dtype=np.int64)
    for i in range(1, len(losses)):
        before = length[:i][losses[:i] > losses[i]]
        if len(before):
            length[i] = before.max() + 1
    last = int(np.argmax(length))
    return last - int(length[last]) + 1, last


def valley(lrs, losses) -> dict | None:
    """The lr halfway along the longest valley; None as `steepest`."""
    keep, lrs, losses = _usable(lrs, losses)
    if len(keep) < 2:
        return None
    first, last = longest_valley(losses)
    k = (first + last) // 2
    return _suggestion(lrs[k], keep[k], lrs, losses)


def suggest(lrs, losses, *, skip_start: int = 0, skip_end: int = 0) -> dict:
    """{name: suggestion or None} for the rules of `NAMES`, on the curve without its first
    `skip_start` and last `skip_end` points ("index" still counts from the curve's start)."""
    for name, value in (("skip_start", skip_start), ("skip_end", skip_end)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"`{name}` must be an integer >= 0; received {value!r}.")
    lrs, losses = np.asarray(lrs, np.float64), np.asarray(losses, np.float64)
    kept = slice(skip_start, max(skip_start, len(lrs) - skip_end))
    rules = {"steepest": steepest, "minimum": minimum, "valley": valley}
    found = {name: rules[name](lrs[kept], losses[kept]) for name in NAMES}
    return {name: None if s is None else {**s, "index": s["index"] + skip_start}
            for name, s in found.items()}
