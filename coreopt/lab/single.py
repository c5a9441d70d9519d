"""The guide's convergence test, one run at a time, for any optimizer.

`convergence_test` keeps the guide's signature, so the guide's own call

    convergence_test(Adam(learning_rate=0.1), loss_fn=loss)

runs unchanged with any object that has the guide's `apply_gradients(grads,
vars)`. It returns a `Run` record instead of a bare path, and adds Inf
detection and tolerance rules (see `coreopt.lab.rules`).
"""

from __future__ import annotations

import inspect
import math
import time

import numpy as np
import tensorflow as tf

from coreopt.core.variables import read
from coreopt.lab import grid, rules
from coreopt.lab.inputs import resolve, start
from coreopt.lab.records import Run


def convergence_test(optimizer, loss_fn, grad_fn=None, init=None, max_iters=2000, *,
                     init_val=None, config=None, rule="exact", tol=None, divergence=None,
                     keep_path=True, dtype="float32", verbose=False) -> Run:
    """Runs `optimizer` on `loss_fn` from `init` until a stopping rule fires.

    Each iteration k evaluates the loss and gradient at x_{k-1}, checks for
    divergence, takes one step with `optimizer.apply_gradients([g], [x])` (an
    optimizer that needs the loss, such as SAM: `optimizer.minimize(loss, [x])`)
    and checks for convergence, as the guide does (see `coreopt.lab.rules`).

    Args:
        optimizer: a registered or chain name ("adam", "ema:adam"), a class,
            or an instance: a coreopt optimizer, or any object with the guide's
            `apply_gradients(grads, vars)`; an instance without `config` is
            stepped as it is (see `coreopt.lab.inputs`).
        loss_fn: a `coreopt.functions` name or function, or a plain callable
            of a tensor (the guide's `loss`).
        grad_fn: the guide's `grad_fn(loss_fn, x)`; default: a GradientTape.
        init: the start; default: the function's own (2.0 for a callable,
            as in the guide). `init_val`, the guide's name, is another name for it.
        max_iters: the budget, an int >= 1.
        config: hyperparameters on top of the optimizer's own (one value each).
        rule, tol, divergence: the stopping rule (`coreopt.lab.rules`).
        keep_path: keep the path and the loss and gradient-norm curves.
        dtype: the parameter's dtype, "float32" (the guide's) or "float64".
        verbose: print the guide's one-line outcome.

    Returns:
        A `coreopt.lab.Run`.

    Example:
        >>> import coreopt
        >>> from coreopt.lab import convergence_test
        >>> run = convergence_test(coreopt.Momentum(learning_rate=1e-2),
        ...                        lambda x: 2 * x**4 + 3 * x**3 + 2)
        >>> run.status, run.iteration
        ('converged', 80)
        >>> convergence_test("momentum", "seed_quartic", init=2.0,
        ...                  config={"learning_rate": 1e-2}).iteration
        80
    """
    init = start(init, init_val, "init_val")
    max_iters = check_budget(max_iters)
    stop = rules.make(rule, tol, divergence)
    optimizer = _optimizer(optimizer, config)
    problem = _Problem(loss_fn, init, dtype, stop)
    x = tf.Variable(problem.init, dtype=problem.dtype, name="x")
    begin = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is a status, not a warning
        trace = _iterate(optimizer, problem, x, stop, max_iters, grad_fn)
    wall = time.perf_counter() - begin
    run = problem.record(optimizer, trace, stop, max_iters, wall, keep_path)
    if verbose:
        print(_guide_line(run))
    return run


def check_budget(max_iters) -> int:
    """`max_iters` as an int, checked to be >= 1."""
    if isinstance(max_iters, bool) or not isinstance(max_iters, (int, np.integer)) \
            or max_iters < 1:
        raise ValueError(f"`max_iters` must be an int >= 1; received {max_iters!r}.")
    return int(max_iters)


def _optimizer(optimizer, config):
    """The object to step: a given instance as it is, else one built from its choice."""
    choice = resolve(optimizer)
    if choice.instance is not None and not config:
        grid.check_moves(choice.label, optimizer_config(choice.instance).get("learning_rate"))
        return choice.instance
    choice.check_rebuildable("`convergence_test` with `config`")
    config = grid.one_value_each(config)
    return grid.build(choice.target, grid.configs(choice, grid.grid_for(choice, config,
                                                                        [choice]))[0])


