"""`check()` and `assert_conforms()`: every check, each in a worker thread with a time limit.

Warnings a check's runs give (the optimizer's own, e.g. on a NaN gradient or
a bfloat16 variable) are kept in its evidence ("warnings") instead of shown.
A check that runs past `time_limit` is reported as a fail ("took longer
than N s") and the next one starts: Python cannot stop a thread, so the
timed-out one is left running in the background (a daemon thread: it does
not keep the process alive), still stepping its own fresh copy.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import warnings

import tensorflow as tf

from coreopt.testing import (
    checks_distribute,
    checks_graph,
    checks_inputs,
    checks_reference,
    checks_state,
)
from coreopt.testing.card import FAIL, NA, TITLES, Card, Result
from coreopt.testing.subject import Subject, describe_error

CHECKS = {
    "per_variable_state": checks_state.per_variable_state,
    "order_independence": checks_state.order_independence,
    "tf_function": checks_graph.tf_function,
    "xla": checks_graph.xla,
    "retrace": checks_graph.retrace,
    "checkpoint": checks_state.checkpoint,
    "none_gradient": checks_inputs.none_gradient,
    "indexed_slices": checks_inputs.indexed_slices,
    "dtypes": checks_inputs.dtypes,
    "nonfinite_gradient": checks_inputs.nonfinite_gradient,
    "mirrored": checks_distribute.mirrored,
    "reference": checks_reference.reference,
    "step_time": checks_reference.step_time,
}
assert tuple(CHECKS) == tuple(TITLES), "coreopt.testing.card.TITLES lists every check, in order"

DTYPES = ("float16", "bfloat16", "float32", "float64")


def _sentence(text: str) -> str:
    text = text.strip()
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():  # not "tf.function", "float16,"
        text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ".)")) else text + "."


def _settings(steps, dtypes, time_limit, checks) -> list[str]:
    """The checks asked for, after every argument is checked (ValueError, naming it)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"`steps` must be an integer >= 2; received {steps!r}.")
    if not time_limit or time_limit <= 0:
        raise ValueError(f"`time_limit` must be > 0 seconds; received {time_limit!r}.")
    for name in dtypes:
        try:
            floating = tf.as_dtype(name).is_floating
        except TypeError:
            floating = False
        if not floating:
            raise ValueError(f"`dtypes` holds {name!r}, which is not a float dtype; accepted: "
                             f"{', '.join(DTYPES)}.")
    names = list(CHECKS) if checks is None else [checks] if isinstance(checks, str) else checks
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; the checks are {', '.join(CHECKS)}.")
    return list(names)


def run_one(name: str, subject: Subject, time_limit: float) -> Result:
    """One check in a worker thread; a fail when it raises or runs past `time_limit` s."""
    if subject.make is None:
        return Result(name, NA, _sentence(subject.why_no_copies))
    box = {}

    def target():
        try:
            with warnings.catch_warnings(record=True) as seen:  # part of the evidence, not noise
                warnings.simplefilter("always")
                box["result"] = CHECKS[name](subject)
            box["warnings"] = list(dict.fromkeys(str(w.message) for w in seen))
        except Exception as error:
            box["result"] = Result(name, FAIL, f"the check stopped on an error: "
                                   f"{describe_error(error)}.", {"error": describe_error(error)})

    thread = threading.Thread(target=target, name=f"coreopt-check-{name}", daemon=True)
    start = time.perf_counter()
    thread.start()
    thread.join(time_limit)
    seconds = round(time.perf_counter() - start, 3)
    if thread.is_alive():
        return Result(name, FAIL, f"Took longer than {time_limit:g} s (left running in the "
                      "background).", {"time_limit": time_limit}, seconds)
    result = box["result"]
    evidence = {**result.evidence, "warnings": box["warnings"]} if box.get("warnings") else \
        result.evidence
    return dataclasses.replace(result, name=name, sentence=_sentence(result.sentence),
                               evidence=evidence, seconds=seconds)


def check(optimizer, *, steps: int = 8, dtypes=DTYPES, time_limit: float = 120.0,
          checks=None, reference=None) -> Card:
    """The report card of an optimizer: each check's pass, fail or n/a, sentence and numbers.

    Args:
        optimizer: a registered name or chain ("adam", "ema:adam"), a coreopt
            optimizer (copies are rebuilt from its config), or a class or
            function of no arguments returning objects with
            `apply_gradients(grads, vars)`. Any other instance cannot be
            copied: its checks are not applicable, and say so.
        steps: steps per run (each check starts fresh copies).
        dtypes: the variable dtypes of the dtype check.
        time_limit: seconds per check; past it the check fails.
        checks: names of the checks to run (default: all, `CHECKS`).
        reference: what the `reference` and `step_time` checks compare with: any
            reference `coreopt.testing.verify` takes ("adam(epsilon_hat=true)",
            "keras:Adam()", an optimizer, a class); None: they are not applicable.

    Returns:
        A `Card`.

    Raises:
        ValueError: bad settings, an unknown name, or a factory that raises.
        TypeError: something that neither is nor makes an optimizer.

    Example:
        >>> import coreopt.testing
        >>> card = coreopt.testing.check("gd", checks=["per_variable_state", "order_independence"])
        >>> card.verdicts()
        {'per_variable_state': 'pass', 'order_independence': 'pass'}
    """
    import coreopt

    names = _settings(steps, tuple(dtypes), time_limit, checks)
    if reference is not None:
        from coreopt.testing.references import side

        side(reference)  # a spec that does not parse, or a missing library: raised now
    subject = Subject.of(optimizer, steps=steps, dtypes=tuple(dtypes), reference=reference)
    results = [run_one(name, subject, time_limit) for name in names]
    settings = {"steps": steps, "dtypes": list(dtypes), "time_limit": time_limit,
                **({"reference": str(reference)} if reference is not None else {})}
    return Card(subject.name, results, settings,
                {"tensorflow": tf.__version__, "coreopt": coreopt.__version__})


def assert_conforms(optimizer, **settings) -> Card:
    """`check(optimizer, **settings)`; raises AssertionError with every failing sentence.

    Example:
        >>> import coreopt.testing
        >>> coreopt.testing.assert_conforms("gd", checks=["order_independence"])
        Card('gd', 0 fail, 1 pass, 0 n/a)
    """
    card = check(optimizer, **settings)
    if not card.ok:
        lines = [f"{r.title}: {r.sentence}" for r in card.failures()]
        raise AssertionError(f"{card.subject} fails {len(lines)} check(s):\n" + "\n".join(lines))
    return card
