"""The `tf.Module` shell every coreopt optimizer shares.

An optimizer is two things: a pure update function on tensors (in its own file
under `coreopt/optimizers/`) and this shell, which owns the variables. The shell

* creates slot variables in an explicit `build(vars)`, keyed by variable (never
  by list position), so the order of `vars` cannot corrupt state;
* keeps an `int64` step counter, `iterations`;
* holds the learning rate as a float, a `tf.Variable`, or a schedule called on
  the step, so changing it never retraces a `tf.function`;
* runs the update for all variables as one compiled program (XLA by default,
  `jit_compile=False` to opt out), so eager use, `tf.function` and
  `tf.function(jit_compile=True)` run the same arithmetic;
* checks its input and raises before any variable changes.
"""

from __future__ import annotations

import contextlib
import warnings

import tensorflow as tf

from coreopt.core import checks, distributed, ops


class _Positions:
    """Maps a variable's `ref()` to its slot entry; kept out of checkpoints."""

    def __init__(self):
        self.of = {}


class Optimizer(tf.Module):
    """Base class: subclasses give `update_fn`, `init_slots` and hyperparameters.

    A subclass passes its numeric hyperparameters (floats or scalar
    `tf.Variable`s, already checked) and its static options (booleans that
    change the program) to `__init__`, and sets `update_fn`, a pure function

        update_fn(g, x, slots, t, *, learning_rate, **hyperparameters, **options)
            -> (new_x, new_slots)

    on one variable's gradient `g`, value `x` and slot values, with `t` the
    1-based step as float64 and hyperparameters as float64 tensors.

    Example:
        >>> import coreopt, tensorflow as tf
        >>> x = tf.Variable(2.0)
        >>> opt = coreopt.GradientDescent(learning_rate=0.1)
        >>> opt.apply_gradients([tf.constant(1.0)], [x])
        >>> float(x.numpy())
        1.899999976158142
    """

    update_fn = None
    slot_names: tuple[str, ...] = ()
    registry_name: str | None = None

    def __init__(self, learning_rate, hyperparameters=None, options=None, *, name=None,
                 jit_compile=True):
        super().__init__(name=name or type(self).__name__)
        self._learning_rate = _learning_rate(learning_rate)
        self._hyper = dict(hyperparameters or {})
        self._options = dict(options or {})
        self.jit_compile = bool(jit_compile)
        with self.name_scope:
            self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        self._slot_vars = []
        self._positions = _Positions()
        self._compiled = tf.function(self._step, jit_compile=self.jit_compile, autograph=False)

    # ----------------------------------------------------------------- state
    def init_slots(self, x) -> dict:
        """Initial slot values for a variable (or tensor) `x`: zeros by default."""
        return {name: tf.zeros_like(x) for name in self.slot_names}

    def build(self, variables):
        """Creates the slots of every variable in `variables` not built yet."""
        variables = list(variables)
        known = self._positions.of
        if all(isinstance(v, tf.Variable) and v.ref() in known for v in variables):
            return  # every step after the first: nothing to check or create
        _check_variables(variables)
        with tf.init_scope():
            for var in variables:
                if var.ref() in known:
                    continue
                base = var.name.split(":")[0]
                with tf.name_scope(self.name):
                    slots = {
                        key: tf.Variable(value, trainable=False, name=f"{base}/{key}")
                        for key, value in self.init_slots(var).items()
                    }
                known[var.ref()] = len(self._slot_vars)
                self._slot_vars.append(slots)

    @property
    def built(self) -> bool:
        return bool(self._slot_vars)

    def get_slot(self, variable, name: str) -> tf.Variable:
        """The slot `name` (e.g. "m") of `variable`."""
        return self._slots_for(variable)[name]

    def _slots_for(self, variable) -> dict:
        position = self._positions.of.get(variable.ref())
        if position is None:
            raise KeyError(f"variable {variable.name!r} was never built into {self!r}")
        return self._slot_vars[position]

    # ---------------------------------------------------------- learning rate
    @property
    def learning_rate(self):
        """The learning rate's variable, or a schedule's value at this step."""
        if isinstance(self._learning_rate, tf.Variable):
            return self._learning_rate
        return self.current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        if not isinstance(self._learning_rate, tf.Variable):
            raise TypeError(
                "`learning_rate` is a schedule here; build a new optimizer to change it."
            )
        checks.nonnegative("learning_rate", value)
        self._learning_rate.assign(float(value))

    def current_learning_rate(self) -> tf.Tensor:
        """The learning rate for the next step, as a float64 tensor."""
        lr = self._learning_rate
        if callable(lr) and not isinstance(lr, tf.Variable):
            lr = lr(self.iterations)
        return ops.f64(lr)

    # ------------------------------------------------------------------ step
    def hyperparameters(self) -> dict:
        """The numeric hyperparameters as float64 tensors (read at trace time)."""
        return {key: ops.f64(value) for key, value in self._hyper.items()}

    def options(self) -> dict:
        """The static options (booleans that change the program), wrappers' included."""
        return dict(self._options)

    def hyperparameter_names(self) -> tuple[str, ...]:
        """The names of the numeric hyperparameters, wrappers' included."""
        return tuple(self._hyper)

    @contextlib.contextmanager
    def with_hyperparameters(self, values: dict):
        """Within the block, the named numeric hyperparameters read as `values`.

        The values may be tensors (a batch of configurations, as the lab traces
        them); nothing is checked or kept after the block. Names this optimizer
        does not have raise `KeyError`.
        """
        unknown = sorted(set(values) - set(self._hyper))
        if unknown:
            raise KeyError(f"{type(self).__name__} has no hyperparameter {unknown}")
        saved = dict(self._hyper)
        self._hyper.update(values)
        try:
            yield self
        finally:
            self._hyper = saved

    def update(self, grads, params, slots, t, learning_rate):
        """Pure list-level step: new parameter and slot values for every variable."""
        hyper = self.hyperparameters()
        new_params, new_slots = [], []
        for g, x, s in zip(grads, params, slots):
            x_new, s_new = type(self).update_fn(
                g, x, s, t, learning_rate=learning_rate, **hyper, **self._options
            )
            new_params.append(x_new)
            new_slots.append(s_new)
        return new_params, new_slots

    def apply_gradients(self, grads, variables=None):
        """Applies one step: `apply_gradients(grads, vars)` or `(zip(grads, vars))`.

        `None` gradients are skipped with a warning; `tf.IndexedSlices` are
        densified (same result as the dense gradient). Inside `strategy.run`
        the gradients are summed over replicas first (`coreopt.core.distributed`).

        Raises:
            ValueError, TypeError: for mismatched lengths or shapes, variables
                that are not float `tf.Variable`s, or no gradient at all;
                raised before any variable changes.
        """
        grads, variables = _prepare(grads, variables)
        if distributed.in_replica_context():  # inside strategy.run
            distributed.apply_in_replica(self, grads, variables)
            return
        self.build(variables)
        slots = [self._slots_for(v) for v in variables]
        self._compiled(grads, variables, slots)

    def _step(self, grads, variables, slots):
        t = tf.cast(self.iterations + 1, tf.float64)
        params = [tf.convert_to_tensor(v) for v in variables]
        current = [{k: tf.convert_to_tensor(s) for k, s in d.items()} for d in slots]
        new_params, new_slots = self.update(grads, params, current, t,
                                            self.current_learning_rate())
        for var, value in zip(variables, new_params):
            var.assign(value)
        for slot_vars, values in zip(slots, new_slots):
            for key, var in slot_vars.items():
                var.assign(values[key])
        self.iterations.assign_add(1)

    # ------------------------------------------------------------ reporting
    def get_config(self) -> dict:
        """Learning rate, hyperparameters and options, as plain Python values."""
        return {"learning_rate": _plain(self._learning_rate), **self._own_config()}

    def _own_config(self) -> dict:
        return {**{k: _plain(v) for k, v in self._hyper.items()}, **self._options}

    def __repr__(self):
        body = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({body})"