def _iterate(optimizer, problem, x, stop, max_iters, grad_fn) -> dict:
    """The loop; returns the status, iteration, points and curves."""
    path, losses, norms = [x.numpy()], [], []
    status, iteration = "max_iters", max_iters
    step = _stepper(optimizer, problem, x)
    for k in range(1, max_iters + 1):
        xb, loss, g = _batch(path[-1]), *problem.evaluate(x, grad_fn)
        losses.append(float(loss[0]))
        norms.append(float(np.linalg.norm(g.astype(np.float64))))
        if stop.diverged_before(xb, loss, g)[0]:
            status, iteration = "diverged", k
            break
        if stop.converged_before(loss, g, problem.minimum)[0]:
            status, iteration = "converged", k - 1
            break
        still = _stands_still(optimizer, x)
        step(g)
        path.append(x.numpy())
        new = _batch(path[-1])
        if stop.diverged_after(new)[0] or (not still and stop.converged_after(xb, new)[0]):
            status, iteration = "diverged" if stop.diverged_after(new)[0] else "converged", k
            break
    if len(losses) < len(path):  # the last point has not been evaluated yet
        loss, g = problem.evaluate(x, grad_fn)
        losses.append(float(loss[0]))
        norms.append(float(np.linalg.norm(g.astype(np.float64))))
        if status == "max_iters" and stop.converged_before(loss, g, problem.minimum)[0]:
            status = "converged"
    return {"status": status, "iteration": iteration, "path": path, "loss": losses,
            "grad_norm": norms}


def _stands_still(optimizer, x) -> bool:
    """Whether the next call leaves x as it is by design (`Optimizer.stands_still`); False
    for an optimizer that does not say (the guide's own)."""
    if not callable(getattr(optimizer, "stands_still", None)):
        return False
    optimizer.build([x])
    return bool(optimizer.stands_still(read(optimizer.state_variables())))


def _stepper(optimizer, problem, x):
    """One step from the gradient `g`: `apply_gradients`, or `minimize` on the loss for an
    optimizer that evaluates the gradient itself (SAM), with one closure for the whole run."""
    if getattr(optimizer, "chain_needs_closure", False):
        def closure():  # one object for the run: `minimize` traces it once
            return problem.loss_of(x)

        return lambda g: optimizer.minimize(closure, [x])
    return lambda g: optimizer.apply_gradients([tf.reshape(g, x.shape)], [x])


