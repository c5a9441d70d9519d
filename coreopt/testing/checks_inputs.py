"""The checks of unusual inputs: `None` and `tf.IndexedSlices` gradients, dtypes, NaN/Inf.

An optional input form (sparse gradients) that raises before anything
changed reads as "not supported" (n/a, with the error); a wrong result, or
an error after something changed, fails. An optimizer that takes the loss
(`minimize` only) is given no gradients, so these checks do not apply to it.
"""

from __future__ import annotations

import warnings

import numpy as np
import tensorflow as tf

from coreopt.testing.card import failed, not_applicable, passed
from coreopt.testing.subject import (
    Field,
    describe_error,
    initial,
    make_variables,
    max_difference,
    prepare,
    scale_of,
    values,
)

CLOSURE = "it takes the loss (`minimize(loss_fn, vars)`), not gradients."
FINITE_STEPS = 3  # after the NaN step, and again after x is reset


def _none_run(s):
    """`steps` steps with a None gradient for "a": (before, after, error, warned)."""
    opt, variables = s.fresh(), make_variables()
    field = Field(variables)
    prepare(opt, variables)
    before, error = values(variables), None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for t in range(s.steps):
                opt.apply_gradients([None, *field.grads(variables[1:], t)], variables)
        except Exception as raised:
            error = raised
    return before, values(variables), error, bool(caught)


def none_gradient(s):
    """A `None` gradient: skipped (its variable kept, the other stepped exactly) or refused."""
    if s.needs_closure:
        return not_applicable(CLOSURE)
    before, after, error, warned = _none_run(s)
    moved = [max_difference([b], [a]) for b, a in zip(before, after)]
    evidence = {"raised": describe_error(error) if error else "", "warned": warned,
                "moved_a": moved[0], "moved_b": moved[1], "steps": s.steps}
    if error is not None:
        if max(moved) == 0:
            return passed(f"a None gradient raises {describe_error(error)}, and no variable "
                          "changed (it refuses them).", policy="error", **evidence)
        return failed(f"a None gradient raises {describe_error(error)} after a variable changed "
                      "(half a step applied).", policy="error", **evidence)
    if moved[0] != 0:
        return failed(f"a None gradient moved its variable by {moved[0]:.3g} in {s.steps} "
                      "steps; it should be skipped or refused.", policy="moved", **evidence)
    evidence["difference_b"] = diff = max_difference([after[1]], [s.alone("b")])
    if diff != 0:
        return failed(f"beside a None gradient, the other variable ends {diff:.3g} away from "
                      f"its steps alone ({s.steps} steps).", policy="skipped", **evidence)
    how = "with a warning" if warned else "without a warning"
    return passed(f"a None gradient is skipped {how}: its variable keeps its value and the "
                  f"other takes exactly its own steps ({s.steps} steps).", policy="skipped",
                  **evidence)


def _sparse_run(s, sparse: bool):
    """(values, error, changed before the error) of 3 steps on a (5, 2) variable, rows 1, 3."""
    rows = np.random.default_rng(5).normal(size=(2, 2))
    dense = np.zeros((5, 2))
    dense[[1, 3]] = rows
    opt = s.fresh()
    var = tf.Variable(initial("e", (5, 2)), dtype=tf.float32, name="e")
    prepare(opt, [var])
    start = values([var])
    for _ in range(3):
        grad = (tf.IndexedSlices(tf.constant(rows, tf.float32), tf.constant([1, 3]),
                                 tf.constant([5, 2])) if sparse else tf.constant(dense, tf.float32))
        try:
            opt.apply_gradients([grad], [var])
        except Exception as error:
            return None, error, max_difference(start, values([var])) != 0
    return values([var]), None, True


