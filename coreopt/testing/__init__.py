"""`coreopt.testing.check`: a report card for anybody's optimizer.

`check(x)` takes a registered name or chain ("adam", "ema:adam"), a coreopt
optimizer, or a class or zero-argument factory of guide-style objects with
`apply_gradients(grads, vars)`, and runs each check on fresh copies, in a
worker thread with a time limit. Each check gives pass, fail or n/a, one
plain sentence, and its numbers:

    per_variable_state   two variables end exactly as each does alone
    order_independence   `vars` reversed every other step changes nothing
    tf_function, xla     a tf.function step (and jit_compile=True) matches eager use
    retrace              one trace while `learning_rate` changes, and the changes count
    checkpoint           tf.train.Checkpoint(opt=...) holds the state; resume is exact
    none_gradient        a None gradient is skipped or refused, never half-applied
    indexed_slices       a tf.IndexedSlices gradient equals the dense one
    dtypes               float16/bfloat16/float32/float64 stay finite, move, keep dtype
    nonfinite_gradient   one NaN/Inf gradient: the policy; fails if it silently poisons
    mirrored             MirroredStrategy on two logical CPUs matches one device
    reference            with `reference=`: `verify` against it matches (else why not)
    step_time            with `reference=`: one eager step's time against the reference's

`assert_conforms(x)` raises `AssertionError` with the failing sentences; the
`Card` saves to JSON and shows as a table, Markdown or HTML. `coreopt check
MODULE:NAME` is the command line's form.

`verify(candidate, reference)` runs both on the same problem and gradients
and returns a `Diff` (the relative error per step, where it first exceeds the
tolerance, and which convention option explains it); `assert_matches` raises
`AssertionError` with its sentence; `coreopt verify MODULE:NAME --against SPEC`.
`Card`, `Result`, `Diff` and the verdicts load without TensorFlow; `check` and
`verify` import it on first use.

Example:
    >>> import coreopt.testing
    >>> card = coreopt.testing.check("momentum", checks=["per_variable_state"])
    >>> print(card.verdicts(), card.ok)
    {'per_variable_state': 'pass'} True
"""

from coreopt.testing.card import FAIL, NA, PASS, TITLES, Card, Result

_LAZY = {"check": "runner", "assert_conforms": "runner", "CHECKS": "runner",
         "split_cpus": "checks_distribute", "load": "loader",
         "verify": "verification", "assert_matches": "verification", "Diff": "diff"}

__all__ = ["CHECKS", "FAIL", "NA", "PASS", "TITLES", "Card", "Diff", "Result",
           "assert_conforms", "assert_matches", "check", "load", "split_cpus", "verify"]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
