"""Lookahead: k steps forward with the inner optimizer, one step back.

Math (Algorithm 1 of the paper): the inner optimizer steps the fast weights
x; slow weights phi start at the variable's value at build. After the inner
step on every k-th own step t (t % k == 0),

    phi <- alpha * x + (1 - alpha) * phi     (= phi + alpha * (x - phi))
    x   <- phi,

and on the other steps phi stays as it is. The inner optimizer's slots and
counter carry on across a synchronisation. The lerp form makes `alpha=1`
give the inner optimizer's weights bit for bit.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.Lookahead(coreopt.GradientDescent(0.1), sync_period=2, alpha=0.5)
    >>> for _ in range(2):   # fast: 0.9, 0.8; then back half-way to 1.0
    ...     opt.apply_gradients([tf.constant(1.0)], [x])
    >>> round(float(x.numpy()), 6), round(float(opt.get_slot(x, "slow").numpy()), 6)
    (0.9, 0.9)

References:
    Zhang, Lucas, Hinton & Ba, 2019, "Lookahead Optimizer: k steps forward,
    1 step back" (NeurIPS).

Notes:
    Defaults k = 6, alpha = 0.5 are TF Addons' `Lookahead` (`sync_period=6`,
    `slow_step_size=0.5`) and timm's; the paper's experiments mostly use k = 5
    (also torch-optimizer's default) with alpha 0.5 or 0.8, and report little
    sensitivity to either. optax's `lookahead(fast_optimizer, sync_period,
    slow_step_size)` has no defaults and keeps both weight sets in the
    parameters (`LookaheadParams(fast, slow)`), returning updates for both: the
    slow ones are meant for evaluation, the fast ones for gradients; at a sync
    it moves the fast weights to the new slow ones by an update, and
    `reset_state=True` also resets the inner state there (here it never is).
    coreopt keeps phi as the slot "slow" and the variables hold x, which equals
    phi right after each sync. torch-optimizer's `Lookahead` starts its slow
    copy lazily from the weights after the first inner step and syncs on steps
    1, k + 1, 2k + 1, ...; coreopt, the paper and optax sync on k, 2k, ... from
    the weights at build.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option
from coreopt.wrappers.base import Wrapper

__all__ = ["Lookahead"]


@register("lookahead", description="Lookahead: slow weights pulled towards fast every k steps")
class Lookahead(Wrapper):
    """Every `sync_period` steps, moves slow weights towards the fast ones and resets to them.

    Args:
        inner: the optimizer that steps the fast weights.
        sync_period: k >= 1, steps between two synchronisations.
        alpha: slow step size in (0, 1]; 1 makes the wrapper the inner optimizer.
    """

    spec = Spec(
        option("sync_period", 6, interval="[1, inf)", doc="k: fast steps between two syncs"),
        numeric("alpha", 0.5, "(0, 1]", doc="step size of the slow weights"),
    )

    def init_slots_own(self, x) -> dict:
        return {"slow": tf.identity(x)}

    def update(self, grads, params, slots, state, grad_fn=None):
        alpha = self.hyperparameters_own(state)["alpha"]
        sync = tf.equal((state["iterations"] + 1) % self._options["sync_period"], 0)
        params, slots, state = self.inner_step(grads, params, slots, state, grad_fn)
        new_params, new_slots = [], []
        for x, s in zip(params, slots):
            moved = ops.like(alpha, x) * x + ops.like(1 - alpha, x) * s["slow"]
            slow = tf.where(sync, moved, s["slow"])
            new_params.append(tf.where(sync, slow, x))
            new_slots.append({**s, "slow": slow})
        return new_params, new_slots, state
