"""`model.fit` with a coreopt chain that needs the loss closure (SAM), TensorFlow backend.

A Keras optimizer only ever sees gradients (`apply_gradients`), never the
loss, so SAM cannot be a `keras.optimizers.Optimizer` (`KerasOptimizer`
refuses it). The loss is in the model's `train_step`: `closure_train_step`
is a train step body that steps the coreopt optimizer by its closure,

    loss(x) = model.compute_loss(x, y, model(x, training=True), sample_weight)
    optimizer.minimize(loss, model.trainable_variables)  # SAM: 2 forward/backward passes

and updates the compiled metrics with the predictions at the current
weights, as Keras's own step does. Call it from your model's `train_step`,
or wrap any model (Sequential, functional) in `ClosureModel`. Under
`tf.distribute` (create the model and the optimizer under
`strategy.scope()`) every gradient is summed over replicas
(`coreopt.core.distributed.minimize_in_replica`).

Example:
    >>> import keras, numpy as np, coreopt
    >>> from coreopt.train.sam_fit import ClosureModel
    >>> net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model = ClosureModel(net, coreopt.SAM(coreopt.Momentum(1e-2), rho=0.05))
    >>> model.compile(loss="mse")
    >>> x = np.ones((8, 3), np.float32)
    >>> model.fit(x, x[:, :1], epochs=1, verbose=0).history["loss"][0] > 0
    True
    >>> int(model.closure_optimizer.iterations)   # one SAM step per batch
    1

Notes:
    The step runs inline in Keras's train function (compiled by Keras: XLA
    only with `compile(jit_compile=True)`), so its bits can differ in the
    last place from `optimizer.minimize` in a loop, which compiles with XLA.
    A multi-output model's per-output loss trackers see both evaluations of
    the loss. The coreopt optimizer's variables are not Keras variables:
    save them with `tf.train.Checkpoint(optimizer=model.closure_optimizer)`.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from coreopt.core import distributed
from coreopt.core.optimizer import Optimizer
from coreopt.core.variables import unwrap

__all__ = ["ClosureModel", "closure_train_step"]


def closure_train_step(model, optimizer, data) -> dict:
    """One training step of `model` on `data` by `optimizer.minimize`; the metrics' results.

    Args:
        model: a compiled `keras.Model` (its `compute_loss` and metrics are used).
        optimizer: a coreopt optimizer or chain (SAM, or any other).
        data: the batch, `(x, y)` or `(x, y, sample_weight)`, as `train_step` gets it.

    Returns:
        `model.compute_metrics(...)`: {metric name: value}, "loss" included.

    Raises:
        TypeError: for an optimizer that is not a coreopt optimizer.

    Example:
        >>> import keras, coreopt
        >>> from coreopt.train.sam_fit import closure_train_step
        >>> class Net(keras.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.dense = keras.layers.Dense(1)
        ...         self.sam = coreopt.SAM(coreopt.GradientDescent(0.1))
        ...     def call(self, x):
        ...         return self.dense(x)
        ...     def train_step(self, data):
        ...         return closure_train_step(self, self.sam, data)
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"`optimizer` must be a coreopt optimizer; received "
                        f"{type(optimizer).__name__}.")
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    if not model.trainable_variables:  # a subclassed model before its first call
        model.compute_output_spec(tf.nest.map_structure(_symbolic, x))  # adds no ops
    variables = [unwrap(v) for v in model.trainable_variables]
    first = []

    def loss_fn():
        y_pred = model(x, training=True)
        if not first:
            first.append(y_pred)  # the predictions at the current weights, for metrics
        return model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                  training=True)

    if distributed.in_replica_context():
        loss = distributed.minimize_in_replica(optimizer, loss_fn, variables)
    else:
        optimizer.build(variables)
        loss = optimizer._minimize(loss_fn, variables)
    _track_loss(model, loss, x)
    return model.compute_metrics(x, y, first[0], sample_weight=sample_weight)


def _symbolic(t):
    return t if t is None else keras.KerasTensor(t.shape, t.dtype.name)


def _track_loss(model, loss, x):
    """The "loss" metric: Keras divides the loss by the replicas; undo that, weigh by batch."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    batch = tf.shape(tf.nest.flatten(x)[0])[0]
    for metric in model.metrics:
        if metric.name == "loss":
            metric.update_state(loss * tf.cast(replicas, loss.dtype), sample_weight=batch)


class ClosureModel(keras.Model):
    """`model` trained by `fit` with a coreopt optimizer stepped by the loss closure.

    Args:
        model: the Keras model to train (its forward pass is this model's).
        optimizer: a coreopt optimizer or chain, e.g. `coreopt.SAM(coreopt.Adam())`;
            built at once when `model` is built (under the current strategy).
        **kwargs: `keras.Model` arguments (`name`).

    Compile with the loss and metrics only: `compile(loss=..., metrics=...)`.
    """

    def __init__(self, model, optimizer, **kwargs):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"`optimizer` must be a coreopt optimizer; received "
                            f"{type(optimizer).__name__}.")
        super().__init__(**kwargs)
        self.model = model
        self._held = _Held(optimizer)
        if model.built:
            optimizer.build([unwrap(v) for v in model.trainable_variables])

    @property
    def closure_optimizer(self):
        """The coreopt optimizer that `fit` steps."""
        return self._held.optimizer

    def call(self, inputs, training=None):
        return self.model(inputs, training=training)

    def compile(self, optimizer=None, **kwargs):
        """Keras's `compile` without an optimizer (the coreopt one is given at construction)."""
        if optimizer is not None:
            raise TypeError("ClosureModel steps the coreopt optimizer it was made with; "
                            "call compile(loss=..., metrics=...) without `optimizer`.")
        super().compile(optimizer=None, **kwargs)

    def train_step(self, data):
        return closure_train_step(self, self.closure_optimizer, data)

    def __repr__(self):
        return f"ClosureModel({self.model.name!r}, {self.closure_optimizer!r})"


class _Held:
    """Keeps the optimizer out of Keras's tracking (its variables are not model weights)."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
