"""SM3: Adagrad with per-axis accumulators (memory linear in each dimension).

Math (SM3-II of the paper, with momentum, as optax and the authors' code):
    rank 0 and 1: a_t = a_{t-1} + g_t^2                      (one entry per element)
    rank k >= 2, one vector mu^(r) per axis r:
        a_t[i] = min_r mu^(r)_{t-1}[i_r] + g_t[i]^2
        mu^(r)_t[j] = max over i with i_r = j of a_t[i]
    u_t = g_t / sqrt(a_t + epsilon)      (0 where a_t = 0)
    m_t = momentum * m_{t-1} + (1 - momentum) * u_t
    x_t = x_{t-1} - lr * m_t

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([[1.0, 1.0], [1.0, 1.0]])
    >>> opt = coreopt.SM3(learning_rate=0.1, momentum=0.0)
    >>> opt.apply_gradients([tf.constant([[3.0, 0.0], [0.0, 4.0]])], [x])
    >>> [round(float(v), 5) for v in tf.reshape(x, [-1]).numpy()]   # first step: lr * sign(g)
    [0.9, 1.0, 1.0, 0.9]
    >>> [v.numpy().tolist() for v in (opt.get_slot(x, "v_0"), opt.get_slot(x, "v_1"))]
    [[9.0, 16.0], [9.0, 16.0]]

References:
    Anil, Gupta, Koren & Singer, 2019, "Memory-Efficient Adaptive
    Optimization" (SM3-II); optax/_src/transform.py (scale_by_sm3) and
    alias.py (sm3); google-research/google-research sm3/sm3.py (the authors'
    code).

Notes:
    Defaults: momentum 0.9 and epsilon 1e-8 are optax's; lr 1e-2 (optax and
    the authors' code have none). The slots are "v" (shaped like x) for rank
    0 and 1, else "v_0", "v_1", ... (one per axis), and "m". optax's form
    fails on a scalar (its per-axis list is empty); rank 0 here takes the
    full accumulator, as in the authors' code, which adds 1e-30 under the
    root instead (`epsilon=1e-30`). optax's `scale_by_sm3(b2=...)` (1, no
    decay, in `optax.sm3`) and other covers than the axes are not offered.
    Keras has no SM3.
"""

from __future__ import annotations

import functools

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def sm3_update(g, x, slots, t, *, learning_rate, momentum, epsilon):
    """Pure SM3 step; returns (new x, {"m", "v" or "v_0", "v_1", ...})."""
    rank = x.shape.rank
    if rank < 2:
        a = slots["v"] + tf.square(g)
        new_slots = {"v": a}
    else:
        covers = [tf.reshape(slots[f"v_{r}"], _along(x.shape, r)) for r in range(rank)]
        a = functools.reduce(tf.minimum, covers) + tf.square(g)
        new_slots = {f"v_{r}": tf.reduce_max(a, axis=[i for i in range(rank) if i != r])
                     for r in range(rank)}
    u = tf.where(a > 0, g * tf.math.rsqrt(a + ops.like(epsilon, x)), tf.zeros_like(g))
    m = ops.ema(slots["m"], u, momentum)
    return x - ops.like(learning_rate, x) * m, {"m": m, **new_slots}


def _along(shape, r):
    """[1, .., n_r, .., 1]: a vector of axis r, ready to broadcast."""
    return [n if i == r else 1 for i, n in enumerate(shape)]


@register("sm3", description="SM3: Adagrad with per-axis accumulators")
class SM3(Optimizer):
    """SM3.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        momentum: decay of the averaged step, in [0, 1).
        epsilon: >= 0, added to the accumulator under the root.
    """

    update_fn = staticmethod(sm3_update)

    spec = Spec(
        numeric("learning_rate", 1e-2, "[0, inf)", schedule=True),
        numeric("momentum", 0.9, "[0, 1)"),
        numeric("epsilon", 1e-8, "[0, inf)"),
    )

    def init_slots(self, x):
        """m like x; v like x for rank 0 and 1, else one zero vector per axis."""
        if x.shape.rank < 2:
            return {"m": tf.zeros_like(x), "v": tf.zeros_like(x)}
        return {"m": tf.zeros_like(x),
                **{f"v_{r}": tf.zeros([n], x.dtype) for r, n in enumerate(x.shape)}}
