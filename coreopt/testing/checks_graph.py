"""The checks of compiled use: inside `tf.function`, under XLA, and retracing.

A step is taken the way a user writes it: `tf.function(lambda grads:
opt.apply_gradients(grads, vars))` called once per step with the gradients
(`minimize(loss_fn, vars)` for optimizers that need the loss), after
`opt.build(vars)` when the object has a `build` method.
"""

from __future__ import annotations

import numbers

import tensorflow as tf

from coreopt.testing.card import failed, not_applicable, passed
from coreopt.testing.subject import (
    Field,
    describe_error,
    make_variables,
    max_difference,
    prepare,
    scale_of,
    values,
)

TOLERANCE = 1e-5  # relative to the values' scale: float32 arithmetic in another order


def _compiled_run(s, jit_compile, box):
    """(values, traces) after `steps` steps of a fresh copy inside a tf.function."""
    opt, variables = s.fresh(), make_variables()
    field = Field(variables)
    prepare(opt, variables)
    step, box["fn"] = s.traced(opt, field, variables, jit_compile)
    for t in range(s.steps):
        step(t)
    return values(variables), box["fn"].experimental_get_tracing_count()


def _against_eager(s, jit_compile: bool, label: str):
    try:
        eager = s.reference()
    except Exception as error:
        return failed(f"stepping it eagerly raised {describe_error(error)}, so {label} has "
                      "nothing to match.", error=describe_error(error))
    box = {}
    try:
        got, traces = (s.memo("traced", lambda: _compiled_run(s, False, box))
                       if not jit_compile else _compiled_run(s, True, box))
    except Exception as error:
        traces = box["fn"].experimental_get_tracing_count() if "fn" in box else 0
        return failed(f"inside {label} it raised {describe_error(error)}.",
                      error=describe_error(error), traces=traces)
    diff, tol = max_difference(eager, got), TOLERANCE * scale_of(eager)
    evidence = {"max_difference": diff, "tolerance": tol, "steps": s.steps,
                "traces": traces}
    if diff <= tol:
        return passed(f"inside {label} it gives the values of eager use (max difference "
                      f"{diff:.3g} after {s.steps} steps).", **evidence)
    return failed(f"inside {label} it ends {diff:.3g} away from the same steps taken eagerly "
                  f"(tolerance {tol:.3g}, {s.steps} steps); a common cause: state kept in "
                  "Python attributes is read once, when the step is traced.", **evidence)


def tf_function(s):
    """A `tf.function` step gives the eager values (within `TOLERANCE`)."""
    return _against_eager(s, False, "tf.function")


def xla(s):
    """A `tf.function(jit_compile=True)` step gives the eager values (within `TOLERANCE`)."""
    return _against_eager(s, True, "tf.function(jit_compile=True)")


def _rate_setter(opt):
    """(set(value), its value now, how) for opt's learning rate, or (None, None, why not).

    A tf.Variable is assigned. A Python number is replaced by a float32
    tf.Variable, which a traced step reads at every call; where the attribute
    does not keep one (a property holding floats), numbers are set instead.
    """
    missing = object()
    lr = getattr(opt, "learning_rate", missing)
    if lr is missing:
        return None, None, "it has no `learning_rate` attribute to change between steps."
    if isinstance(lr, tf.Variable):
        return lr.assign, float(lr.numpy()), "a tf.Variable"
    if not isinstance(lr, numbers.Real) or isinstance(lr, bool):
        return None, None, (f"its `learning_rate` is a {type(lr).__name__} (a schedule of the "
                            "step?), not a tf.Variable or a number to change between steps.")
    variable = tf.Variable(float(lr), dtype=tf.float32, trainable=False)
    try:
        opt.learning_rate = variable
    except Exception as error:
        return None, None, (f"its `learning_rate` (a Python number) cannot be set: "
                            f"{describe_error(error)}.")
    if getattr(opt, "learning_rate", None) is variable:
        return variable.assign, float(lr), ("a Python number, replaced by a float32 "
                                            "tf.Variable: a number is read only when a step "
                                            "is traced")
    opt.learning_rate = float(lr)
    return (lambda value: setattr(opt, "learning_rate", value)), float(lr), (
        "a Python number; it does not keep a tf.Variable, so numbers were set")


def _rate(base: float, t: int) -> float:
    return (base or 1e-3) * (1.0 + 0.5 * (t % 3))


def _rate_run(s, changing: bool, traced: bool, box):
    opt, variables = s.fresh(), make_variables()
    field = Field(variables)
    set_rate, base, _ = _rate_setter(opt)
    prepare(opt, variables)
    if traced:
        step, box["fn"] = s.traced(opt, field, variables)
    else:
        def step(t):
            s.step(opt, field, variables, t)
    for t in range(s.steps):
        if changing:
            set_rate(_rate(base, t))
        step(t)
        if traced and t == 0:
            box["first"] = box["fn"].experimental_get_tracing_count()
    return values(variables)


def _retraced(s, traces: int, first: int, evidence):
    """The fail for a step traced more than once (None when once)."""
    if traces == 1:
        return None
    why = (" (it creates variables inside the step, so TensorFlow traces it again without "
           "creating them)") if first > 1 else ""
    return failed(f"a tf.function step traced {first} times on its first call{why}, and "
                  f"{traces - first} more times in the {s.steps - 1} steps after it while the "
                  "learning rate changed; once is enough.", **evidence)


def retrace(s):
    """A `tf.function` step traces once while `learning_rate` changes, and the changes count."""
    set_rate, _, how = _rate_setter(s.fresh())
    if set_rate is None:
        return not_applicable(how)
    box = {}
    try:
        changing = _rate_run(s, True, True, box)
        constant = (s.memo("traced", lambda: _compiled_run(s, False, {}))[0]
                    if how == "a tf.Variable" else _rate_run(s, False, True, {}))
    except Exception as error:
        traces = box["fn"].experimental_get_tracing_count() if "fn" in box else 0
        return failed(f"its tf.function step raised {describe_error(error)} (after {traces} "
                      "traces), so the learning rate could not be changed between steps.",
                      error=describe_error(error), traces=traces, learning_rate=how)
    traces = box["fn"].experimental_get_tracing_count()
    effect = max_difference(changing, constant)
    evidence = {"traces": traces, "traces_on_the_first_call": box["first"], "steps": s.steps,
                "learning_rate": how, "effect_of_the_changes": effect}
    retraced = _retraced(s, traces, box["first"], evidence)
    if retraced is not None:
        return retraced
    if effect == 0:
        eager_effect = max_difference(_rate_run(s, True, False, {}), s.reference())
        evidence["eager_effect_of_the_changes"] = eager_effect
        if eager_effect != 0:
            return failed("a tf.function step traced once, but ignores the new learning rates: "
                          "it ends where the constant rate ends, while eager steps do not "
                          f"(they move {eager_effect:.3g}).", **evidence)
        return passed(f"a tf.function step traced once in {s.steps} steps; its learning rate "
                      "has no effect on the steps, eagerly either.", **evidence)
    return passed(f"a tf.function step traced once in {s.steps} steps while the learning rate "
                  f"changed, and the new rates took effect (learning_rate: {how}).", **evidence)
