"""Any coreopt optimizer as a `keras.optimizers.Optimizer`, for `model.compile` and `fit`.

`KerasOptimizer(coreopt_optimizer)` is a Keras 3 optimizer whose step is the
coreopt optimizer's own pure list-level `update`: Keras clips, scales and
all-reduces the gradients as for its own optimizers, then the adapter calls
`update(grads, params, slots, t, learning_rate)` with t = iterations + 1 (as a
float64) and assigns what it returns, compiled with XLA unless the coreopt
optimizer was made with `jit_compile=False`. The slots are Keras optimizer variables
(created with the values of the coreopt optimizer's `init_slots`), so they
are saved and loaded with the model in a `.keras` file.

Example:
    >>> import keras, numpy as np, coreopt
    >>> from coreopt.train.keras_adapter import KerasOptimizer
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=KerasOptimizer(coreopt.Lion(learning_rate=1e-3)), loss="mse")
    >>> model.optimizer
    KerasOptimizer(Lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99))
    >>> x = np.ones((8, 3), np.float32)
    >>> model.fit(x, x[:, :1], epochs=1, verbose=0).history["loss"][0] > 0
    True

Notes:
    The learning rate lives in Keras's float32 `learning_rate` variable (so
    Keras callbacks such as `ReduceLROnPlateau` can change it): the adapter of
    `Adam(learning_rate=lr)` follows `Adam(learning_rate=float32(lr))` exactly
    in math. A `keras.optimizers.schedules.LearningRateSchedule` is passed on;
    a plain callable of the step is refused (Keras calls callables without
    the step). Keras's own options (`clipnorm`, `weight_decay`, ...) may be
    given as keyword arguments and act as for any Keras optimizer. Any chain
    of registered optimizers and wrappers saves and loads; its state (slots,
    each level's step counter) is Keras optimizer variables.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from coreopt.core.distributed import assigning, update_local_copies
from coreopt.core.optimizer import Optimizer
from coreopt.core.serialize import from_config


def _loss_scales(optimizer) -> bool:
    """Whether a level of the chain is a `LossScale` (a Route's groups never are)."""
    from coreopt.wrappers.loss_scale import LossScale

    while not isinstance(optimizer, LossScale) and getattr(optimizer, "wraps", False):
        optimizer = optimizer.inner
    return isinstance(optimizer, LossScale)


@keras.saving.register_keras_serializable(package="coreopt")
class KerasOptimizer(keras.optimizers.Optimizer):
    """A Keras 3 optimizer that steps with a coreopt optimizer's pure update.

    Args:
        optimizer: a coreopt optimizer or wrapper chain (its configuration is
            used, its variables are not), or its `get_config()` dict.
        learning_rate: overrides the coreopt optimizer's learning rate (float
            or Keras schedule); set by `from_config`.
        **kwargs: Keras optimizer options (`name`, `clipnorm`, ...).

    Raises:
        TypeError: for anything but a coreopt optimizer, or a learning rate
            that is a plain callable.
    """

    def __init__(self, optimizer, learning_rate=None, **kwargs):
        if isinstance(optimizer, dict):
            optimizer = from_config(optimizer)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"`optimizer` must be a coreopt optimizer; received "
                            f"{type(optimizer).__name__}.")
        if optimizer.chain_needs_closure:
            raise TypeError(
                f"KerasOptimizer cannot run {optimizer.chain_name!r}: it evaluates the gradient "
                "more than once and needs the loss, which a Keras optimizer never sees. Train "
                "with `coreopt.train.sam_fit.ClosureModel(model, optimizer)`, or call "
                "`coreopt.train.sam_fit.closure_train_step(self, optimizer, data)` from your "
                "model's `train_step`.")
        if learning_rate is None:
            learning_rate = _keras_learning_rate(optimizer)
        kwargs.setdefault("name", f"coreopt_{optimizer.registry_name or 'optimizer'}")
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._held = _Held(optimizer)  # not tracked: only its configuration is used
        self._slots = []
        # Not compiled by XLA on its own: Keras's train step is (jit_compile=True), or
        # it runs plain TF ops like Keras's own optimizers (an XLA launch per step
        # would cost about 5% of an epoch of a small model).
        self._coreopt_step = assigning(optimizer.update, jit_compile=False)

    @property
    def inner(self):
        """The wrapped coreopt optimizer."""
        return self._held.optimizer

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        strategy = self._distribution_strategy
        for var in var_list:
            value = var.value if isinstance(var, keras.Variable) else var
            base = var.name.replace("/", "_").replace(":", "_")
            with strategy.extended.colocate_vars_with(value):
                init = self.inner.init_slots(value)  # the variable: masks and routes read its name
                self._slots.append(self._variables_for(init, base))
        self._state = self._variables_for(self.inner.init_state(), "coreopt_state")

    def _variables_for(self, tree, base):
        """Keras optimizer variables holding the values of a nested structure."""
        if isinstance(tree, dict):
            return {k: self._variables_for(v, f"{k}_{base}" if k != "inner" else base)
                    for k, v in tree.items()}
        return self.add_variable(shape=tuple(tree.shape), dtype=tree.dtype, name=base,
                                 initializer=_Value(tree))

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if _loss_scales(self.inner) and not getattr(self, "_loss_scaled", False):
            raise ValueError(
                f"KerasOptimizer({self.inner.chain_name!r}) was asked to step, but its "
                "`scale_loss` never scaled a loss, so the chain's LossScale would divide "
                "unscaled gradients. Under the mixed_float16 policy Keras wraps the optimizer in "
                "its own LossScaleOptimizer: compile with `auto_scale_loss=False`, or use a "
                "chain without LossScale. In a custom loop, differentiate "
                "`optimizer.scale_loss(loss)`.")
        slots = [self._slots[self._get_variable_index(v)] for v in trainable_variables]
        variables = [v.value if isinstance(v, keras.Variable) else v
                     for v in trainable_variables]
        pairs = self._all_reduce_sum_gradients(list(zip(grads, variables)))
        tf.__internal__.distribute.interim.maybe_merge_call(
            self._update, self._distribution_strategy, [g for g, _ in pairs], variables,
            slots, learning_rate,
        )

    def _update(self, strategy, grads, variables, slots, learning_rate):
        lr = tf.cast(tf.convert_to_tensor(learning_rate), tf.float64)
        slots = tf.nest.map_structure(_value_of, slots)
        state = tf.nest.map_structure(_value_of, self._state)
        update_local_copies(strategy, self._coreopt_step, grads, variables, slots, state,
                            {"learning_rate": lr})

    def scale_loss(self, loss):
        """`loss` times the loss scale of every `LossScale` level of the chain.

        Keras's train step calls this before taking the gradient; the chain's
        `LossScale` then divides the gradients by the same scale, skips a
        non-finite step and adapts the scale. The scale is the level's "scale"
        in this adapter's own state variables (nested as `inner.init_state()`),
        the one the adapter's steps update; before `build`, the initial scale.
        A chain without `LossScale` leaves the loss as it is (but for Keras's
        own `loss_scale_factor`, applied first).
        """
        from coreopt.wrappers.loss_scale import LossScale

        self._loss_scaled = True  # read (at trace time) by the step's check
        loss = tf.convert_to_tensor(super().scale_loss(loss))
        level, state = self.inner, getattr(self, "_state", None)
        while isinstance(level, Optimizer):
            if isinstance(level, LossScale):
                scale = level.init_state()["scale"] if state is None else _value_of(state["scale"])
                wide = tf.float64 if loss.dtype == tf.float64 else tf.float32
                loss = tf.cast(loss, wide) * tf.cast(scale, wide)
            level = getattr(level, "inner", None) if getattr(level, "wraps", False) else None
            state = None if state is None or level is None else state["inner"]
        return loss

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError("KerasOptimizer steps all variables at once.")

    def get_config(self):
        return {**super().get_config(), "optimizer": self.inner.get_config()}

    def __repr__(self):
        return f"KerasOptimizer({self.inner!r})"


