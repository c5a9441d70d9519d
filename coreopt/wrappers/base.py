"""`Wrapper`: an optimizer made of an inner optimizer plus a transformation.

A wrapper is an optimizer around another one (which may be a wrapper too). It
declares a `spec` of its own hyperparameters, may own slots (`init_slots_own`,
per variable) and state (`init_state_own`, scalars), and overrides the pure
list-level `update`. Its slots and state nest the inner optimizer's under the
key "inner", as optax nests a transformation's state:

    EMA(Adam()).init_slots(x) == {"average": ..., "inner": {"m": ..., "v": ...}}
    EMA(Adam()).init_state()  == {"iterations": 0, "inner": {"iterations": 0}}

so every object of a chain owns its variables (the inner's `iterations`
counts the steps the inner optimizer took), `tf.train.Checkpoint` saves them
all, and the batched lab, the Keras adapter and `tf.distribute` run any chain
without a class registered per pair. The outermost wrapper acts first.

The contract of a wrapper's `update(grads, params, slots, state, grad_fn)`:
pure (tensors in, tensors out, no variables), returns new (params, slots,
state) of the same structures, increments its own `iterations`, and calls the
inner step through `self.inner_step` (or not, for a skipped step). A
30-line stateful wrapper, the running sum of the gradients it has seen:

    >>> import tensorflow as tf, coreopt
    >>> from coreopt.core import ops
    >>> from coreopt.core.spec import Spec, numeric
    >>> class GradSum(coreopt.Wrapper):
    ...     '''Steps the inner optimizer and keeps a decayed sum of gradients.'''
    ...     spec = Spec(numeric("decay", 1.0, "[0, 1]"))
    ...     def init_slots_own(self, x):
    ...         return {"total": tf.zeros_like(x)}
    ...     def update(self, grads, params, slots, state, grad_fn=None):
    ...         decay = self.hyperparameters_own(state)["decay"]
    ...         totals = [ops.like(decay, g) * s["total"] + g
    ...                   for g, s in zip(grads, slots)]
    ...         params, slots, state = self.inner_step(grads, params, slots, state, grad_fn)
    ...         return params, [{**s, "total": t} for s, t in zip(slots, totals)], state
    >>> x = tf.Variable(1.0)
    >>> opt = GradSum(coreopt.GradientDescent(0.1))
    >>> for _ in range(3):
    ...     opt.apply_gradients([tf.constant(2.0)], [x])
    >>> float(opt.get_slot(x, "total")), int(opt.iterations), int(opt.inner.iterations)
    (6.0, 3, 3)
"""

from __future__ import annotations

from coreopt.core.hyperparameters import at_step
from coreopt.core.optimizer import Optimizer


