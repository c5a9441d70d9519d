"""EMA: an exponential moving average of the weights (Polyak averaging).

Math, after each inner step x_t (t the wrapper's own 1-based step, m = momentum):

    a_t = m_t * a_{t-1} + (1 - m_t) * x_t,    m_t = 0 for t < start_step (2),
                                              m_t = m after,

so the first average is the first stepped weights. With `dynamic_decay`,
m_t = min(m, (1 + d) / (10 + d)), d = t - start_step, from start_step on
(Model Garden's ExponentialMovingAverage, after tf.train's
ExponentialMovingAverage with `num_updates`); `initial_average="zeros"` starts
a_0 at zero instead of the weights at build. With `overwrite_frequency`
F > 0, on every step t with t % F == 0 the weights are replaced by the
average, x_t <- a_t, and training goes on from there; F = 0 never overwrites.
`opt.swapped(vars)` puts the averages into the variables for the length of a
block (to evaluate) and `opt.finalize(vars)` writes them for good.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.EMA(coreopt.GradientDescent(0.1), momentum=0.5)
    >>> for _ in range(2):   # x: 0.9, 0.8; average: 0.9, 0.85
    ...     opt.apply_gradients([tf.constant(1.0)], [x])
    >>> with opt.swapped([x]):
    ...     round(float(x.numpy()), 6)
    0.85
    >>> round(float(x.numpy()), 6)
    0.8

References:
    Polyak & Juditsky, 1992, "Acceleration of Stochastic Approximation by
    Averaging"; Keras 3's `use_ema`, `ema_momentum`, `ema_overwrite_frequency`.

Notes:
    Keras-exact: the average moves after the inner step, with momentum 0 on the
    first step (Keras: `iterations == 0`), the momentum cast to the variable's
    dtype and `1 - m` formed there; the overwrite happens where Keras's
    `(iterations + 1) % ema_overwrite_frequency == 0`. `finalize` is Keras's
    `finalize_variable_values`. Differences: Keras accepts `ema_momentum=1.0`, an
    average that never moves, coreopt refuses it; Keras's average starts at
    zero, coreopt's at the variable's value at build (a variable built after
    the first step then starts its average there, not at zero); Keras averages
    every variable it was built with on each step, coreopt those stepped (a
    `None` gradient leaves a variable and its average alone). The wrapper
    counts its own steps: `EMA(GradientAccumulation(..., steps=k))` averages on
    every micro-step, as Keras does with `gradient_accumulation_steps=k`, and
    with `accumulation_steps=k` it also reads Keras's count, calls // k (so the
    first k calls take momentum 0 and an overwrite step lasts k calls); the
    reverse order averages once per applied step.

    Model Garden (official/modeling/optimization/ema_optimizer.py) averages from
    zero (its slot's initializer), with decay 0 before `start_step` (default 0)
    and the dynamic decay (default on), all in float32 from the float32 step
    count, moving the average as a - (1 - m_t)(a - x_t): `float32_decay=True`
    takes that arithmetic, and `coreopt.compat.from_model_garden` sets all four
    options from its `ema` config.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops, swapping
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option
from coreopt.wrappers.base import Wrapper

__all__ = ["EMA"]


@register("ema", description="Exponential moving average of the weights (Polyak averaging)",
          aliases=("polyak", "moving_average"))
class EMA(Wrapper):
    """Keeps a moving average of every variable, optionally written back every F steps.

    Args:
        inner: the optimizer that steps the weights.
        momentum: decay of the average, in [0, 1) (Keras's `ema_momentum`).
        overwrite_frequency: every this many steps the weights become the
            average; 0 never (Keras's `ema_overwrite_frequency`).
        accumulation_steps: read the step count (for the first step and the
            overwrite period) as this wrapper's calls // this, as Keras does
            under `gradient_accumulation_steps`; 1 counts every call.
        start_step: the decay is 0 on the (1-based) steps before this one, so
            the average is the weights there; 2, only the first step (Keras).
        dynamic_decay: the decay min(momentum, (1 + d) / (10 + d)), d = step -
            start_step (Model Garden).
        initial_average: "weights" (the variable at build) or "zeros" (Model
            Garden); it matters only when start_step <= 1.
        float32_decay: the decay and 1 - decay in float32 arithmetic and the
            average moved as a - (1 - decay)(a - x) (Model Garden).
    """

    spec = Spec(
        numeric("momentum", 0.99, "[0, 1)", doc="decay of the weight average"),
        option("overwrite_frequency", 0, interval="[0, inf)",
               doc="steps between two overwrites of the weights by the average; 0 never"),
        option("accumulation_steps", 1, interval="[1, inf)",
               doc="calls per counted step (Keras's gradient_accumulation_steps)"),
        option("start_step", 2, interval="[0, inf)",
               doc="the first step whose decay is not 0 (Keras: 2, Model Garden: 0)"),
        option("dynamic_decay", False, doc="decay min(momentum, (1 + d) / (10 + d))"),
        option("initial_average", "weights", choices=("weights", "zeros"),
               doc="the average before the first step"),
        option("float32_decay", False, doc="Model Garden's float32 decay arithmetic"),
    )

    def init_slots_own(self, x) -> dict:
        if self._options["initial_average"] == "zeros":
            return {"average": tf.zeros_like(x)}
        return {"average": tf.identity(x)}

    def update(self, grads, params, slots, state, grad_fn=None):
        steps = state["iterations"] // self._options["accumulation_steps"]  # as Keras reads it
        decay = self.decay(steps + 1, self.hyperparameters_own(state)["momentum"])
        params, slots, state = self.inner_step(grads, params, slots, state, grad_fn)
        move = _moved_in_float32 if self._options["float32_decay"] else _moved
        averages = [move(s["average"], x, decay) for s, x in zip(slots, params)]
        frequency = self._options["overwrite_frequency"]
        if frequency:
            now = tf.equal((steps + 1) % frequency, 0)
            params = [tf.where(now, a, x) for a, x in zip(averages, params)]
        return params, [{**s, "average": a} for s, a in zip(slots, averages)], state

    def decay(self, step, momentum) -> tf.Tensor:
        """m_t at the 1-based `step` (see the module docstring): float64, or float32 with
        `float32_decay`."""
        o = self._options
        dtype = tf.float32 if o["float32_decay"] else tf.float64
        s, start, m = tf.cast(step, dtype), tf.constant(o["start_step"], dtype), \
            tf.cast(momentum, dtype)
        if o["dynamic_decay"]:
            m = tf.minimum(m, (1 + (s - start)) / (10 + (s - start)))
        return tf.where(s < start, tf.zeros_like(m), m)

    def finalize(self, variables):
        """Writes each variable's average into it (Keras's `finalize_variable_values`).

        Raises:
            TypeError, ValueError: an entry that is not a variable, or one this
                optimizer never built; raised before any variable changes.
        """
        for var, average in self._pairs(variables):
            var.assign(average)

    def swapped(self, variables):
        """A context in which `variables` hold their averages; their values come back after.

        The trained values return on leaving the block, by an exception too.
        Do not step the optimizer inside the block.

        Raises:
            TypeError, ValueError: as `finalize`, when called.
        """
        return swapping.swapped(self._pairs(variables))

    def _pairs(self, variables):
        """[(variable, its average's variable)], every entry checked first."""
        return swapping.slot_pairs(self, variables, "average", ", so it has no average;")


def _moved(average, x, momentum):
    """m * average + (1 - m) * x, in x's dtype, in Keras's order."""
    m = ops.like(momentum, x)
    return m * average + (1 - m) * x


def _moved_in_float32(average, x, decay):
    """average - (1 - decay) * (average - x), 1 - decay formed in float32 (Model Garden)."""
    return average - ops.like(1 - decay, x) * (average - x)
