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
               measurement (it passes), to read as a ratio on one machine.
               Without a reference it is timed against the closest
               registered optimizer (`closest_registered`): a chain's
               innermost optimizer, else the one the class is named after
               (`Adam`, `GradientDescent`, `KerasFormAdam` -> adam), else gd
"""

from __future__ import annotations

import difflib
import re
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
    from coreopt.testing.references import side

    if s.reference_spec is not None:
        other, why = side(s.reference_spec), ""
    else:
        name, why = closest_registered(s.make())
        if name is None:
            seconds = _median_step(s.make, _apply)
            return passed(f"One eager step takes {seconds * 1e3:.3g} ms on two (3, 2) float32 "
                          f"variables (median of {TIMED_STEPS}); {why}.",
                          seconds_per_step=seconds)
        other = side(name)
    mine, theirs = _median_step(s.make, _apply), _median_step(other.make, other.step)
    ratio = mine / theirs
    return passed(f"One eager step takes {mine * 1e3:.3g} ms, {ratio:.3g}x {other.name}'s "
                  f"{theirs * 1e3:.3g} ms{why} on the same two (3, 2) float32 variables (median "
                  f"of {TIMED_STEPS}; a ratio on this machine, not a verdict).",
                  seconds_per_step=mine, reference_seconds_per_step=theirs, ratio=ratio,
                  reference=other.name)


def closest_registered(sample) -> tuple[str | None, str]:
    """(the registered name to time `sample` against, why); (None, why) for a registered
    optimizer itself. A coreopt chain: its innermost optimizer (the wrappers' cost); another
    object: the registered optimizer its class is named after (the class's name, or its
    snake_case words from the last, `KerasFormAdam` -> adam); else gd, the plainest step."""
    import coreopt

    if isinstance(sample, coreopt.Optimizer):
        parts = sample.chain_name.split(":")
        if len(parts) == 1:
            return None, f"{parts[0]} is a registered optimizer, so there is no closer one"
        return parts[-1], " (the chain's innermost optimizer: the wrappers' cost)"
    cls = type(sample).__name__
    classes = {coreopt.entry(n).cls.__name__.lower(): n for n in coreopt.names()}
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls).lower().split("_")
    candidates = [cls.lower()] + ["_".join(words[i:]) for i in range(len(words))]
    for text in candidates:
        found = classes.get(text) or _registered(text)
        if found:
            return found, f" (the closest registered optimizer, by the class name {cls!r})"
    close = difflib.get_close_matches(cls.lower(), list(classes), n=1, cutoff=0.8)
    if close:
        return classes[close[0]], f" (the closest registered name to the class {cls!r})"
    return "gd", f" (no registered optimizer is named like {cls!r}: gd, the plainest step)"


def _registered(text: str) -> str | None:
    import coreopt

    try:
        entry = coreopt.entry(text)
    except ValueError:
        return None
    return None if entry.wrapper else entry.name


def _apply(opt, grads, variables):
    opt.apply_gradients(grads, variables)


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