class Wrapper(Optimizer):
    """Base class of wrappers: `Wrapper(inner, *hyperparameters, name=None)`."""

    wraps = True

    def __init__(self, inner, *args, name=None, **kwargs):
        if not isinstance(inner, Optimizer):
            raise TypeError(
                f"`inner` of {type(self).__name__} must be a coreopt optimizer; received "
                f"{type(inner).__name__}.")
        values = self.spec.bind(type(self).__name__, args, kwargs)
        self.inner = inner
        self._setup(values, name, inner.jit_compile, inner.half_in_float32)

    # --------------------------------------------------------------- state
    def init_slots_own(self, x) -> dict:
        """The wrapper's own slots for a variable `x`; none by default."""
        return {}

    def init_slots(self, x) -> dict:
        return {**self.init_slots_own(x), "inner": self.inner.init_slots(x)}

    def own_slots(self, x) -> dict:
        return self.init_slots_own(x)

    def init_state(self) -> dict:
        return {**super().init_state(), "inner": self.inner.init_state()}

    def build(self, variables):
        variables = list(variables)
        self.inner.build(variables)
        super().build(variables)

    def slot_variables(self, variable) -> dict:
        own = super().slot_variables(variable)
        return {**own, "inner": self.inner.slot_variables(variable)}

    def state_variables(self) -> dict:
        return {**super().state_variables(), "inner": self.inner.state_variables()}

    @property
    def chain_needs_closure(self) -> bool:
        return type(self).needs_closure or self.inner.chain_needs_closure

    def scale_loss(self, loss):
        return self.inner.scale_loss(loss)

    def check_gradients(self, grads, variables):
        self.inner.check_gradients(grads, variables)

    def applied_finite(self, grads, variables, state):
        return self.inner.applied_finite(grads, variables, state["inner"])

    def stands_still(self, state):
        return self.inner.stands_still(state["inner"])

    # ------------------------------------------------------ hyperparameters
    @property
    def prefix(self) -> str:
        """The prefix of this wrapper's flat hyperparameter names ("ema" -> "ema.momentum")."""
        return self.registry_name or type(self).__name__.lower()

    @property
    def learning_rate(self):
        return self.inner.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner.learning_rate = value

    def learning_rate_at(self, state):
        """The learning rate the inner optimizer's next step will use."""
        return self.inner.learning_rate_at(state["inner"])

    def hyperparameters_own(self, state) -> dict:
        """This wrapper's numeric hyperparameters (bare names), float64 tensors for the step
        after `state` (its own: a schedule is read at this wrapper's `iterations`)."""
        return {k: at_step(v, state) for k, v in self._hyper.items()}

    def hyperparameters(self, state) -> dict:
        own = {f"{self.prefix}.{k}": v for k, v in self.hyperparameters_own(state).items()}
        return {**own, **self.inner.hyperparameters(state["inner"])}

    def hyperparameter_names(self) -> tuple[str, ...]:
        return (*(f"{self.prefix}.{k}" for k in self._hyper), *self.inner.hyperparameter_names())

    def options(self) -> dict:
        own = {f"{self.prefix}.{k}": v for k, v in self._options.items()}
        return {**own, **self.inner.options()}

    def flat_config(self) -> dict:
        own = {f"{self.prefix}.{k}": v for k, v in super().flat_config().items()}
        return {**own, **self.inner.flat_config()}

    def with_hyperparameters(self, values: dict):
        mark = f"{self.prefix}."
        own = {k[len(mark):]: v for k, v in values.items() if k.startswith(mark)}
        rest = {k: v for k, v in values.items() if not k.startswith(mark)}
        return _Both(Optimizer.with_hyperparameters(self, own),
                     self.inner.with_hyperparameters(rest))

    # ----------------------------------------------------------------- step
    def update(self, grads, params, slots, state, grad_fn=None):
        return self.inner_step(grads, params, slots, state, grad_fn)

    def inner_step(self, grads, params, slots, state, grad_fn=None):
        """The inner optimizer's step on `grads`; own slots kept, own `iterations` + 1."""
        new_params, inner_slots, inner_state = self.inner.update(
            grads, params, [s["inner"] for s in slots], state["inner"], grad_fn)
        new_slots = [{**s, "inner": i} for s, i in zip(slots, inner_slots)]
        return new_params, new_slots, {**self.count(state), "inner": inner_state}

    @staticmethod
    def count(state) -> dict:
        """`state` with its own `iterations` one higher."""
        return {**state, "iterations": state["iterations"] + 1}

    @property
    def chain_name(self) -> str:
        return f"{self.prefix}:{self.inner.chain_name}"

    def __repr__(self):
        body = "".join(f", {k}={v!r}" for k, v in self.own_config().items())
        return f"{type(self).__name__}({self.inner!r}{body})"


class _Both:
    def __init__(self, *contexts):
        self.contexts = contexts

    def __enter__(self):
        for c in self.contexts:
            c.__enter__()

    def __exit__(self, *exc):
        for c in reversed(self.contexts):
            c.__exit__(*exc)

