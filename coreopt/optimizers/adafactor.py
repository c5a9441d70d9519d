"""Adafactor: factored second moments and relative step sizes.

Math (for a parameter of rank >= 2 the second moment is factored over its
last two axes, otherwise kept whole):
    rho_t = min(lr, 1 / sqrt(t)),   alpha_t = max(epsilon_2, RMS(x_{t-1})) * rho_t
    beta_t = 1 - t^beta_2_decay,    G_t = g_t^2 + epsilon_1
    R_t = beta_t R_{t-1} + (1 - beta_t) mean(G_t, last axis)
    C_t = beta_t C_{t-1} + (1 - beta_t) mean(G_t, second-last axis)
    V_t = R_t C_t / mean(R_t)        (outer product; unfactored:
                                      V_t = beta_t V_{t-1} + (1 - beta_t) G_t)
    U_t = g_t / sqrt(V_t),           U^_t = U_t / max(1, RMS(U_t) / clip_threshold)
    x_t = x_{t-1} - alpha_t * U^_t

Options beyond the paper's Algorithm 4:
    weight_decay lambda:   x_t = (1 - lr * lambda) x_{t-1} - alpha_t U^_t, alpha_t
                           still from the undecayed x_{t-1}
    momentum mu (> 0):     M_t = mu M_{t-1} + (1 - mu) alpha_t U^_t,  x_t = ... - M_t
                           (float32_momentum: M kept in float32, and mu M_{t-1}
                           computed in float32)
    min_dim_size_to_factor n: factored only when both last axes have >= n entries
    float32_decay_rate:    beta_t and 1 - beta_t rounded as float32 arithmetic
                           rounds them: p = fl32(t^beta_2_decay), beta_t = fl32(1 - p),
                           1 - beta_t = fl32(1 - beta_t)

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(tf.ones([2, 3]))
    >>> opt = coreopt.Adafactor()
    >>> opt.apply_gradients([tf.ones([2, 3])], [x])   # alpha_1 = 1 * 0.01
    >>> [sorted(opt.get_slot(x, k).shape.as_list()) for k in ("r", "c")]
    [[2], [3]]
    >>> round(float(x.numpy()[0, 0]), 5)
    0.99

References:
    Shazeer & Stern, 2018, "Adafactor: Adaptive Learning Rates with Sublinear
    Memory Cost" (Algorithms 4 and 5, relative step, update clipping).

Notes:
    `learning_rate` caps the relative step (the paper's 1e-2 by default; Keras
    uses 1e-3). Keras 3 computes the same update; its `relative_step` flag does
    not change it. The paper's factored form means no full-size slot for
    matrices (Keras keeps one anyway). A zero gradient entry gives a zero step
    even where the factored v underflows to 0 in float32 (Keras and the plain
    formula give NaN there: 0 / sqrt(0)).

    torch.optim.Adafactor (torch/optim/_adafactor.py) is this update, its
    `weight_decay` the one above: the step size from the undecayed x, then
    x *= 1 - lr * weight_decay (the `decay` wrapper would decay first, so the
    step size would come from the decayed x). optax.adafactor
    (optax/_src/alias.py, factorized.py) factors only where the two largest
    axes have at least `min_dim_size_to_factor` (128 by default) entries, which
    for a parameter whose last two axes are its largest is the rule here; it
    computes the decay rate in float32 for float64 parameters too
    (`float32_decay_rate=True`) and keeps its momentum, an EMA of the step, in
    float32 by default (`float32_momentum=True`). With a learning rate, optax's
    step is lr * max(RMS(x), epsilon_2) U^, which is the relative step here
    while lr <= 1 / sqrt(t).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def decay_rate(t, beta_2_decay, float32=False):
    """(beta_t, 1 - beta_t) as float64 tensors; see the module docstring for `float32`."""
    if not float32:
        return 1 - t**beta_2_decay, t**beta_2_decay
    # fl32 of the float64 power, then float32 subtractions: each difference of two
    # float32 values is exact in float64, so rounding it is float32 arithmetic.
    power = ops.round_to_float32(t ** ops.round_to_float32(beta_2_decay))
    beta = ops.round_to_float32(1 - power)
    return beta, ops.round_to_float32(1 - beta)


def adafactor_update(g, x, slots, t, *, learning_rate, beta_2_decay, epsilon_1, epsilon_2,
                     clip_threshold, weight_decay=0.0, momentum=0.0, min_dim_size_to_factor=0,
                     float32_decay_rate=False, float32_momentum=False):
    """Pure Adafactor step; returns (new x, {"r", "c"} or {"v"}, [+ "m"]).

    `min_dim_size_to_factor` and `float32_momentum` are read by `Adafactor.init_slots`
    (which slots a parameter has).
    """
    rho = tf.minimum(learning_rate, 1 / tf.sqrt(t))
    alpha = tf.maximum(ops.like(epsilon_2, x), ops.rms(x)) * ops.like(rho, x)
    beta, one_minus_beta = (ops.like(b, x) for b in decay_rate(t, beta_2_decay,
                                                                float32_decay_rate))
    G = tf.square(g) + ops.like(epsilon_1, x)
    if "v" in slots:
        v = beta * slots["v"] + one_minus_beta * G
        new = {"v": v}
    else:
        r = beta * slots["r"] + one_minus_beta * tf.reduce_mean(G, axis=-1)
        c = beta * slots["c"] + one_minus_beta * tf.reduce_mean(G, axis=-2)
        row = r / tf.reduce_mean(r, axis=-1, keepdims=True)
        v = row[..., :, None] * c[..., None, :]
        new = {"r": r, "c": c}
    # Where g is 0 the step is 0, even if v underflowed to 0 (a zero row and a
    # zero column of a float32 gradient give v ~ 1e-60): no 0 / 0 = NaN.
    u = tf.math.divide_no_nan(g, tf.sqrt(v))
    u = u / tf.maximum(tf.ones([], x.dtype), ops.rms(u) / ops.like(clip_threshold, x))
    step = alpha * u
    if "m" in slots:
        kept = slots["m"]  # in its own dtype (float32 with float32_momentum)
        m = tf.cast(ops.like(momentum, kept) * kept, x.dtype) + ops.like(1 - momentum, x) * step
        new["m"] = tf.cast(m, kept.dtype)
        step = m
    return x * ops.like(1 - learning_rate * weight_decay, x) - step, new


@register("adafactor", description="Adafactor: factored second moments, relative steps")
class Adafactor(Optimizer):
    """Adafactor.

    Args:
        learning_rate: the cap on the relative step size, float >= 0 or schedule.
        beta_2_decay: <= 0, the exponent in beta_t = 1 - t^beta_2_decay.
        epsilon_1: > 0, added to the squared gradient.
        epsilon_2: > 0, the smallest parameter scale.
        clip_threshold: > 0, d in the update clipping.
        weight_decay: >= 0, x *= 1 - lr * weight_decay after the step size is
            taken from the undecayed x (torch).
        momentum: in [0, 1), an EMA of the step (optax); a slot "m" is kept
            when it is not 0.
        min_dim_size_to_factor: factor a parameter of rank >= 2 only when both
            of its last two axes have at least this many entries (optax: 128).
        float32_decay_rate: beta_t in float32 arithmetic, even for float64
            parameters (optax).
        float32_momentum: keep the momentum slot in float32 (optax's default
            `dtype_momentum`).
    """

    update_fn = staticmethod(adafactor_update)

    spec = Spec(
        numeric("learning_rate", 1e-2, "[0, inf)", schedule=True),
        numeric("beta_2_decay", -0.8, "(-inf, 0]"),
        numeric("epsilon_1", 1e-30, "(0, inf)"),
        numeric("epsilon_2", 1e-3, "(0, inf)"),
        numeric("clip_threshold", 1.0, "(0, inf)"),
        numeric("weight_decay", 0.0, "[0, inf)"),
        numeric("momentum", 0.0, "[0, 1)"),
        option("min_dim_size_to_factor", 0, interval="[0, inf)"),
        option("float32_decay_rate", False),
        option("float32_momentum", False),
    )

    def init_slots(self, x):
        slots = ({"r": tf.zeros(x.shape[:-1], x.dtype),
                  "c": tf.zeros(x.shape[:-2] + x.shape[-1:], x.dtype)}
                 if self.factors(x.shape) else {"v": tf.zeros_like(x)})
        momentum = self._hyper["momentum"]
        # A variable or tensor (a batch of momenta in the lab) may be non-zero.
        if isinstance(momentum, (tf.Variable, tf.Tensor)) or momentum != 0:
            dtype = tf.float32 if self._options["float32_momentum"] else x.dtype
            slots["m"] = tf.zeros(x.shape, dtype)
        return slots

    def factors(self, shape) -> bool:
        """Whether a parameter of `shape` gets a factored second moment."""
        shape = tf.TensorShape(shape)
        if shape.rank is None or shape.rank < 2:
            return False
        least = self._options["min_dim_size_to_factor"]
        return all(n is None or n >= least for n in (shape[-2], shape[-1]))
