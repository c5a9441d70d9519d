"""The batched engine: many runs as one compiled XLA loop.

A batch is a group of runs that share an optimizer class and its static
options, a test function, a stopping rule and a budget; they may differ in
every numeric hyperparameter and in the starting point. The whole batch is one
tensor `x` of shape [B, d], stepped inside one `tf.while_loop` compiled by XLA:

    loss, g = f(x), grad f(x)                  # batched: one row per run
    new x, slots, state = optimizer's update   # lifted over runs by tf.vectorized_map
    status, iteration = the stopping rule      # per run; a stopped run stays frozen

`tf.vectorized_map` gives each run the optimizer's one-run semantics, reductions
included (LAMB's norms, Adafactor's RMS), with its own hyperparameters. The loop
ends when every run has stopped or the budget is spent. A stopped run keeps its
point; its slots and state, which nothing reports, are left to run on. Any
wrapper chain runs here: its state (counters included) is per run too.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import tensorflow as tf

from coreopt.core import ops
from coreopt.core.closures import WithLoss
from coreopt.lab.rules import StoppingRule

# DIVERGED_EARLY: diverged before its step (took iteration - 1 steps).
RUNNING, CONVERGED, DIVERGED, DIVERGED_EARLY = 0, 1, 2, 3
CHECK_EVERY = 8  # steps between two checks of "is any run still running?"
STATUS_NAMES = {RUNNING: "max_iters", CONVERGED: "converged", DIVERGED: "diverged",
                DIVERGED_EARLY: "diverged"}


class Program:
    """One compiled loop for a batch of runs (see the module docstring).

    Args:
        optimizer: a coreopt optimizer; its class, options and structure are
            used, its numeric hyperparameters come per call.
        function: a `coreopt.functions.TestFunction`.
        stop: a `StoppingRule`.
        max_iters: the budget, >= 1.
        keep_path: also return every point, loss and gradient norm.
        dtype: the parameters' dtype.
    """

    def __init__(self, optimizer, function, stop: StoppingRule, max_iters: int,
                 keep_path: bool = False, dtype=tf.float32):
        self.optimizer = optimizer
        self.function = function
        self.stop = stop
        self.max_iters = int(max_iters)
        self.keep_path = bool(keep_path)
        self.dtype = tf.as_dtype(dtype)
        # A partial, not the method: TensorFlow counts traces per code object, and
        # would call every new program's first trace a retrace of the last one's.
        self._compiled = tf.function(functools.partial(Program._run, self), jit_compile=True,
                                     autograph=False)

    def __repr__(self):
        return (f"Program({self.optimizer!r} on {self.function!r}, {self.stop!r}, "
                f"max_iters={self.max_iters}, keep_path={self.keep_path})")

    def __call__(self, x0, hyper: dict, minimum=np.nan) -> dict:
        """Runs the batch; returns NumPy arrays and the wall time.

        Args:
            x0: starting points, [B, d].
            hyper: every numeric hyperparameter, `learning_rate` included: a
                float (shared by the batch) or an array [B] (one per run).
            minimum: the function's known minimum (the "gap" rule needs it).
        """
        x0 = tf.convert_to_tensor(np.asarray(x0), self.dtype)
        values = {k: tf.constant(np.asarray(v, np.float64)) for k, v in hyper.items()}
        start = time.perf_counter()
        out = self._compiled(x0, values, tf.constant(minimum, tf.float64))
        out = {k: v.numpy() for k, v in out.items()}
        out["wall_time"] = time.perf_counter() - start
        out["steps"] = out["iteration"] - (out["status"] == DIVERGED_EARLY)
        return out

    # ------------------------------------------------------------------ trace
    def _lift(self, fn, hyper, *per_run_args):
        """`fn(values, *args)` run per run with its own hyperparameter values."""
        shared = {k: v for k, v in hyper.items() if v.shape.rank == 0}
        own = {k: v for k, v in hyper.items() if v.shape.rank != 0}

        def one(args):
            return fn({**shared, **args[0]}, *args[1:])

        with ops.batched_trace():
            return tf.vectorized_map(one, (own, *per_run_args))

    def _update(self, values, g, x, state):
        slots, own = state
        with self.optimizer.with_hyperparameters(values):
            new_x, new_slots, new_own = self.optimizer.update(
                [g], [x], [slots], own, grad_fn=WithLoss(self._grad_fn, self._value(x)))
        return new_x[0], (new_slots[0], new_own)

    def _stands_still(self, values, state):
        with self.optimizer.with_hyperparameters(values):
            return self.optimizer.stands_still(state[1])

    def _grad_fn(self, params):
        """The test function's gradient at one run's point (for SAM's second gradient)."""
        return [self.function.value_and_gradient(params[0][None, :])[1][0]]

    def _value(self, x):
        """The test function's value at one run's point (unused ops are never run)."""
        return self.function.value_and_gradient(x[None, :])[0][0]

    def _init_state(self, values, x):
        with self.optimizer.with_hyperparameters(values):
            return self.optimizer.init_slots(x), self.optimizer.init_state()

    def _run(self, x0, hyper, minimum):
        stop, f = self.stop, self.function
        slots = self._lift(self._init_state, hyper, x0)
        # One int32 per run: 0 while it runs, then 4 * iteration + its status.
        code = tf.zeros(tf.shape(x0)[:1], tf.int32)

        def step(k, x, slots, code, curves):
            loss, g = f.value_and_gradient(x)
            curves = self._record(curves, k - 1, loss=loss, grad_norm=_norm(g))
            running = tf.equal(code, 0) & (k <= self.max_iters)
            div = running & stop.diverged_before(x, loss, g)
            conv0 = running & ~div & stop.converged_before(loss, g, minimum)
            stepping = running & ~div & ~conv0
            still = self._lift(self._stands_still, hyper, slots)  # an unchanged x by design
            new_x, slots = self._lift(self._update, hyper, g, x, slots)
            div2 = stepping & stop.diverged_after(new_x)
            conv = stepping & ~div2 & ~still & stop.converged_after(x, new_x)
            at = 4 * k
            code = tf.where(div, at + DIVERGED_EARLY, tf.where(div2, at + DIVERGED, tf.where(
                conv, at + CONVERGED, tf.where(conv0, at - 4 + CONVERGED, code))))
            if x.shape[-1] == 1:  # see `_stepped`
                stepping = _stepped(code, k, self.max_iters)
            x = tf.where(stepping[:, None], new_x, x)
            curves = self._record(curves, k, path=x)
            return k + 1, x, slots, code, curves

        def body(k, *state):  # CHECK_EVERY steps, then the loop condition once
            return tf.while_loop(lambda j, *_: j < k + CHECK_EVERY, step, (k, *state))

        def cond(k, x, slots, code, *_):
            return (k <= self.max_iters) & tf.reduce_any(tf.equal(code, 0))

        k, x, _, code, curves = tf.while_loop(
            cond, body, (tf.constant(1), x0, slots, code, self._curves(x0)))
        loss, g = f.value_and_gradient(x)
        norm = _norm(g)
        curves = self._record(curves, tf.minimum(k - 1, self.max_iters), loss=loss,
                              grad_norm=norm)
        running = tf.equal(code, 0)
        status = tf.where(running, RUNNING, code % 4)
        status = tf.where(running & stop.converged_before(loss, g, minimum), CONVERGED, status)
        iteration = tf.where(running, self.max_iters, code // 4)
        out = {"status": status, "iteration": iteration, "final": x,
               "final_loss": loss, "final_grad_norm": norm}
        out.update({name: ta.stack()[:self.max_iters + 1] for name, ta in curves.items()})
        return out

    def _curves(self, x0):
        if not self.keep_path:
            return {}
        size = self.max_iters + CHECK_EVERY + 1
        batch = x0.shape[0]
        curves = {
            "path": tf.TensorArray(self.dtype, size, element_shape=x0.shape),
            "loss": tf.TensorArray(self.dtype, size, element_shape=[batch]),
            "grad_norm": tf.TensorArray(self.dtype, size, element_shape=[batch]),
        }
        curves["path"] = curves["path"].write(0, x0)
        return curves

    def _record(self, curves, index, **values):
        if not self.keep_path:
            return curves
        return {**curves, **{k: curves[k].write(index, v) for k, v in values.items()}}


def _stepped(code, k, max_iters):
    """Which runs took step k, read from the codes after step k.

    The same mask as "running, and not stopped before its step", but computed
    from the new codes alone: a run stepped if it still runs, or if step k
    itself stopped it (converged or diverged *at* k: codes 4k+1, 4k+2). Codes
    set before k are smaller than 4k + 1; "stopped before the step" is 4k + 3
    or 4k - 3. Reading only the new codes lets XLA update the codes and then
    the points in place, without copying either loop-state buffer each step.

    Used for one coordinate per run only: with more, XLA's CPU backend then
    fuses the per-run any/all reductions into the codes' loop and emits a
    slower one (2-D Rosenbrock ran 25% slower) than the copies cost.
    """
    at = 4 * k
    return (k <= max_iters) & (tf.equal(code, 0) | tf.equal(code, at + CONVERGED)
                               | tf.equal(code, at + DIVERGED))


def _norm(g):
    return tf.sqrt(tf.reduce_sum(tf.square(g), axis=-1))
