"""The `tf.Module` shell every coreopt optimizer and wrapper shares.

An optimizer is a declared `spec` (its hyperparameters, `coreopt.core.spec`),
a pure update function on tensors (in its own file under
`coreopt/optimizers/`) and this shell, which owns the variables:

* per variable, the slots (`init_slots(x)`), created in an explicit
  `build(vars)` and keyed by variable, never by list position
  (`coreopt.core.slots`, which also serves checkpoints);
* the optimizer's own state (`init_state()`): always its `int64` step counter
  `iterations`, plus whatever a wrapper counts (a loss scale, micro-steps);
* the hyperparameters; a learning rate may be a float (kept in a float64
  `tf.Variable`, so changing it never retraces), a `tf.Variable`, a callable
  of the step or a Keras `LearningRateSchedule`.

The whole step is one pure list-level function,

    update(grads, params, slots, state, grad_fn=None) -> (params, slots, state)

on tensors, compiled once with XLA (`jit_compile=False` opts out), so eager use,
`tf.function`, the batched lab, the Keras adapter and `tf.distribute` all run
the same arithmetic. TensorFlow keeps every XLA executable for the life of
the process, three memory maps per compiled kernel (a fresh Adam's step: ~30;
SOAP's: ~370), and Linux allows 65,530 per process by default
(`vm.max_map_count`): a process that builds tens of thousands of optimizers
should make them with `jit_compile=False`. A wrapper's slots and state nest
its inner optimizer's under the key "inner" (see `coreopt.wrappers`). `grad_fn(params) -> grads`
is the loss closure's gradient, given by `minimize` and the lab, for
optimizers that evaluate the gradient more than once (SAM); it may carry
`.loss`, the loss at the step's own point (`coreopt.core.closures.WithLoss`,
read with `loss_at_step`), for step sizes that need f(x) (Polyak's).

Beside it: `coreopt.core.slots` (the slot variables),
`coreopt.core.variables` (how `grads` and `vars` are paired, unwrapped and
checked) and `coreopt.core.closures` (a loss closure's gradients).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import checks, distributed, nonfinite
from coreopt.core.closures import WithLoss, closure_grad_fn, closure_gradients, same_closure
from coreopt.core.hyperparameters import Override, at_step, shown, stored
from coreopt.core.slots import SlotVariables
from coreopt.core.spec import Spec
from coreopt.core.variables import assign, check_variables, prepare, read, unwrap

SHELL_ARGUMENTS = (("name", None), ("jit_compile", True), ("half_in_float32", True))


class Optimizer(SlotVariables, tf.Module):
    """Base class: a subclass declares `spec`, `slot_names` and a pure `update_fn`.

    `update_fn(g, x, slots, t, *, learning_rate, **hyperparameters, **options)
    -> (new_x, new_slots)` works on one variable's gradient `g`, value `x` and
    slot values, with `t` the 1-based step and every numeric hyperparameter as
    a float64 tensor. The constructor takes the spec's hyperparameters (by
    position in spec order, or by keyword), then `name=`, `jit_compile=` and
    `half_in_float32=` (see `coreopt.core.precision`: float16 and bfloat16
    variables are stepped in float32, with float32 slots, unless it is False).

    Example:
        >>> import coreopt, tensorflow as tf
        >>> x = tf.Variable(2.0)
        >>> opt = coreopt.GradientDescent(learning_rate=0.1)
        >>> opt.apply_gradients([tf.constant(1.0)], [x])
        >>> float(x.numpy())
        1.899999976158142
    """

    spec = Spec()
    update_fn = None
    slot_names: tuple[str, ...] = ()
    registry_name: str | None = None
    needs_closure = False  # True: refuses apply_gradients, takes minimize(loss_fn, vars)
    batchable = True  # the lab may run it batched
    ranks: tuple[int, ...] | None = None  # the variable ranks it steps (Muon: (2,)); None: any
    extra_arguments: tuple[str, ...] = ()  # constructor arguments outside the spec (callables)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            wraps = getattr(cls, "wraps", False)
            cls.__signature__ = cls.spec.signature(
                first=("inner",) if wraps else (),
                last=(("name", None),) if wraps else SHELL_ARGUMENTS)

    def __init__(self, *args, name=None, jit_compile=True, half_in_float32=True, **kwargs):
        values = self.spec.bind(type(self).__name__, args, kwargs)
        self._setup(values, name, jit_compile, half_in_float32)

    def _setup(self, values: dict, name, jit_compile, half_in_float32=True):
        """Stores checked `values`; creates the state variables. Nothing is checked here."""
        super().__init__(name=name or type(self).__name__)
        self.half_in_float32 = bool(half_in_float32)
        self._hyper, self._options = {}, {}
        for hyper in self.spec:
            value = values[hyper.name]
            if hyper.numeric:
                self._hyper[hyper.name] = stored(hyper.name, value) if hyper.schedule else value
            else:
                self._options[hyper.name] = value
        self.jit_compile = bool(jit_compile)
        with tf.init_scope(), self.name_scope:
            self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
            self._state_vars = {k: tf.Variable(v, trainable=False, name=k)
                                for k, v in self.init_state_own().items()}
        self._init_slot_store()
        self._compiled = tf.function(self._step, jit_compile=self.jit_compile, autograph=False)
        if self.holds_calls:  # a graph-level choice between two compiled programs
            self._compiled_step, self._compiled_hold = self._compiled, tf.function(
                self._hold, jit_compile=self.jit_compile, autograph=False)
            self._compiled = tf.function(self._hold_or_step, autograph=False)

    @property
    def chain_needs_closure(self) -> bool:
        """True when this optimizer or one it wraps needs `minimize(loss_fn, vars)`."""
        return type(self).needs_closure

    # ------------------------------------------------------------ pure state
    def init_slots(self, x) -> dict:
        """Initial slot values for a variable (or tensor) `x`: zeros by default."""
        return {name: tf.zeros_like(x) for name in self.slot_names}

    def init_state_own(self) -> dict:
        """This optimizer's own state besides `iterations` (scalars); none by default."""
        return {}

    def init_state(self) -> dict:
        """The whole initial state: {"iterations": 0, own state...}."""
        return {"iterations": tf.constant(0, tf.int64), **self.init_state_own()}

    # -------------------------------------------------------------- variables
    # (building and finding slot variables: `coreopt.core.slots`)
    def compute_value(self, variable) -> tf.Tensor:
        """`variable`'s value in its compute dtype (what the update functions see)."""
        return tf.cast(variable, self.compute_dtype(variable.dtype))

    def step_inputs(self, grads, variables) -> tuple[list, list]:
        """(gradients, parameters) as the update functions take them: the compute dtype."""
        params = [self.compute_value(v) for v in variables]
        return [tf.cast(g, x.dtype) for g, x in zip(grads, params)], params

    def own_slots(self, x) -> dict:
        """The slots this object itself creates for `x` (a wrapper: its own only)."""
        return self.init_slots(x)

    def state_variables(self) -> dict:
        """The state variables, nested as `init_state` nests them."""
        return {"iterations": self.iterations, **self._state_vars}

    # ---------------------------------------------------------- hyperparameters
    @property
    def learning_rate(self):
        """The learning rate's variable, or a schedule's value at this step."""
        lr = self._hyper.get("learning_rate")
        if isinstance(lr, tf.Variable):
            return lr
        return self.current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        lr = self._hyper.get("learning_rate")
        if not isinstance(lr, tf.Variable):
            raise TypeError(
                "`learning_rate` is a schedule here; build a new optimizer to change it.")
        checks.nonnegative("learning_rate", value)
        lr.assign(float(value))

    def learning_rate_at(self, state) -> tf.Tensor:
        """The learning rate for the step after `state`, a float64 tensor."""
        return at_step(self._hyper["learning_rate"], state)

    def current_learning_rate(self) -> tf.Tensor:
        """The learning rate for the next step, as a float64 tensor."""
        return self.learning_rate_at(self.state_variables())

    def hyperparameters(self, state) -> dict:
        """The numeric hyperparameters but the learning rate, float64 tensors, for the step
        after `state` (a schedule is read at `state["iterations"]`)."""
        return {k: at_step(v, state) for k, v in self._hyper.items() if k != "learning_rate"}

    def options(self) -> dict:
        """The static options (values that change the program), by flat name."""
        return dict(self._options)

    def hyperparameter_names(self) -> tuple[str, ...]:
        """The numeric hyperparameters' flat names, `learning_rate` included."""
        return tuple(self._hyper)

    def with_hyperparameters(self, values: dict):
        """Within the block, the named numeric hyperparameters read as `values`.

        The values may be tensors (a batch of configurations, as the lab traces
        them); nothing is checked or kept after the block. Unknown names raise
        `KeyError`.
        """
        return Override(self, values)

    # ------------------------------------------------------------- the step
    def update(self, grads, params, slots, state, grad_fn=None):
        """The pure list-level step: new parameters, slots and state (see module doc)."""
        t = tf.cast(state["iterations"] + 1, tf.float64)
        lr = self.learning_rate_at(state)
        hyper = self.hyperparameters(state)
        new_params, new_slots = [], []
        for g, x, s in zip(grads, params, slots):
            x_new, s_new = type(self).update_fn(g, x, s, t, learning_rate=lr, **hyper,
                                                **self._options)
            new_params.append(x_new)
            new_slots.append(s_new)
        return new_params, new_slots, {**state, "iterations": state["iterations"] + 1}

    def apply_gradients(self, grads, variables=None):
        """Applies one step: `apply_gradients(grads, vars)` or `(zip(grads, vars))`.

        `None` gradients are skipped with a warning; `tf.IndexedSlices` are
        densified (same result as the dense gradient). Inside `strategy.run`
        the gradients are summed over replicas first (`coreopt.core.distributed`).
        A NaN or Inf gradient is applied as Keras applies it (the same bits);
        in eager use the first such step warns, once per optimizer; inside a
        `tf.function` no warning can be given (`coreopt.core.nonfinite`). To
        skip or refuse such steps, wrap the optimizer in `coreopt.ApplyIfFinite`.

        Raises:
            ValueError, TypeError: for mismatched lengths or shapes, variables
                that are not float variables, no gradient at all, or an
                optimizer that needs a loss closure (use `minimize`); raised
                before any variable changes.
        """
        if self.chain_needs_closure:
            raise TypeError(
                f"{type(self).__name__} needs the loss (it evaluates the gradient again or reads "
                "the loss value): call `opt.minimize(loss_fn, vars)` instead of `apply_gradients`.")
        grads, variables = prepare(grads, variables)
        if distributed.in_replica_context():  # inside strategy.run
            distributed.apply_in_replica(self, grads, variables)
            return
        self.build(variables)
        self.check_gradients(grads, variables)
        args = (grads, variables, [self.slot_variables(v) for v in variables],
                self.state_variables())
        if tf.executing_eagerly() and not nonfinite.warned(self):  # the same step, returning
            # whether it applied finite values (once warned, the plain step again)
            nonfinite.warn_once(self, nonfinite.checked_step(self)(*args), grads, variables)
        else:
            self._compiled(*args)

    def check_gradients(self, grads, variables):
        """Called by `apply_gradients` before anything changes; may raise (`ApplyIfFinite`)."""
        return None  # a body AutoGraph can read (a docstring alone makes it warn)

    def applied_finite(self, grads, variables, state) -> tf.Tensor:
        """Whether the step just taken, with `state` after it, applied only finite gradients
        (the default policy warns once, in eager use, when not: `coreopt.core.nonfinite`)."""
        return nonfinite.all_finite(grads)

    def minimize(self, loss_fn, variables):
        """One step on the loss closure `loss_fn()`; returns the loss before the step.

        Computes g = grad loss(x) and `grad_fn(params) -> grads` (the gradient
        of the same closure at other values, for optimizers that evaluate the
        gradient more than once, SAM), then takes the step. Works for every
        optimizer, and is the only way to step one whose `chain_needs_closure`
        is True. Inside `strategy.run` every gradient is summed over replicas
        (`coreopt.core.distributed.minimize_in_replica`).

        Outside `strategy.run` the step (loss, gradients and update) is one
        compiled function, XLA unless the optimizer was made with
        `jit_compile=False`, so eager use, `tf.function` and
        `tf.function(jit_compile=True)` give the same bits.
        It is traced once per `loss_fn` object: in eager mode pass the same
        function every step (a new lambda per call traces and compiles anew;
        let it read its data from variables; a bound method such as
        `model.loss` counts as one), or call `minimize` from a `tf.function`
        (traced once with it).

        Args:
            loss_fn: a callable of no arguments returning the scalar loss;
                it reads the variables.
            variables: the variables to train (tf or Keras variables).

        Returns:
            The loss at the variables' values before the step.

        Raises:
            TypeError: a `loss_fn` that is not callable, or variables that are
                not float variables; raised before any variable changes.

        Example:
            >>> import coreopt, tensorflow as tf
            >>> x = tf.Variable(2.0)
            >>> opt = coreopt.GradientDescent(learning_rate=0.1)
            >>> loss_fn = lambda: x**2
            >>> float(opt.minimize(loss_fn, [x])), round(float(x.numpy()), 6)
            (4.0, 1.6)
        """
        variables = check_variables([unwrap(v) for v in variables])
        if not callable(loss_fn):
            raise TypeError(f"`loss_fn` must be a callable of no arguments returning the "
                            f"loss; received {type(loss_fn).__name__}.")
        if distributed.in_replica_context():  # inside strategy.run
            return distributed.minimize_in_replica(self, loss_fn, variables)
        self.build(variables)
        return self._closure_step(loss_fn, variables)

    def _closure_step(self, loss_fn, variables):
        """`_minimize` compiled (XLA unless `jit_compile=False`), one trace per `loss_fn`."""
        if not hasattr(self, "_compiled_closure"):
            self._compiled_closure = tf.function(self._minimize, jit_compile=self.jit_compile,
                                                 autograph=False)
        self._last_loss_fn = loss_fn = same_closure(getattr(self, "_last_loss_fn", None),
                                                    loss_fn)  # `model.loss` traces once
        order = tuple(getattr(v, "_unique_id", id(v)) for v in variables)  # see `_minimize`
        return self._compiled_closure(loss_fn, variables, [self.slot_variables(v) for v in
                                                           variables], self.state_variables(),
                                      order)

    def _minimize(self, loss_fn, variables, slots=None, state=None, order=None):
        """The closure step, uncompiled: runs inline in the caller's graph (Keras's train_step).

        Compiled, it is traced once per `loss_fn` and order of `variables` (`order`: their
        unique ids): `loss_fn` reads the variables it captured, so a trace reused for the
        same variables in another order would differentiate and step them by position.
        """
        if slots is None:
            slots, state = [self.slot_variables(v) for v in variables], self.state_variables()
        loss, grads = closure_gradients(loss_fn, variables, self.scale_loss)
        grad_fn = WithLoss(closure_grad_fn(loss_fn, variables, self.scale_loss), loss)
        self._step(grads, variables, slots, state, grad_fn)
        return loss

    def scale_loss(self, loss):
        """The loss to differentiate (a loss-scaling wrapper multiplies it)."""
        return loss

    # ---------------------------------------------------------- held calls
    @property
    def holds_calls(self) -> bool:
        """True when some calls change only this object's own slots and state (`hold`)."""
        return False

    def stands_still(self, state) -> tf.Tensor:
        """Whether the call with `state` leaves the parameters as they are by design (SOAP's
        first call, a held accumulation call), so that an unchanged point is no sign of
        convergence (the lab's "exact" and "step" rules skip such calls)."""
        return tf.constant(False)

    def holding(self, state) -> tf.Tensor:
        """Whether the call with `state` is held: a boolean tensor (see `hold`)."""
        raise NotImplementedError

    def hold(self, grads, own_slots, state):
        """A held call: new own slots (no "inner") and state; parameters stay.

        With `holds_calls`, `apply_gradients` runs `hold` or the full step as
        two compiled programs chosen by `holding` in the graph, so a held call
        reads and writes only what it changes. `update` must agree with it.
        """
        raise NotImplementedError

    def _hold_or_step(self, grads, variables, slots, state):
        own = [{k: v for k, v in s.items() if k != "inner"} for s in slots]
        tf.cond(self.holding(read(state)),
                lambda: self._compiled_hold(grads, variables, own, state),
                lambda: self._compiled_step(grads, variables, slots, state))

    def _hold(self, grads, variables, own_slots, state):
        new_own, new_state = self.hold(self.step_inputs(grads, variables)[0],
                                       read(own_slots), read(state))
        assign(own_slots, new_own)
        assign(state, new_state)

    def _step(self, grads, variables, slots, state, grad_fn=None):
        grads, params = self.step_inputs(grads, variables)
        new_params, new_slots, new_state = self.update(grads, params, read(slots), read(state),
                                                       grad_fn)
        assign(variables, new_params)
        assign(slots, new_slots)
        assign(state, new_state)

    # ------------------------------------------------------------ reporting
    def flat_config(self) -> dict:
        """Every hyperparameter by flat name (a wrapper's as "name.key"), plain values."""
        return {k: shown(v) for k, v in {**self._hyper, **self._options}.items()}

    def own_config(self) -> dict:
        """This object's own hyperparameters, in spec order, as plain values."""
        return {h.name: shown((self._hyper | self._options)[h.name]) for h in self.spec}

    def get_config(self) -> dict:
        """JSON-able data that `coreopt.from_config` rebuilds this optimizer from."""
        from coreopt.core.serialize import config_of

        return config_of(self)

    @property
    def chain_name(self) -> str:
        """The registry name, e.g. "adam" (a wrapper chain: "ema:adam")."""
        return self.registry_name or type(self).__name__

    def __repr__(self):
        config = {**self.own_config(), **({} if self.half_in_float32 or getattr(
            self, "wraps", False) else {"half_in_float32": False})}
        body = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{type(self).__name__}({body})"