def indexed_slices(s):
    """A `tf.IndexedSlices` gradient gives the values of the same dense gradient."""
    if s.needs_closure:
        return not_applicable(CLOSURE)
    sparse, error, changed = _sparse_run(s, True)
    if error is not None and not changed:
        return not_applicable(f"it does not take tf.IndexedSlices gradients: "
                              f"{describe_error(error)} (Keras's Embedding layers give them; "
                              "densify with tf.convert_to_tensor first).",
                              error=describe_error(error))
    if error is not None:
        return failed(f"a tf.IndexedSlices gradient raised {describe_error(error)} after the "
                      "variable changed.", error=describe_error(error))
    dense, error, _ = _sparse_run(s, False)
    if error is not None:
        return failed(f"the dense gradient raised {describe_error(error)}.",
                      error=describe_error(error))
    diff, tol = max_difference(sparse, dense), 1e-6 * scale_of(dense)
    evidence = {"max_difference": diff, "tolerance": tol, "steps": 3}
    if diff <= tol:
        return passed(f"a tf.IndexedSlices gradient gives the values of the dense one (max "
                      f"difference {diff:.3g}, 3 steps).", **evidence)
    return failed(f"a tf.IndexedSlices gradient ends {diff:.3g} away from the same dense gradient "
                  "after 3 steps (rows without a gradient left alone: a lazy update?).",
                  **evidence)


def _rounded_moves(s, dtype) -> bool:
    """Whether float32 steps, each rounded to `dtype` as it is taken, move the variables (no:
    every step is below `dtype`'s resolution at these values, and staying put is right)."""
    opt, variables = s.fresh(), make_variables()
    field = Field(variables)

    def rounded():
        for v in variables:
            v.assign(tf.cast(tf.cast(v, dtype), v.dtype))

    rounded()  # the half-precision run starts from these values
    start = values(variables)
    prepare(opt, variables)
    for t in range(s.steps):
        s.step(opt, field, variables, t)
        rounded()
    return max_difference(start, values(variables)) != 0


def _dtype_run(s, name: str) -> dict:
    """Finite, moved, dtype kept after `steps` steps (float32: the shared reference run)."""
    dtype = tf.as_dtype(name)
    variables = make_variables(dtype=dtype)
    start = values(variables)
    try:
        if dtype == tf.float32:
            end = s.reference()
        else:
            opt, field = s.fresh(), Field(variables)
            prepare(opt, variables)
            for t in range(s.steps):
                s.step(opt, field, variables, t)
            end = values(variables)
        r = {"finite": bool(all(np.all(np.isfinite(x)) for x in end)),
             "moved": max_difference(start, end) != 0,
             "dtype_kept": all(v.dtype == dtype for v in variables)}
        if not r["moved"] and dtype.size < 4:
            r["moved"] = r["below_resolution"] = not _rounded_moves(s, dtype)
    except Exception as error:
        return {"error": describe_error(error)}
    return r


def dtypes(s):
    """Variables of every dtype asked stay finite, move, and keep their dtype; a half-precision
    one may stay put when float32 steps, each rounded to its dtype, do too (evidence says so)."""
    seen = {name: _dtype_run(s, name) for name in s.dtypes}
    problems = []
    for name, r in seen.items():
        if "error" in r:
            problems.append(f"{name} raised {r['error']}")
        else:
            bad = [w for w, k in (("not finite", "finite"), ("did not move", "moved"),
                                  ("changed dtype", "dtype_kept")) if not r[k]]
            problems += [f"{name} variables: {', '.join(bad)}"] if bad else []
    if problems:
        return failed("; ".join(problems) + f" ({s.steps} steps).", **seen)
    still = [n for n, r in seen.items() if r.get("below_resolution")]
    note = (f", but {' and '.join(still)}, which stay put as float32 steps rounded to them "
            "as they are taken do (each step below their resolution at these values)"
            ) if still else ""
    return passed(f"{', '.join(seen)} variables stay finite and keep their dtype over "
                  f"{s.steps} steps, and move{note}.", **seen)


