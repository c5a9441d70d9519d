"""`verify(candidate, reference)`: the same problem and gradients for both, and a `Diff`.

Each side gets fresh copies (`coreopt.testing.references.side`: a coreopt name
or spec, a coreopt, Keras or torch.optim optimizer, an optax transformation, a
class or factory of guide-style objects) and its own variables:

    scalar ()   vector (5,)   matrix (3, 2)   tensor (2, 3, 2)

in each dtype (float32 and float64 by default), stepped `steps` times in the
gradient field of `coreopt.testing.subject` (each variable its own scale s and
centre c, a cos term, and fixed noise n(t) keyed by its name):

    g(x, t) = s (x - c) + 0.2 cos(3x) + n(t)

or, given `loss_fn` and `variables`, the gradient of the user's loss: each
side steps its own copy of the variables, and the gradient at a copy's values
is taken by loading them into the user's variables (restored afterwards). The
relative error per step and the tolerances are `coreopt.testing.diff`'s.
Everything is checked before any step; the steps run in a worker thread, and
past `time_limit` seconds the diff says where a side was (never a hang).

When the two differ and the reference is a coreopt optimizer, the explainer
(`coreopt.testing.explain`) searches its convention options for the
combination that matches, and otherwise says which quantity parts first.
"""

from __future__ import annotations

import inspect
import threading

import numpy as np
import tensorflow as tf

from coreopt.testing import explain as explainer
from coreopt.testing import references
from coreopt.testing.diff import FLOOR, Diff
from coreopt.testing.subject import describe_error, initial, name_of, noise, prepare, values

SHAPES = {"scalar": (), "vector": (5,), "matrix": (3, 2), "tensor": (2, 3, 2)}
FIELD = {"scalar": (2.0, 0.25), "vector": (1.0, 0.5), "matrix": (3.0, -1.0),
         "tensor": (1.5, 0.75)}  # name -> (s, c)
# float64 and float32 as in tests/parity/loader.py; the half types a few of their ulps.
RTOL = {"float64": 1e-12, "float32": 1e-5, "bfloat16": 5e-2, "float16": 5e-3}
DTYPES = ("float32", "float64")


class Problem:
    """Variables of the built-in problem and their gradient field (`subject.Field`'s form)."""

    def __init__(self, dtype, shapes=None):
        self.shapes = dict(shapes or SHAPES)
        self.variables = [tf.Variable(initial(n, s), dtype=dtype, name=n)
                          for n, s in self.shapes.items()]
        self.noise = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)
                      for v in self.variables]
        self.loss_fn = self._loss

    def __repr__(self):
        return f"Problem({self.variables[0].dtype.name}, {list(self.shapes)})"

    def _loss(self):
        terms = []
        for v, n in zip(self.variables, self.noise):
            s, c = FIELD[name_of(v)]
            x = tf.convert_to_tensor(v)
            terms.append(tf.reduce_sum(s * tf.square(x - c) / 2 + 0.2 / 3 * tf.sin(3 * x) + n * x))
        return tf.add_n(terms)

    def set(self, t: int):
        for v, n in zip(self.variables, self.noise):
            n.assign(tf.cast(noise(name_of(v), v.shape, t), v.dtype))

    def grads(self, values, t: int) -> list:
        """The gradients at `values` (the variables, or tensors in their order), step `t`."""
        out = []
        for v, x in zip(self.variables, values):
            s, c = FIELD[name_of(v)]
            x = tf.convert_to_tensor(x)
            out.append(s * (x - c) + 0.2 * tf.cos(3 * x)
                       + tf.cast(noise(name_of(v), v.shape, t), v.dtype))
        return out


