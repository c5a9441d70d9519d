"""ApplyIfFinite: skip (and count) or refuse steps whose gradients hold a NaN or an Inf.

Math, with f = "every element of every gradient is finite", c the state
"consecutive" and K = `max_consecutive_errors`:

    c <- 0 if f else c + 1
    apply  = f  or  (K > 0 and c > K)         (policy "skip")
    apply  = f                                (policy "raise")
    apply:    the inner step on the gradients, unchanged
    skipped:  nothing changes: parameters, every slot at every depth, the inner's
              `iterations`; only this wrapper's counters move

and the state "nonfinite" counts the calls with f false, "skipped" the calls
skipped; this wrapper's own `iterations` counts every call.

Where "raise" raises:
    * eager `apply_gradients`: before anything changes (counters included), a
      `ValueError` naming the variables whose gradient is not finite;
    * inside a user's `tf.function` (no XLA): a `tf.debugging.Assert` fails the
      call with `tf.errors.InvalidArgumentError` naming them; the step itself
      is skipped and counted, so no parameter or slot changed;
    * under XLA (`tf.function(jit_compile=True)`, or `minimize`, compiled with
      XLA by default) asserts do not run (XLA drops them): the step is skipped
      and counted, nothing else changes; read `nonfinite_count` to see it.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = coreopt.ApplyIfFinite(coreopt.Adam(0.1))
    >>> opt.apply_gradients([tf.constant([1.0, float("nan")])], [x])   # skipped
    >>> x.numpy().tolist(), int(opt.inner.iterations), int(opt.skipped_count)
    ([1.0, 1.0], 0, 1)
    >>> opt.apply_gradients([tf.constant([1.0, 1.0])], [x])
    >>> [round(v, 6) for v in x.numpy().tolist()], int(opt.inner.iterations)
    ([0.9, 0.9], 1)
    >>> strict = coreopt.ApplyIfFinite(coreopt.Adam(0.1), policy="raise")
    >>> try:
    ...     strict.apply_gradients([tf.constant([float("inf"), 0.0])], [x])
    ... except ValueError as error:
    ...     print(str(error)[-49:])
    gradient for ['Variable:0']; nothing was changed.

References:
    optax's `apply_if_finite(inner, max_consecutive_errors)`
    (optax/transforms/_conditionality.py; `ApplyIfFiniteState` with
    `notfinite_count`, `last_finite`, `total_notfinite`).

Notes:
    optax-exact for "skip": the test is on the gradients as received, the
    consecutive count is not reset by a step applied after giving up (only by
    a finite one), and the total counts every non-finite call, applied or not.
    optax's K is required; here K = 0 (the default) means never give up, and
    optax's K = 0 (apply every step) is this wrapper's absence. optax keeps
    `last_finite`, which is `consecutive == 0` here. Keras and torch.optim
    have no such wrapper (Keras's `LossScaleOptimizer` and torch's
    `GradScaler` skip non-finite steps only while loss scaling: `LossScale`).
    Without this wrapper every coreopt optimizer applies a non-finite gradient
    as Keras does and warns once in eager use (`coreopt.core.nonfinite`).
    A skip is a conditional in the compiled step (`coreopt.core.ops.select`),
    the same program eager, in a `tf.function` and under XLA; with
    `jit_compile=False` the steps after a skip are bit for bit those of the
    inner optimizer never given the bad gradient, with XLA within an ulp or so
    (XLA fuses the step inside a conditional another way than alone).
    With `minimize`, the gradient checked is the closure's at x (SAM's second
    gradient, at the perturbed point, is not); "raise" there skips and counts.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import nonfinite, ops
from coreopt.core.registry import register
from coreopt.core.spec import Spec, option
from coreopt.wrappers.base import Wrapper

__all__ = ["ApplyIfFinite"]

COUNTERS = ("consecutive", "nonfinite", "skipped")


@register("apply_if_finite", description="Skips (and counts) or refuses non-finite steps",
          aliases=("if_finite", "skip_nonfinite"))
class ApplyIfFinite(Wrapper):
    """Skips, and counts, every step whose gradients hold a NaN or an Inf; or raises.

    Args:
        inner: the optimizer to step.
        policy: "skip" (the default; optax's `apply_if_finite`) or "raise".
        max_consecutive_errors: K >= 0; with "skip", after K non-finite calls
            in a row the next ones are applied anyway (optax); 0: never.
    """

    spec = Spec(
        option("policy", "skip", choices=("skip", "raise"),
               doc="what a non-finite step does: skipped and counted, or refused"),
        option("max_consecutive_errors", 0, interval="[0, inf)",
               doc="skip: non-finite calls in a row skipped before applying; 0: never"),
    )

    def init_state_own(self) -> dict:
        return {k: tf.constant(0, tf.int64) for k in COUNTERS}

    @property
    def nonfinite_count(self) -> tf.Variable:
        """Calls whose gradients were not finite, applied or not (optax's `total_notfinite`)."""
        return self._state_vars["nonfinite"]

    @property
    def skipped_count(self) -> tf.Variable:
        """Calls skipped."""
        return self._state_vars["skipped"]

    @property
    def consecutive_count(self) -> tf.Variable:
        """Non-finite calls in a row, up to the last one (optax's `notfinite_count`)."""
        return self._state_vars["consecutive"]

    def _limit(self) -> int:
        """K, or 0 when every non-finite call is skipped."""
        return self._options["max_consecutive_errors"] if self._options["policy"] == "skip" else 0

    def skipping(self, state, grads) -> tf.Tensor:
        """Whether this call is skipped: a gradient is not finite and not given up on."""
        finite, limit = nonfinite.all_finite(grads), self._limit()
        return ~finite & (state["consecutive"] < limit) if limit else ~finite

    def update(self, grads, params, slots, state, grad_fn=None):
        finite = nonfinite.all_finite(grads)
        bad = tf.cast(~finite, tf.int64)

        def applied():
            new_params, new_slots, new_state = self.inner_step(grads, params, slots, state,
                                                               grad_fn)
            return new_params, new_slots, {**new_state, "skipped": state["skipped"]}

        def skipped():
            return list(params), slots, {**self.count(state), "skipped": state["skipped"] + 1}

        params, slots, new_state = ops.select(self.skipping(state, grads), skipped, applied)
        return params, slots, {**new_state, "nonfinite": state["nonfinite"] + bad,
                               "consecutive": (state["consecutive"] + 1) * bad}

    def applied_finite(self, grads, variables, state) -> tf.Tensor:
        """False only for a non-finite call applied after giving up (K calls in a row)."""
        if not self._limit():
            return tf.constant(True)
        return state["consecutive"] <= self._limit()

    @property
    def _who(self) -> str:
        return f"{type(self).__name__}(policy='raise')"

    def check_gradients(self, grads, variables):
        """With "raise": eager, a ValueError before any change; in a graph, an assert."""
        if self._options["policy"] != "raise":
            return self.inner.check_gradients(grads, variables)
        if tf.executing_eagerly():
            names = nonfinite.nonfinite_names(grads, variables)
            if names:
                raise ValueError(f"{self._who}: non-finite (NaN or Inf) gradient for {names}; "
                                 "nothing was changed.")
        else:
            each = tf.stack(nonfinite.finite_each(grads))
            names = [v.name for v in variables]  # (XLA drops the assert, and cannot gather
            tf.debugging.Assert(tf.reduce_all(each), [  # strings: the flags are given instead)
                f"{self._who}: non-finite (NaN or Inf) gradient; the step was skipped. "
                f"Finite, per variable of {names}:", each])
        self.inner.check_gradients(grads, variables)