class _Problem:
    """The function, its start and how to evaluate it, for one run."""

    def __init__(self, loss_fn, init, dtype, stop):
        from coreopt import functions

        self.dtype = tf.as_dtype(dtype)
        if self.dtype not in (tf.float32, tf.float64):
            raise ValueError(f"`dtype` must be float32 or float64; received {dtype!r}.")
        if isinstance(loss_fn, (str, functions.TestFunction)):
            self.function = grid.function(loss_fn)
            self.fn = self.function
            point = self.function.start if init is None else init
            self.init = self.function.check_start(np.reshape(point, [-1]))
            self.minimum = self.function.minimum
            self.name, self.params = self.function.name, dict(self.function.params)
        elif callable(loss_fn):
            self.function, self.fn = None, loss_fn
            self.init = np.asarray(2.0 if init is None else init, np.float64)
            if not np.all(np.isfinite(self.init)):
                raise ValueError(f"`init` must be finite; received {init!r}.")
            self.minimum = None
            self.name, self.params = getattr(loss_fn, "__name__", "custom"), {}
        else:
            raise TypeError(f"`loss_fn` must be a function name or a callable; "
                            f"received {type(loss_fn).__name__}.")
        if stop.needs_minimum() and self.minimum is None:
            raise ValueError(f"rule 'gap' needs a known minimum, and {self.name!r} has none.")
        if self.minimum is None:
            self.minimum = math.nan

    def loss_of(self, x):
        """The loss at `x` as one scalar tensor (what a closure optimizer differentiates)."""
        if self.function is not None:
            return tf.reduce_sum(self.function(tf.reshape(x, [1, -1])))
        return tf.reduce_sum(self.fn(x))

    def evaluate(self, x, grad_fn):
        """Loss [1] and gradient [1, d] at `x`, as NumPy arrays."""
        if grad_fn is not None:
            loss, grad = self.fn(x), grad_fn(self.fn, x)
        elif self.function is not None:  # the batched engine's compiled arithmetic
            loss, grad = compiled_value_and_gradient(self.function)(tf.reshape(x, [1, -1]))
        else:
            with tf.GradientTape() as tape:
                loss = self.fn(x)
            if not tf.is_tensor(loss):
                raise TypeError(
                    f"`loss_fn` returned a {type(loss).__module__}.{type(loss).__name__}, not "
                    "a tensor: its gradient is taken with a tf.GradientTape, so write the loss "
                    "in TensorFlow ops (x is a tf.Variable: 2 * x**4, tf.sin(x), ...), or "
                    "pass `grad_fn(loss_fn, x)` to compute the gradient yourself.")
            grad = tape.gradient(loss, x)
        if np.shape(loss) not in ((), (1,)):
            raise ValueError(f"the loss function must return one scalar; got shape "
                             f"{np.shape(loss)}.")
        if grad is None:
            raise ValueError("the loss does not depend on the parameter (no gradient).")
        return np.reshape(np.asarray(loss), [1]), _batch(tf.convert_to_tensor(grad).numpy())

    def record(self, optimizer, trace, stop, max_iters, wall, keep_path) -> Run:
        path = trace["path"]
        final = np.reshape(path[-1], [-1]).astype(np.float64)
        final_loss = trace["loss"][-1]
        distance = gap = None
        if self.function is not None and len(self.function.minimizers):
            distance = float(np.min(np.linalg.norm(self.function.minimizers - final, axis=-1)))
        if not math.isnan(self.minimum):
            gap = final_loss - self.minimum
        return Run(
            optimizer=optimizer_name(optimizer), config=optimizer_config(optimizer),
            function=self.name, function_params=self.params,
            init=np.reshape(self.init, [-1]).tolist(), max_iters=max_iters,
            rule=stop.kind, tol=stop.tol, divergence=stop.divergence,
            status=trace["status"], iteration=trace["iteration"], steps=len(path) - 1,
            final=final.tolist(), final_loss=final_loss,
            final_grad_norm=trace["grad_norm"][-1], distance=distance, gap=gap,
            wall_time=wall, engine="single", dtype=self.dtype.name,
            path=[np.reshape(p, [-1]).tolist() for p in path] if keep_path else None,
            loss=trace["loss"] if keep_path else None,
            grad_norm=trace["grad_norm"] if keep_path else None,
        )


_COMPILED: dict = {}


def compiled_value_and_gradient(function):
    """`function.value_and_gradient` compiled by XLA, as the batched engine runs it."""
    if id(function) not in _COMPILED:
        _COMPILED[id(function)] = (function, tf.function(function.value_and_gradient,
                                                         jit_compile=True, autograph=False))
    return _COMPILED[id(function)][1]


def optimizer_name(optimizer) -> str:
    return getattr(optimizer, "chain_name", None) or type(optimizer).__name__


def optimizer_config(optimizer) -> dict:
    """The hyperparameters as plain values: `get_config()`, or the guide-style attributes."""
    if hasattr(optimizer, "flat_config"):
        config = optimizer.flat_config()
    else:
        names = [n for n in inspect.signature(type(optimizer).__init__).parameters
                 if n != "self"]
        config = {n: getattr(optimizer, n) for n in names if hasattr(optimizer, n)}
    return {k: v if isinstance(v, (bool, int, float, str)) or v is None else repr(v)
            for k, v in config.items()}


def _batch(v: np.ndarray) -> np.ndarray:
    return np.reshape(v, [1, -1])


def _guide_line(run: Run) -> str:
    if run.status == "diverged":
        return f"Gradient exploded at iteration {run.iteration}"
    if run.status == "converged":
        return f"Converged in {run.iteration} iterations"
    return f"Exceeded maximum of {run.max_iters} iterations. Test terminated."