def _poison(s, bad: float) -> dict:
    """What one non-finite gradient element does, then FINITE_STEPS finite steps, then x reset."""
    opt, variables = s.fresh(), make_variables()
    fixed = Field(variables).grads(variables, 0)
    prepare(opt, variables)
    for _ in range(2):
        opt.apply_gradients(fixed, variables)
    before = values(variables)
    poisoned = [tf.tensor_scatter_nd_update(fixed[0], [[0, 0]], tf.constant([bad], tf.float32)),
                *fixed[1:]]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt.apply_gradients(poisoned, variables)
    except Exception as error:
        return {"policy": "error", "error": describe_error(error),
                "changed": max_difference(before, values(variables)) != 0}
    now = values(variables)
    shown = not all(np.all(np.isfinite(x)) for x in now)
    policy = "propagated" if shown else ("skipped" if max_difference(before, now) == 0
                                         else "absorbed")
    report = {"policy": policy, "warned": any("finite" in str(w.message) for w in caught)}
    for key in ("finite_later", "finite_after_reset"):
        try:
            for _ in range(FINITE_STEPS):
                opt.apply_gradients(fixed, variables)
            report[key] = bool(all(np.all(np.isfinite(x)) for x in values(variables)))
        except Exception as error:
            report[key], report[f"{key}_error"] = False, describe_error(error)
        for var, x in zip(variables, before):
            var.assign(x)
    return report


def _kept(r: dict) -> str:
    if r["finite_after_reset"]:
        return "its state keeps none (x reset to its values before that step stays finite)"
    return ("its state keeps it (x reset to its values before that step is non-finite again "
            f"{FINITE_STEPS} finite steps later)")


def _says(kind: str, r: dict) -> str:
    if r["policy"] == "error":
        return f"a {kind} gradient raises {r['error']}"
    if r["policy"] == "propagated":
        return f"a {kind} gradient makes x non-finite at once (the failure shows), and {_kept(r)}"
    step = "its step is skipped" if r["policy"] == "skipped" else "x moves but stays finite"
    step += " with a warning" if r.get("warned") else ""
    if r["finite_later"]:
        return (f"after a {kind} gradient {step}, and x stays finite over {FINITE_STEPS} "
                "finite steps")
    return (f"after a {kind} gradient {step} at first, but x turns non-finite within "
            f"{FINITE_STEPS} finite steps (a held or deferred step), and {_kept(r)}")


def _silent(r: dict) -> bool:
    """x looked fine after the bad step, with no warning, turned non-finite later, and again
    after a reset."""
    return (r["policy"] in ("skipped", "absorbed") and not r["warned"] and not r["finite_later"]
            and not r["finite_after_reset"])


def nonfinite_gradient(s):
    """One NaN (or Inf) gradient element: its policy (error, skipped, propagated) is reported.

    It fails only when it silently poisons the state: x looked finite after that step, no
    warning was given, x is non-finite later, and again once reset to its earlier values; or
    when it raises after changing x. A warning at that step (coreopt's default, once per
    optimizer) counts as seen.
    """
    if s.needs_closure:
        return not_applicable(CLOSURE)
    seen = {kind: _poison(s, value) for kind, value in (("NaN", np.nan), ("Inf", np.inf))}
    for kind, r in seen.items():
        if r["policy"] == "error" and r["changed"]:
            return failed(f"a {kind} gradient raises {r['error']} after x changed (half a step "
                          "applied).", **seen)
        if _silent(r):
            return failed(f"one {kind} gradient leaves x {kind} for good: x looked finite after "
                          f"that step, is non-finite {FINITE_STEPS} finite steps later, and "
                          "again after it is reset to its values before that step.", **seen)
    nan, inf = _says("NaN", seen["NaN"]), _says("Inf", seen["Inf"])
    same = {k: v for k, v in seen["NaN"].items() if "error" not in k} == \
        {k: v for k, v in seen["Inf"].items() if "error" not in k}
    return passed(nan + ("; an Inf gradient does the same." if same else f"; {inf}."), **seen)
