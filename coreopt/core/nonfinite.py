"""Non-finite gradients in the shell: the default policy, "proceed", warns once.

Every optimizer applies a NaN or Inf gradient as Keras does (the same bits);
what coreopt adds is that it is not silent. In eager use `apply_gradients`
runs a second compiled program, the same step that also returns whether the
gradients it applied were all finite (`Optimizer.applied_finite`), and warns
the first time they were not, once per optimizer, naming the variables. Inside
a `tf.function` (a user's, `model.fit`'s) the plain step runs, unchanged and
no slower: a Python warning cannot come from a running graph (and
`tf.py_function` does not compile with XLA), so none is given there. To skip
or refuse such steps anywhere, eager, graph or XLA, wrap the optimizer in
`coreopt.ApplyIfFinite`.
"""

from __future__ import annotations

import warnings

import tensorflow as tf

WARNED = "_nonfinite_warned"


def finite_each(grads) -> list[tf.Tensor]:
    """Per gradient, a boolean scalar: all of its elements are finite."""
    return [tf.reduce_all(tf.math.is_finite(g)) for g in grads]


def all_finite(grads) -> tf.Tensor:
    """A boolean scalar: every element of every gradient is finite."""
    return tf.reduce_all(tf.stack(finite_each(grads))) if grads else tf.constant(True)


def nonfinite_names(grads, variables) -> list[str]:
    """The names of the variables whose (eager) gradient has a NaN or an Inf."""
    return [v.name for v, ok in zip(variables, finite_each(grads)) if not bool(ok)]


def checked_step(optimizer):
    """The optimizer's step that also returns `applied_finite`, compiled once (eager use)."""
    step = optimizer.__dict__.get("_compiled_checked")
    if step is None:
        jit = optimizer.jit_compile and not optimizer.holds_calls  # held: a cond of two programs
        step = tf.function(lambda *args: _checked(optimizer, *args), jit_compile=jit,
                           autograph=False)
        optimizer.__dict__["_compiled_checked"] = step
    return step


def _checked(optimizer, grads, variables, slots, state):
    if optimizer.holds_calls:
        optimizer._hold_or_step(grads, variables, slots, state)
    else:
        optimizer._step(grads, variables, slots, state)
    return optimizer.applied_finite(grads, variables, state)  # state read after the step


def warned(optimizer) -> bool:
    """True once the optimizer has warned (its eager steps then run the plain program)."""
    return bool(optimizer.__dict__.get(WARNED))


def warn_once(optimizer, finite, grads, variables):
    """Warns, the first time only, when the step just taken applied a non-finite gradient."""
    if optimizer.__dict__.get(WARNED) or bool(finite):
        return
    optimizer.__dict__[WARNED] = True
    names = nonfinite_names(grads, variables)
    warnings.warn(
        f"{type(optimizer).__name__} applied a non-finite (NaN or Inf) gradient for "
        f"{names}: the parameters and slots it reaches are now non-finite for good (as in "
        "Keras). Wrap the optimizer in coreopt.ApplyIfFinite(opt, policy='skip') to skip "
        "such steps, or policy='raise' to refuse them. This warning is given once per "
        "optimizer, in eager use only.", RuntimeWarning, stacklevel=3)