class UserProblem:
    """The user's `loss_fn()` over their `variables`; each side steps its own copy."""

    def __init__(self, loss_fn, originals, start):
        self.loss_fn, self.originals = loss_fn, originals
        self.variables = [tf.Variable(x, dtype=v.dtype, name=name_of(v))
                          for v, x in zip(originals, start)]

    def __repr__(self):
        return f"UserProblem({[name_of(v) for v in self.originals]})"

    def grads(self, values, t: int) -> list:
        """The gradients at `values` (the variables, or tensors in their order)."""
        for original, v in zip(self.originals, values):
            original.assign(v)
        with tf.GradientTape() as tape:
            loss = self.loss_fn()
        grads = tape.gradient(loss, self.originals)
        return [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                for g, v in zip(grads, values)]


class Trace:
    """One side's run: parameters after each step (and at the start), its state, its error."""

    def __init__(self):
        self.params, self.state, self.error = [], [], ""

    def __repr__(self):
        return f"Trace({len(self.params) - 1} steps{', ' + self.error if self.error else ''})"

    @property
    def taken(self) -> int:
        return max(len(self.params) - 1, 0)


def start(side, problem, trace: Trace):
    """A fresh copy of `side`, built on `problem`'s variables; the start recorded in `trace`."""
    opt = side.make()
    prepare(opt, problem.variables)
    trace.params.append(values(problem.variables))
    return opt


def advance(side, opt, problem, t: int, trace: Trace):
    """Step `t` (0-based) of `opt` on `problem`, recorded into `trace`."""
    variables = problem.variables
    if side.needs_closure:
        problem.set(t)
        opt.minimize(problem.loss_fn, variables)
    else:
        side.step(opt, problem.grads(variables, t), variables)
    trace.state.append(explainer.read_state(opt, variables))
    trace.params.append(values(variables))


def relative_error(cand, ref, floor: float = FLOOR) -> float:
    """||cand - ref|| / max(||ref||, floor) over lists of arrays; inf where only one side
    is finite (equal non-finite values count as equal)."""
    diffs, refs = [], []
    for a, b in zip(cand, ref):
        a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        if np.any(~same & ~(np.isfinite(a) & np.isfinite(b))):
            return float("inf")
        diffs.append(np.where(same, 0.0, a - b))
        refs.append(np.where(np.isfinite(b), b, 0.0))
    if not diffs:
        return 0.0
    scale = max(float(np.linalg.norm(np.concatenate(refs))), floor)
    return float(np.linalg.norm(np.concatenate(diffs))) / scale


def worst(cand, ref, names) -> dict:
    """The coordinate where `cand` and `ref` differ most: variable, shape, index, values."""
    best = None
    for name, a, b in zip(names, cand, ref):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        gap = np.abs(a - b)
        gap = np.where(np.isnan(gap) & ~(np.isnan(a) & np.isnan(b)), np.inf, np.nan_to_num(gap))
        i = np.unravel_index(int(np.argmax(gap)), a.shape) if a.ndim else ()
        if best is None or gap[i] > best[0]:
            best = (float(gap[i]), name, a.shape, i, float(a[i]), float(b[i]))
    _, name, shape, index, c, r = best
    return {"variable": name, "shape": list(shape), "index": [int(k) for k in index],
            "candidate": c, "reference": r}


def compare(cand: Trace, ref: Trace, names, rtol: float):
    """(the error curve over the steps both took, the first step past `rtol` or None)."""
    curve, first = [], None
    for t in range(1, min(cand.taken, ref.taken) + 1):
        error = relative_error(cand.params[t], ref.params[t])
        curve.append(error)
        if first is None and not error <= rtol:
            first = {"step": t, "error": error, **worst(cand.params[t], ref.params[t], names)}
    return curve, first


