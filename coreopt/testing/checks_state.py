"""The checks on an optimizer's state: per variable, by variable (not position), saved.

Each takes a `Subject` and returns a `Result` (the runner adds its name).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import tensorflow as tf

from coreopt.testing.card import failed, not_applicable, passed
from coreopt.testing.subject import (
    SHAPE,
    Field,
    describe_error,
    make_variables,
    max_difference,
    prepare,
    values,
)


def per_variable_state(s):
    """Two variables with different gradients end exactly as each does when stepped alone."""
    if s.coupled:
        return not_applicable(f"{s.coupled}: by design a variable's step depends on the "
                              "others, so none ends as it does alone.")
    try:
        together = s.reference()
        alone = {n: s.alone(n) for n in ("a", "b")}
    except Exception as error:
        return failed(f"stepping the variables raised {describe_error(error)}.",
                      error=describe_error(error))
    diffs = {n: max_difference([together[i]], [alone[n]]) for i, n in enumerate(("a", "b"))}
    worst = max(diffs, key=diffs.get)
    other = diffs["b" if worst == "a" else "a"]
    evidence = {"max_difference": diffs[worst], "variable": worst, "steps": s.steps,
                "difference_a": diffs["a"], "difference_b": diffs["b"]}
    if diffs[worst] == 0:
        return passed(f"each of two variables with different gradients ends exactly where it "
                      f"ends when stepped alone ({s.steps} steps).", **evidence)
    return failed(f"variable {worst} ends {diffs[worst]:.3g} away from where it ends when "
                  f"stepped alone (the other: {other:.3g}; {s.steps} steps): its steps depend "
                  "on the other variable, so state is shared between variables.", **evidence)


def _alternate(t, variables):
    """`vars` reversed on even steps, as given on odd ones."""
    return variables[::-1] if t % 2 == 0 else variables


def order_independence(s):
    """Reversing `vars` (and the gradients alike) every other step changes nothing."""
    try:
        fixed = s.reference()
        permuted = s.run(order=_alternate)
    except Exception as error:
        return failed(f"stepping the variables raised {describe_error(error)}.",
                      error=describe_error(error))
    diffs = {n: max_difference([a], [b]) for n, a, b in zip(("a", "b"), fixed, permuted)}
    worst = max(diffs, key=diffs.get)
    evidence = {"max_difference": diffs[worst], "variable": worst, "steps": s.steps}
    if diffs[worst] == 0:
        return passed(f"with `vars` reversed every other step it ends exactly as with a fixed "
                      f"order ({s.steps} steps).", **evidence)
    return failed(f"with `vars` reversed every other step, variable {worst} ends "
                  f"{diffs[worst]:.3g} away from the same steps in a fixed order: its state "
                  "follows list positions, not variables.", **evidence)


def carries_state(s) -> bool:
    """True when the same gradient at the same point moves x differently the second time."""
    opt, variables = s.fresh(), make_variables()
    field = Field(variables)
    prepare(opt, variables)
    start = values(variables)
    s.step(opt, field, variables, 0)
    first = values(variables)
    for var, x in zip(variables, start):
        var.assign(x)
    s.step(opt, field, variables, 0)
    return max_difference(first, values(variables)) != 0


def _saved_for_optimizer(path) -> list[str]:
    """The checkpoint's entries under `opt`: its own variables and its slots."""
    return [k for k, _ in tf.train.list_variables(path)
            if k.startswith("opt/") or "/.OPTIMIZER_SLOT/opt/" in k]


def _save_and_resume(s, directory):
    """(entries saved for the optimizer, max |uninterrupted - resumed|) over `steps` more."""
    k = s.steps
    opt, variables = s.fresh(), make_variables()
    field = Field(variables)
    prepare(opt, variables)
    for t in range(k):
        s.step(opt, field, variables, t)
    path = tf.train.Checkpoint(opt=opt, vars=variables).save(os.path.join(directory, "ckpt"))
    saved = _saved_for_optimizer(path)
    for t in range(k, 2 * k):
        s.step(opt, field, variables, t)
    uninterrupted = values(variables)

    fresh = s.fresh()
    fresh_vars = [tf.Variable(np.zeros(SHAPE), dtype=tf.float32, name=n) for n in ("a", "b")]
    prepare(fresh, fresh_vars)
    tf.train.Checkpoint(opt=fresh, vars=fresh_vars).restore(path)
    fresh_field = Field(fresh_vars)
    for t in range(k, 2 * k):
        s.step(fresh, fresh_field, fresh_vars, t)
    return saved, max_difference(uninterrupted, values(fresh_vars))


def checkpoint(s):
    """`tf.train.Checkpoint(opt=...)` holds its state; a restored fresh copy continues exactly."""
    try:
        stateful = carries_state(s)
    except Exception as error:
        return failed(f"stepping it raised {describe_error(error)}.", error=describe_error(error))
    with tempfile.TemporaryDirectory(prefix="coreopt-check-") as directory:
        try:
            saved, diff = _save_and_resume(s, directory)
        except Exception as error:
            return failed(f"tf.train.Checkpoint(opt=...) could not save and restore it: "
                          f"{describe_error(error)}.", carries_state=stateful,
                          error=describe_error(error))
    evidence = {"tracked_variables": len(saved), "carries_state": stateful,
                "max_difference": diff, "steps_before": s.steps, "steps_after": s.steps}
    if stateful and not saved:
        return failed("it carries state from step to step (the same gradient at the same point "
                      "moves x differently the second time), but tf.train.Checkpoint(opt=...) "
                      f"tracks no variable of it: a restored copy starts over (it ends "
                      f"{diff:.3g} away from the uninterrupted run).", **evidence)
    if diff != 0:
        return failed(f"a fresh copy restored from the checkpoint (variables saved: "
                      f"{len(saved)}) ends {diff:.3g} away from the uninterrupted run {s.steps} "
                      "steps later: some of its state is not tracked.", **evidence)
    if not stateful:
        return passed("it keeps no state between steps (the same gradient at the same point "
                      f"moves x the same way again; variables saved: {len(saved)}), and a "
                      "restored fresh copy continues bit-identically.", **evidence)
    return passed(f"tf.train.Checkpoint(opt=...) saves its state (variables: {len(saved)}), "
                  f"and a restored fresh copy continues bit-identically ({s.steps} steps).",
                  **evidence)
