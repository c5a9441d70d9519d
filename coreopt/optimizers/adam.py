"""Adam: adaptive moment estimation, with optional AMSGrad.

Math (Algorithm 1 of the paper, the guide's form):
    m_t = beta_1 * m_{t-1} + (1 - beta_1) * g_t
    v_t = beta_2 * v_{t-1} + (1 - beta_2) * g_t^2
    m^_t = m_t / (1 - beta_1^t),   v^_t = v_t / (1 - beta_2^t)
    x_t = x_{t-1} - lr * m^_t / (sqrt(v^_t) + epsilon)

With `epsilon_hat=True`, epsilon is the paper's "epsilon hat" (end of its
section 2), added to sqrt(v_t) before the bias correction:
    alpha_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
    x_t = x_{t-1} - alpha_t * m_t / (sqrt(v_t) + epsilon)
With `amsgrad=True`, v is replaced by its running maximum v_max_t = max(v_max_{t-1}, v_t);
with `amsgrad_bias_corrected=True` too, the maximum is of the corrected v^ instead,
    v^max_t = max(v^max_{t-1}, v^_t),   which replaces v^_t (and (1 - beta_2^t) v^max_t
                                       replaces v_t in the epsilon-hat form).
`epsilon_root` is added under the square root: sqrt(v^_t + epsilon_root) in the
first form, sqrt(v_t + epsilon_root) in the epsilon-hat form (0 by default).

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.Adam(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant(3.0)], [x])   # first step moves by ~lr
    >>> round(float(x.numpy()), 5)
    0.9

References:
    Kingma & Ba, 2015, "Adam: A Method for Stochastic Optimization";
    Reddi et al., 2018, "On the Convergence of Adam and Beyond" (AMSGrad).

Notes:
    Defaults follow the guide: lr 1e-3, betas 0.9/0.999, epsilon 1e-7 in the
    bias-corrected form (torch and optax use the same form with 1e-8).
    Keras's Adam uses the epsilon-hat form: `Adam(epsilon_hat=True)` matches it.
    AMSGrad takes the maximum of the uncorrected v, as Keras and torch do;
    optax.amsgrad takes it of v^ (`scale_by_amsgrad` in optax/_src/transform.py,
    `bias_correction_nu=True` by default): `amsgrad_bias_corrected=True`.
    optax's `eps_root` (optax.adam, optax.amsgrad) is `epsilon_root`.
    Keras 3 also rounds beta_1 and beta_2 to float32 before the bias-correction
    powers, for float64 variables too, while its moment updates use them
    unrounded; in float64 that changes the step by about 1e-5 relative
    (`float32_correction_betas=True` reproduces it).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def adam_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon, amsgrad=False,
                epsilon_hat=False, float32_correction_betas=False, epsilon_root=0.0,
                amsgrad_bias_corrected=False):
    """Pure Adam step; returns (new x, {"m", "v"[, "v_max"]})."""
    m = ops.ema(slots["m"], g, beta_1)
    v = ops.ema(slots["v"], tf.square(g), beta_2)
    new_slots = {"m": m, "v": v}
    if float32_correction_betas:
        beta_1, beta_2 = ops.round_to_float32(beta_1), ops.round_to_float32(beta_2)
    correction_1, correction_2 = 1 - beta_1**t, 1 - beta_2**t
    eps, eps_root = ops.like(epsilon, x), ops.like(epsilon_root, x)
    v_hat = None
    if amsgrad and amsgrad_bias_corrected:
        v_hat = new_slots["v_max"] = tf.maximum(slots["v_max"], v / ops.like(correction_2, x))
        v = v_hat * ops.like(correction_2, x)  # read by the epsilon-hat form only
    elif amsgrad:
        v = new_slots["v_max"] = tf.maximum(slots["v_max"], v)
    if epsilon_hat:
        alpha = ops.like(learning_rate * tf.sqrt(correction_2) / correction_1, x)
        return x - (m * alpha) / (tf.sqrt(v + eps_root) + eps), new_slots
    m_hat = m / ops.like(correction_1, x)
    if v_hat is None:
        v_hat = v / ops.like(correction_2, x)
    step = m_hat / (tf.sqrt(v_hat + eps_root) + eps)
    return x - ops.like(learning_rate, x) * step, new_slots


@register("adam", description="Adam: bias-corrected adaptive moments (amsgrad= for AMSGrad)")
class Adam(Optimizer):
    """Adam with the guide's defaults.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: decay rates of the moment estimates, in [0, 1).
        epsilon: > 0, added to the denominator.
        amsgrad: use the running maximum of v (AMSGrad).
        epsilon_hat: add epsilon before the bias correction (Keras's form).
        float32_correction_betas: round the betas to float32 in the bias
            corrections only, as Keras 3 does even for float64 variables.
        epsilon_root: >= 0, added to v under the square root (optax's eps_root).
        amsgrad_bias_corrected: with amsgrad, the running maximum of the
            bias-corrected v (optax) instead of v (Keras, torch).
    """

    update_fn = staticmethod(adam_update)

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-7, "(0, inf)"),
        option("amsgrad", False),
        option("epsilon_hat", False),
        option("float32_correction_betas", False),
        numeric("epsilon_root", 0.0, "[0, inf)"),
        option("amsgrad_bias_corrected", False),
    )

    @property
    def slot_names(self):
        return ("m", "v", "v_max") if self._options["amsgrad"] else ("m", "v")