def _value_of(variable):
    return variable.value if isinstance(variable, keras.Variable) else variable


class _Held:
    def __init__(self, optimizer):
        self.optimizer = optimizer


class _Value:
    """A Keras initializer that returns a given tensor (a slot's initial value)."""

    def __init__(self, value):
        self.value = value

    def __call__(self, shape, dtype=None):
        return tf.cast(self.value, dtype) if dtype is not None else self.value


def _keras_learning_rate(optimizer):
    while getattr(optimizer, "wraps", False):
        optimizer = optimizer.inner  # a wrapper's rate is its inner optimizer's
    lr = optimizer._hyper["learning_rate"]
    if isinstance(lr, tf.Variable):
        return float(lr.numpy())
    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        return lr
    from coreopt.schedules import Schedule

    if isinstance(lr, Schedule):
        return KerasSchedule(lr)
    raise TypeError(
        "KerasOptimizer: a learning rate that is a plain callable of the step cannot be "
        "used, as Keras calls it without the step; use a coreopt.schedules schedule or a "
        "keras.optimizers.schedules.LearningRateSchedule."
    )


@keras.saving.register_keras_serializable(package="coreopt")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A `coreopt.schedules` schedule as Keras's learning-rate form (saved in `.keras` files).

    Keras calls it with its `iterations`; the value is the schedule's, in float32.
    """

    def __init__(self, schedule):
        from coreopt import schedules

        self.schedule = schedules.from_config(schedule) if isinstance(schedule, dict) else schedule

    def __call__(self, step):
        return tf.cast(self.schedule(step), tf.float32)

    def get_config(self):
        from coreopt import schedules

        return {"schedule": schedules.to_config(self.schedule)}

    def __repr__(self):
        return f"KerasSchedule({self.schedule!r})"