def _settings(steps, dtypes, rtol, time_limit, loss_fn, variables) -> dict:
    """{dtype: tolerance}, every argument checked (ValueError or TypeError, naming it)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"`steps` must be an integer >= 1; received {steps!r}.")
    if not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise ValueError(f"`time_limit` must be > 0 seconds; received {time_limit!r}.")
    if (loss_fn is None) != (variables is None):
        raise ValueError("`loss_fn` and `variables` go together: give both or neither.")
    if loss_fn is not None:
        if not callable(loss_fn) or inspect.signature(loss_fn).parameters:
            raise TypeError("`loss_fn` must be a function of no arguments returning the loss "
                            "of `variables`.")
        variables = [explainer.unwrap(v) for v in variables]
        if not variables or not all(isinstance(v, tf.Variable) and v.dtype.is_floating
                                    for v in variables):
            raise TypeError("`variables` must be a non-empty list of float tf.Variables.")
        dtypes = sorted({v.dtype.name for v in variables})
    dtypes = [dtypes] if isinstance(dtypes, str) else list(dtypes)
    for d in dtypes:
        if d not in RTOL:
            raise ValueError(f"`dtypes` holds {d!r}; accepted: {', '.join(RTOL)}.")
    if not dtypes:
        raise ValueError("`dtypes` is empty; accepted: float32, float64, float16, bfloat16.")
    given = rtol if isinstance(rtol, dict) else {d: rtol for d in dtypes} if rtol else {}
    out = {d: float(given.get(d, RTOL[d])) for d in dtypes}
    if not all(t > 0 for t in out.values()):
        raise ValueError(f"`rtol` must be > 0; received {rtol!r}.")
    return out


def _run_all(cand, ref, problems: dict, steps: int, time_limit: float):
    """{(role, dtype): Trace} of both sides in every dtype, in a worker thread; and
    {dtype: where the time limit stopped it} for the dtypes it stopped ({} when it did not).
    The traces of a stopped run are copies, as they were at the time limit."""
    traces = {(role, d): Trace() for d in problems for role in ("candidate", "reference")}
    progress = {}

    def target():
        for d, make in problems.items():
            _lockstep({role: (side, make(), traces[role, d]) for role, side in
                       (("candidate", cand), ("reference", ref))}, steps, progress, d)
        progress["done"] = True

    thread = threading.Thread(target=target, name="coreopt-verify", daemon=True)
    thread.start()
    thread.join(time_limit)
    if progress.get("done"):
        return traces, {}
    at = dict(progress)
    traces = {k: _copy(t) for k, t in traces.items()}
    later = list(problems)[list(problems).index(at["dtype"]) + 1:]
    stopped = {at["dtype"]: f"the {at['role']} had not finished step {at['step']} in "
                            f"{at['dtype']} after {time_limit:g} s (the time limit; left running "
                            "in the background)"}
    stopped.update({d: f"was not run: the time limit was reached in {at['dtype']}"
                    for d in later})
    return traces, stopped


def _copy(trace: Trace) -> Trace:
    out = Trace()
    out.params, out.state, out.error = list(trace.params), list(trace.state), trace.error
    out.state = out.state[:max(len(out.params) - 1, 0)]
    out.params = out.params[:len(out.state) + 1]
    return out


def _lockstep(sides: dict, steps: int, progress: dict, dtype: str):
    """Both sides step by step, {role: (side, problem, trace)}; an error stops both."""
    opts, step = {}, 0
    try:
        for role, (side, problem, trace) in sides.items():
            progress.update(role=role, dtype=dtype, step=step)
            opts[role] = start(side, problem, trace)
        for step in range(1, steps + 1):
            for role, (side, problem, trace) in sides.items():
                progress.update(role=role, dtype=dtype, step=step)
                advance(side, opts[role], problem, step - 1, trace)
    except Exception as error:
        sides[progress["role"]][2].error = (f"the {progress['role']} raised "
                                            f"{describe_error(error)} at step {step}")


def verify(candidate, reference, *, steps: int = 20, dtypes=DTYPES, rtol=None, loss_fn=None,
           variables=None, explain: bool = True, time_limit: float = 120.0,
           max_runs: int = 64) -> Diff:
    """The candidate and the reference on the same problem, step by step: a `Diff`.

    Args:
        candidate: what is checked: a class or function of no arguments making
            objects with `apply_gradients(grads, vars)`, a coreopt, Keras or
            torch.optim optimizer, an optax transformation, or a spec
            ("adam(epsilon_hat=true)", "keras:Adam(learning_rate=0.01)").
        reference: what it should match, in the same forms.
        steps: steps per run.
        dtypes: the variables' dtypes (not with `variables`: theirs are used).
        rtol: the tolerance of the relative error: a number for every dtype, or
            {dtype: number}; default 1e-12 in float64, 1e-5 in float32.
        loss_fn, variables: the user's problem instead of the built-in one: a
            function of no arguments returning the loss of `variables`.
        explain: when they differ, search the reference's options and say what parts.
        time_limit: seconds for all the steps; past it the diff says where they were.
        max_runs: the most reference runs the explainer's search makes.

    Returns:
        A `Diff` (`.ok`, `.sentence`, `.curves`, `.first`, `.explanation`).

    Raises:
        ValueError, TypeError: bad settings, a spec that does not parse or names an
            unknown optimizer, a side that cannot be built (checked before any step).
        ImportError: a torch or optax reference without the package installed.

    Example:
        >>> import coreopt.testing
        >>> diff = coreopt.testing.verify("adam", "adam(epsilon_hat=true)", steps=3)
        >>> diff.ok, diff.explanation["matches"]
        (False, [{'epsilon_hat': False}])
    """
    tolerances = _settings(steps, dtypes, rtol, time_limit, loss_fn, variables)
    cand = references.side(candidate, "candidate")
    ref = references.side(reference, "reference")
    problems, names, restore = _problems(loss_fn, variables, tolerances, (cand, ref))
    try:
        traces, stopped = _run_all(cand, ref, problems, steps, time_limit)
        settings = {"steps": steps, "dtypes": list(tolerances), "time_limit": time_limit,
                    "problem": "built-in" if loss_fn is None else "loss_fn", "variables": names}
        diff = _diff(cand, ref, traces, stopped, tolerances, names, settings)
        if explain and diff.first and not stopped:
            diff.explanation = explainer.explain(diff, cand, ref, traces, problems, names,
                                                 max_runs=max_runs)
    finally:
        restore()
    return diff


def _problems(loss_fn, variables, tolerances, sides):
    """({dtype: a maker of fresh problems}, the variables' names, a function that gives the
    user's variables back their values)."""
    if loss_fn is None:
        return {d: (lambda d=d: Problem(d)) for d in tolerances}, list(SHAPES), lambda: None
    closure = [s.name for s in sides if s.needs_closure]
    if closure:
        raise TypeError(f"{closure[0]} needs minimize(loss_fn, vars); verify with `loss_fn` "
                        "steps each side's own copy of the variables with apply_gradients.")
    originals = [explainer.unwrap(v) for v in variables]
    saved = [v.numpy() for v in originals]

    def restore():
        for v, value in zip(originals, saved):
            v.assign(value)

    problems = {d: (lambda: UserProblem(loss_fn, originals, saved)) for d in tolerances}
    return problems, [name_of(v) for v in originals], restore


def _diff(cand, ref, traces, stopped, tolerances, names, settings) -> Diff:
    import coreopt

    steps = settings["steps"]
    curves, first, errors = {}, {}, {}
    for d, tol in tolerances.items():
        c, r = traces["candidate", d], traces["reference", d]
        curves[d], found = compare(c, r, names, tol)
        if found:
            first[d] = found
        if c.error or r.error:
            errors[d] = c.error or r.error
        elif d in stopped:
            errors[d] = stopped[d]
    return Diff(cand.name, ref.name, steps, tolerances, curves, first, errors, settings=settings,
                versions={"tensorflow": tf.__version__, "coreopt": coreopt.__version__})


def assert_matches(candidate, reference, **settings) -> Diff:
    """`verify(candidate, reference, **settings)`; AssertionError with its sentence when they
    differ.

    Example:
        >>> import coreopt.testing
        >>> coreopt.testing.assert_matches("gd", "gd(learning_rate=0.001)", steps=2)
        Diff('gd', 'gd(learning_rate=0.001)', ok, steps=2)
    """
    diff = verify(candidate, reference, **settings)
    if not diff.ok:
        raise AssertionError(diff.sentence)
    return diff
