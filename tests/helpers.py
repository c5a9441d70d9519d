"""Shared pieces of the tests: variables of mixed shapes and a gradient field."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

SHAPES = [(), (7,), (4, 5), (2, 3, 4)]
# One matrix per slot of SHAPES (square, tall, wide, wide), for an optimizer that steps
# some ranks only (its class's `ranks`, e.g. Muon's (2,)): see `shapes_for`.
MATRICES = [(3, 3), (7, 2), (4, 5), (3, 8)]


def shapes_for(ranks):
    """SHAPES for an optimizer that steps the ranks `ranks` (None: all of them); a shape of
    another rank is replaced by the matrix in its slot of MATRICES. `ranks` may be a
    registered name or an optimizer, whose class's `ranks` is read."""
    if isinstance(ranks, str):
        import coreopt

        ranks = coreopt.entry(ranks).ranks
    elif ranks is not None and not isinstance(ranks, tuple):
        ranks = type(ranks).ranks
    if ranks is None:
        return SHAPES
    return [s if len(s) in ranks else m for s, m in zip(SHAPES, MATRICES)]


def initial_values(seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes]


def make_variables(values, dtype=tf.float32):
    return [tf.Variable(np.asarray(v), dtype=dtype) for v in values]


def gradient(x, step, seed=1):
    """A deterministic gradient field: pulls x to 0.5, bends it, adds per-step noise.

    Works on NumPy arrays and TF tensors alike, so every library sees the
    same gradients of its own current parameters.
    """
    noise = gradient_noise(np.shape(x), step, seed)
    if isinstance(x, np.ndarray):
        return (x - 0.5) + 0.2 * np.cos(3 * x) + noise
    return (x - 0.5) + 0.2 * tf.cos(3 * x) + tf.constant(noise, x.dtype)


def run_steps(opt, variables, steps, start=0):
    """`steps` calls of `opt.apply_gradients` on the gradient field; the final values."""
    for step in range(start, start + steps):
        opt.apply_gradients([gradient(v.value(), step) for v in variables], variables)
    return [v.numpy() for v in variables]


def loss_value(x, step, seed=1):
    """The loss whose gradient is `gradient(x, step)` (summed over elements), NumPy or TF."""
    noise = gradient_noise(np.shape(x), step, seed)
    if isinstance(x, np.ndarray):
        return float(np.sum(0.5 * (x - 0.5) ** 2 + 0.2 / 3 * np.sin(3 * x) + noise * x))
    return tf.reduce_sum(0.5 * tf.square(x - 0.5) + 0.2 / 3 * tf.sin(3 * x)
                         + tf.constant(noise, x.dtype) * x)


def oracle_loss(opt, params, step):
    """The oracle's `loss` keyword: f(x) of `loss_value` for an optimizer stepped by
    `minimize` (its oracle reads the loss, PolyakSGD's), else none."""
    if not getattr(opt, "chain_needs_closure", False):
        return {}
    return {"loss": sum(loss_value(p, step) for p in params)}


class Stepper:
    """One step of `opt` on the gradient field: `step(step.inputs(i))`, `apply_gradients`, or
    `minimize` on `loss_value` for an optimizer that needs the loss (then `inputs` is [])."""

    def __init__(self, opt, variables):
        self.opt, self.variables = opt, list(variables)
        self.closure = bool(getattr(opt, "chain_needs_closure", False))
        self.noise = [tf.Variable(tf.zeros(v.shape, v.dtype)) for v in self.variables]

    def loss_fn(self):
        return tf.add_n([tf.reduce_sum(0.5 * tf.square(v - 0.5) + 0.2 / 3 * tf.sin(3 * v)
                                       + n * v) for v, n in zip(self.variables, self.noise)])

    def inputs(self, i):
        if not self.closure:
            return [gradient(v.value(), i) for v in self.variables]
        for v, n in zip(self.variables, self.noise):
            n.assign(tf.constant(gradient_noise(v.shape, i), v.dtype))
        return []

    def __call__(self, grads):
        if self.closure:
            self.opt.minimize(self.loss_fn, self.variables)
        else:
            self.opt.apply_gradients(grads, self.variables)


def run_closure(opt, variables, steps, start=0):
    """As `run_steps`, through `minimize` on `loss_value` (optimizers that need the loss)."""
    step = Stepper(opt, variables)
    for i in range(start, start + steps):
        step(step.inputs(i))
    return [v.numpy() for v in variables]


def gradient_noise(shape, step, seed=1):
    """The per-step noise term of `gradient` for a variable of `shape`."""
    rng = np.random.default_rng([seed, step, int(np.prod(shape) or 1)])
    return rng.normal(scale=0.3, size=shape)


def relative_error(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))
