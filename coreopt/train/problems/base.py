"""What a training problem is: data, initial weights, a loss and a validation metric.

A `Problem` is functional: its parameters are a list of tensors that `init(seed)`
returns, and `loss(params, x, y)` and `metric(params, x, y)` are pure functions
of them. Nothing holds variables, so the same problem serves a custom loop on
`tf.Variable`s (`coreopt.train.population.train_alone`) and a population of N
members stepped as one program, where every parameter gets a leading member axis
and `loss` runs once per member under `tf.vectorized_map`.

Rules every problem follows:
* `init(seed)` is stateless (`tf.random.stateless_*` on the seed): the same seed
  gives the same weights in every process.
* `loss` is the mean over the batch, differentiable, and traceable by
  `tf.vectorized_map` without its while-loop fallback and by XLA.
* The data are NumPy arrays fixed by the problem (the split's seed is part of its
  definition); the order of the training examples is the caller's: epoch e of a
  run with seed s is `np.random.default_rng(s + e).permutation(n)` in batches of
  `batch_size`, the last one smaller, as `coreopt train` does
  (`coreopt.train.data.pipeline`).
* `target` is the validation metric to reach for time-to-target (AlgoPerf's
  definition: the first evaluation at or past it); each problem's docstring says
  how it was chosen.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True, repr=False)
class Data:
    """A problem's arrays: training examples and the held-out validation set.

    Attributes:
        x_train, y_train: training inputs and targets (NumPy; targets may be
            class labels, regression values, or the inputs themselves).
        x_valid, y_valid: the validation split, the metric's data.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray

    def __repr__(self):
        return (f"Data(train={len(self.x_train)}, valid={len(self.x_valid)}, "
                f"x={tuple(self.x_train.shape[1:])}, y={tuple(self.y_train.shape[1:])})")


class Problem:
    """A training problem (see the module docstring). Subclasses set the class attributes
    and implement `load`, `init`, `loss` and `metric`.

    Attributes:
        name: the registry name, e.g. "digits-mlp".
        metric_name: what `metric` measures, e.g. "accuracy".
        higher_is_better: whether larger metric values are better.
        target: the validation metric to reach (time-to-target).
        batch_size: examples per step.
        epochs: the default training budget, in epochs.
    """

    name: str = ""
    metric_name: str = ""
    higher_is_better: bool = True
    target: float = float("nan")
    batch_size: int = 32
    epochs: int = 10

    def __init__(self):
        self._data = None

    @property
    def data(self) -> Data:
        """The arrays, loaded once."""
        if self._data is None:
            self._data = self.load()
        return self._data

    def load(self) -> Data:
        raise NotImplementedError

    def init(self, seed: int) -> list[tf.Tensor]:
        """The initial parameters for `seed` (float32 tensors)."""
        raise NotImplementedError

    def loss(self, params, x, y) -> tf.Tensor:
        """The training loss of `params` on the batch (x, y), a scalar (batch mean)."""
        raise NotImplementedError

    def metric(self, params, x, y) -> tf.Tensor:
        """The validation metric of `params` on (x, y), a scalar."""
        raise NotImplementedError

    def reached(self, value: float) -> bool:
        """Whether a metric value is at or past the target."""
        return value >= self.target if self.higher_is_better else value <= self.target

    def __repr__(self):
        return (f"{type(self).__name__}(name={self.name!r}, {self.metric_name} target "
                f"{self.target:g}, batch_size={self.batch_size}, epochs={self.epochs})")
