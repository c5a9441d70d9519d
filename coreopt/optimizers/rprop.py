"""Rprop: per-element step sizes adapted from the sign of the gradient alone.

Math (torch.optim.Rprop's form; elementwise, p_0 = 0, s_0 = lr):
    c_t = sign(g_t * p_{t-1})
    s_t = clip(s_{t-1} * (eta_plus if c_t > 0, eta_minus if c_t < 0, 1 if c_t = 0),
               min_step_size, max_step_size)
    p_t = 0 where c_t < 0, else g_t        (a sign change takes no step now)
    x_t = x_{t-1} - s_t * sign(p_t)

With `clamp_unchanged=False`, s_t = s_{t-1} where c_t = 0 (not clipped). With
`stale_update=True`, the step taken is the previous one's,
x_t = x_{t-1} - s_{t-1} * sign(p_{t-1}), or none where c_t < 0.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = coreopt.Rprop(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant([1.0, -1.0])], [x])   # first steps: lr * sign(g)
    >>> opt.apply_gradients([tf.constant([3.0, 2.0])], [x])    # x[1]'s gradient flipped
    >>> [round(float(v), 5) for v in x.numpy()], [round(float(v), 5) for v in
    ...                                            opt.get_slot(x, "step_size").numpy()]
    ([0.78, 1.1], [0.12, 0.05])
    >>> y = tf.Variable([1.0])
    >>> stale = coreopt.Rprop(learning_rate=0.1, clamp_unchanged=False, stale_update=True)
    >>> for _ in range(3):   # optax 0.2.8's form: each step is the one before's (0, 0.1, 0.12)
    ...     stale.apply_gradients([tf.constant([1.0])], [y])
    >>> round(float(y.numpy()[0]), 5)
    0.78

References:
    Riedmiller & Braun, 1993, "A Direct Adaptive Method for Faster
    Backpropagation Learning: The RPROP Algorithm"; Igel & Huesken, 2000,
    "Improving the Rprop Learning Algorithm" (the form above is their
    Rprop-, without weight-backtracking); torch/optim/rprop.py;
    optax/_src/transform.py (scale_by_rprop) and alias.py (rprop).

Notes:
    Defaults are torch's (lr 1e-2, etas 0.5/1.2, step sizes in [1e-6, 50]);
    optax uses the same etas and bounds and has no default lr. In both the
    learning rate is only the initial step size: here the step sizes start at
    the learning rate when the variable is built (a later change of the
    learning rate does nothing). torch clips the unchanged step sizes too
    (which matters only when lr lies outside the bounds); optax does not
    (`clamp_unchanged=False`). optax 0.2.8 returns the previous step's update
    (its first step is zero; open optax pull request #1725 reports it):
    `Rprop(clamp_unchanged=False, stale_update=True)` reproduces
    `optax.rprop`. Rprop+ (weight-backtracking), iRprop+ and torch's
    `maximize` are not offered. Keras has no Rprop.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def rprop_update(g, x, slots, t, *, learning_rate, eta_minus, eta_plus, min_step_size,
                 max_step_size, clamp_unchanged=True, stale_update=False):
    """Pure Rprop step; returns (new x, {"prev", "step_size"})."""
    prev, size = slots["prev"], slots["step_size"]
    change = tf.sign(g * prev)
    factor = tf.where(change > 0, ops.like(eta_plus, x),
                      tf.where(change < 0, ops.like(eta_minus, x), tf.ones_like(x)))
    new_size = tf.clip_by_value(size * factor, ops.like(min_step_size, x),
                                ops.like(max_step_size, x))
    if not clamp_unchanged:
        new_size = tf.where(change == 0, size, new_size)
    kept = tf.where(change < 0, tf.zeros_like(g), g)
    if stale_update:
        move = tf.where(change < 0, tf.zeros_like(x), size * tf.sign(prev))
    else:
        move = new_size * tf.sign(kept)
    return x - move, {"prev": kept, "step_size": new_size}


@register("rprop", description="Rprop: per-element step sizes from gradient signs")
class Rprop(Optimizer):
    """Rprop.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule: the initial step size.
        eta_minus: in (0, 1), shrinks a step size where the gradient's sign flips.
        eta_plus: > 1, grows it where the sign stays.
        min_step_size, max_step_size: >= 0, the bounds of the step sizes.
        clamp_unchanged: clip the unchanged step sizes too (torch); False: optax.
        stale_update: take the previous step's update (optax 0.2.8).
    """

    update_fn = staticmethod(rprop_update)

    spec = Spec(
        numeric("learning_rate", 1e-2, "[0, inf)", schedule=True),
        numeric("eta_minus", 0.5, "(0, 1)"),
        numeric("eta_plus", 1.2, "(1, inf)"),
        numeric("min_step_size", 1e-6, "[0, inf)"),
        numeric("max_step_size", 50.0, "[0, inf)"),
        option("clamp_unchanged", True),
        option("stale_update", False),
    )

    def init_slots(self, x):
        """prev zeros; step_size filled with the learning rate at build."""
        return {"prev": tf.zeros_like(x),
                "step_size": ops.full_like(x, self.current_learning_rate())}
