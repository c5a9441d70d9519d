"""The checks against a named reference: agreement (`verify`) and the time of a step.

`check(x, reference="adam(epsilon_hat=true)")` names the reference: any
form `coreopt.testing.verify` takes (a coreopt spec, `keras:`, `torch:`,
`optax:`, an optimizer or a class). Without one both checks are not
applicable and say how to name it.

    reference  `verify(x, reference)` over the card's steps, float32 and
               float64: pass when they match; otherwise the diff's sentence,
               with the explainer's answer (the options that match, or the
               quantity that parts first)
    step_time  the median time of one eager `apply_gradients` on the
               problem's two (3, 2) float32 variables, the candidate's
               against the reference's, after two warm-up steps; a
               measurement (it passes), to read as a ratio on one machine
"""

from __future__ import annotations

import statistics
import time

from coreopt.testing.card import failed, not_applicable, passed
from coreopt.testing.subject import Field, make_variables, prepare

TIMED_STEPS = 20
NO_REFERENCE = ("No reference was named: check(optimizer, reference=\"adam\") (or "
                "`coreopt check ... --reference SPEC`) compares with one.")


def reference(s):
    if s.reference_spec is None:
        return not_applicable(NO_REFERENCE)
    from coreopt.testing.verification import verify

    diff = verify(s.make, s.reference_spec, steps=s.steps)
    evidence = {"reference": diff.reference,
                "max_error": {d: diff.max_error(d) for d in diff.dtypes},
                "explanation": diff.explanation.get("sentence", "")}
    return (passed if diff.ok else failed)(diff.sentence, **evidence)


def step_time(s):
    if s.reference_spec is None:
        return not_applicable(NO_REFERENCE)
    from coreopt.testing.references import side

    other = side(s.reference_spec)
    mine = _median_step(s.make, lambda opt, grads, variables: opt.apply_gradients(
        grads, variables))
    theirs = _median_step(other.make, other.step)
    ratio = mine / theirs
    return passed(f"One eager step takes {mine * 1e3:.3g} ms, {ratio:.3g}x {other.name}'s "
                  f"{theirs * 1e3:.3g} ms on the same two (3, 2) float32 variables (median of "
                  f"{TIMED_STEPS}; a ratio on this machine, not a verdict).",
                  seconds_per_step=mine, reference_seconds_per_step=theirs, ratio=ratio)


def _median_step(make, step) -> float:
    """The median seconds of one step of a fresh copy (two untimed steps first)."""
    opt, variables = make(), make_variables()
    field = Field(variables)
    prepare(opt, variables)
    times = []
    for t in range(TIMED_STEPS + 2):
        grads = field.grads(variables, t)
        start = time.perf_counter()
        if getattr(opt, "chain_needs_closure", False):
            field.set(t)
            opt.minimize(field.loss_fn, variables)
        else:
            step(opt, grads, variables)
        float(variables[0].numpy()[0, 0])  # the step's work is done
        times.append(time.perf_counter() - start)
    return statistics.median(times[2:])
