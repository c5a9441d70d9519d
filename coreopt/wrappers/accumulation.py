"""Gradient accumulation: average the gradients of k calls, then step once.

Math, with j the wrapper's own 1-based call count and k = `steps`:

    A_j = A_{j-1} + g_j                          if j % k != 0   (x and the inner state stay)
    x <- inner step with (g_j + A_{j-1}) / k,  A_j = 0      if j % k == 0

so one inner step sees the mean of k micro-batch gradients, as one step on a
batch k times larger would (for a loss that is a mean over examples).

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.GradientAccumulation(coreopt.GradientDescent(0.1), steps=2)
    >>> opt.apply_gradients([tf.constant(1.0)], [x])   # held: x stays 1.0
    >>> float(x.numpy())
    1.0
    >>> opt.apply_gradients([tf.constant(3.0)], [x])   # steps on the mean, 2.0
    >>> round(float(x.numpy()), 6), int(opt.iterations), int(opt.inner.iterations)
    (0.8, 2, 1)

References:
    Keras 3's `gradient_accumulation_steps`; optax's `MultiSteps`;
    Goyal et al., 2017, "Accurate, Large Minibatch SGD: Training ImageNet in
    1 Hour" (the large-batch equivalence).

Notes:
    Keras-exact: the sum `g + A` in the variable's dtype, divided by k on the
    k-th call, the accumulator reset to zero, nothing else moving on the other
    calls. Put clipping and weight decay inside this wrapper (Keras clips the
    averaged gradient and decays only on applied steps). `steps=1` is the
    identity here; Keras requires at least 2. The inner optimizer's own
    `iterations` counts applied steps, as Keras's `iterations` property does
    (it floor-divides `_iterations` by k); so a learning-rate schedule, weight
    decay or EMA inside counts applied steps. Keras calls its schedule with
    `_iterations`, the micro-step count (k*n - 1 on the n-th applied step
    against n - 1 here); with a constant learning rate the two agree, and
    `coreopt.compat.from_keras` reads a Keras schedule at Keras's count. optax's
    `MultiSteps` keeps a running mean instead of the sum (equal up to
    rounding); in torch one sums the k micro-batch losses divided by k.
    A NaN or Inf gradient taken into the accumulator on a held call warns
    (once, in eager use) as an applied one does (`coreopt.core.nonfinite`);
    to skip it instead, put `ApplyIfFinite` outside this wrapper.
    A held call is `hold` (the accumulator and the count, nothing else):
    `apply_gradients` chooses between it and the full step in the graph, two
    compiled programs, so a held call reads and writes no parameter nor inner
    slot. In the pure `update` the choice is `coreopt.core.ops.select`: a
    `tf.cond`, or in the batched lab, where each run holds or applies on its
    own, one `tf.where` over the whole nested result.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.registry import register
from coreopt.core.spec import Spec, option
from coreopt.wrappers.base import Wrapper

__all__ = ["GradientAccumulation"]


@register("accumulate", description="Averages the gradients of `steps` calls, then steps once",
          aliases=("gradient_accumulation", "accumulation", "multi_steps"))
class GradientAccumulation(Wrapper):
    """Steps the inner optimizer every `steps` calls on the mean of their gradients.

    Args:
        inner: the optimizer to step.
        steps: calls per inner step, an integer >= 1 (Keras's
            `gradient_accumulation_steps`; 1 = no accumulation).
    """

    spec = Spec(option("steps", 2, interval="[1, inf)",
                       doc="calls whose gradients are averaged into one inner step"))

    def init_slots_own(self, x) -> dict:
        return {"accumulator": tf.zeros_like(x)}

    @property
    def holds_calls(self) -> bool:
        return self._options["steps"] > 1

    def holding(self, state):
        return tf.not_equal((state["iterations"] + 1) % self._options["steps"], 0)

    def stands_still(self, state):
        inner = self.inner.stands_still(state["inner"])
        return self.holding(state) | inner if self.holds_calls else inner

    def hold(self, grads, own_slots, state):
        totals = [{"accumulator": g + s["accumulator"]} for g, s in zip(grads, own_slots)]
        return totals, self.count(state)

    def update(self, grads, params, slots, state, grad_fn=None):
        k = self._options["steps"]
        if k == 1:
            return self.inner_step(grads, params, slots, state, grad_fn)

        def apply():
            mean = [(g + s["accumulator"]) / ops.like(k, g) for g, s in zip(grads, slots)]
            new_params, new_slots, new_state = self.inner_step(mean, params, slots, state,
                                                               grad_fn)
            zeros = [tf.zeros_like(g) for g in grads]
            return new_params, _with_accumulators(new_slots, zeros), new_state

        def hold():
            own, new_state = self.hold(grads, slots, state)
            return list(params), _with_accumulators(slots, [o["accumulator"] for o in own]), \
                new_state

        return ops.select(self.holding(state), hold, apply)


def _with_accumulators(slots, accumulators):
    return [{**s, "accumulator": a} for s, a in zip(slots, accumulators)]