def _plain(value):
    """A hyperparameter as shown to people: a float, or the object itself."""
    if isinstance(value, tf.Variable) and value.shape.rank == 0:
        return float(value.numpy()) if tf.executing_eagerly() else value
    return value


def _learning_rate(value):
    """Checks a learning rate; a float goes into a float64 `tf.Variable`."""
    if isinstance(value, tf.Variable):
        checks.nonnegative("learning_rate", value)
        return value
    if callable(value):
        return value
    checks.nonnegative("learning_rate", value)
    with tf.init_scope():
        return tf.Variable(float(value), dtype=tf.float64, trainable=False, name="learning_rate")


def _check_variables(variables):
    seen = set()
    for i, var in enumerate(variables):
        if not isinstance(var, tf.Variable):
            raise TypeError(
                f"`vars[{i}]` must be a tf.Variable; received {type(var).__name__}."
            )
        if not var.dtype.is_floating:
            raise TypeError(
                f"`vars[{i}]` ({var.name}) must have a float dtype; received {var.dtype.name}."
            )
        if var.ref() in seen:
            raise ValueError(f"`vars[{i}]` ({var.name}) appears more than once.")
        seen.add(var.ref())
    return variables


def _prepare(grads, variables):
    """Pairs, checks and densifies gradients; drops `None` ones with a warning."""
    if variables is None:
        pairs = list(grads)
        grads, variables = [p[0] for p in pairs], [p[1] for p in pairs]
    grads, variables = list(grads), list(variables)
    if len(grads) != len(variables):
        raise ValueError(
            f"`grads` and `vars` must have the same length; received {len(grads)} "
            f"gradients for {len(variables)} variables."
        )
    _check_variables(variables)
    missing = [v.name for g, v in zip(grads, variables) if g is None]
    if missing:
        if len(missing) == len(variables):
            raise ValueError("No gradients provided for any variable.")
        warnings.warn(f"Gradients are None for variables {missing}; skipping them.",
                      stacklevel=3)
    kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
    return [_dense(g, v) for g, v in kept], [v for _, v in kept]


def _dense(grad, var):
    """The gradient as a dense tensor of the variable's dtype, shape checked."""
    grad = tf.convert_to_tensor(grad)  # densifies tf.IndexedSlices too
    if not (grad.dtype.is_floating or grad.dtype.is_integer):
        raise TypeError(f"gradient for {var.name} must be numeric; received {grad.dtype.name}.")
    if not grad.shape.is_compatible_with(var.shape):
        raise ValueError(
            f"gradient for {var.name} has shape {grad.shape}; the variable has shape "
            f"{var.shape}."
        )
    return tf.cast(grad, var.dtype)
