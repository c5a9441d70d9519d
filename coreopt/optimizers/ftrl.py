"""FTRL-Proximal: follow the regularized leader, per coordinate.

Math (p = -learning_rate_power, lambda_2 = l2 + beta / (2 lr)):
    g~_t = g_t + 2 * l2_shrinkage * x_{t-1}
    n_t = n_{t-1} + g_t^2,               n_0 = initial_accumulator_value
    z_t = z_{t-1} + g~_t - (n_t^p - n_{t-1}^p) / lr * x_{t-1}
    x_t = (clip(z_t, -l1, l1) - z_t) / (n_t^p / lr + 2 * lambda_2)

so x_t = 0 where |z_t| <= l1, the sparsity the method is known for.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([0.5, 0.5])
    >>> opt = coreopt.Ftrl(learning_rate=0.1, l1_regularization_strength=10.0)
    >>> opt.apply_gradients([tf.constant([1.0, -1.0])], [x])   # |z| <= l1: exactly 0
    >>> x.numpy().tolist()
    [0.0, 0.0]

References:
    McMahan et al., 2013, "Ad Click Prediction: a View from the Trenches",
    Algorithm 1 (with alpha = lr, and the per-coordinate power generalised).

Notes:
    This is the parametrisation of TensorFlow's and Keras's Ftrl, whose
    defaults it keeps: l2 penalises l2 * x^2, so the paper's lambda_2 is
    2 * l2; the paper's beta enters through lambda_2.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric


def ftrl_update(g, x, slots, t, *, learning_rate, learning_rate_power, initial_accumulator_value,
                l1_regularization_strength, l2_regularization_strength,
                l2_shrinkage_regularization_strength, beta):
    """Pure FTRL step; returns (new x, {"accumulator", "linear"})."""
    lr, p = ops.like(learning_rate, x), ops.like(-learning_rate_power, x)
    l1 = ops.like(l1_regularization_strength, x)
    l2 = ops.like(l2_regularization_strength, x) + ops.like(beta, x) / (2 * lr)
    g_shrunk = g + ops.like(2 * l2_shrinkage_regularization_strength, x) * x
    n_old = slots["accumulator"]
    n = n_old + tf.square(g)
    z = slots["linear"] + (g_shrunk - (tf.pow(n, p) - tf.pow(n_old, p)) / lr * x)
    quadratic = tf.pow(n, p) / lr + 2 * l2
    new_x = (tf.clip_by_value(z, -l1, l1) - z) / quadratic
    return new_x, {"accumulator": n, "linear": z}


@register("ftrl", description="FTRL-Proximal: per-coordinate follow-the-regularized-leader")
class Ftrl(Optimizer):
    """FTRL-Proximal.

    Args:
        learning_rate: > 0 (it divides), `tf.Variable`, or schedule.
        learning_rate_power: <= 0, -p for the per-coordinate rate lr / n^p.
        initial_accumulator_value: >= 0, n_0.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        l2_shrinkage_regularization_strength: >= 0, an L2 term on the gradient.
        beta: >= 0, the paper's beta.
    """

    update_fn = staticmethod(ftrl_update)

    spec = Spec(
        numeric("learning_rate", 1e-3, "(0, inf)", schedule=True),
        numeric("learning_rate_power", -0.5, "(-inf, 0]"),
        numeric("initial_accumulator_value", 0.1, "[0, inf)"),
        numeric("l1_regularization_strength", 0.0, "[0, inf)"),
        numeric("l2_regularization_strength", 0.0, "[0, inf)"),
        numeric("l2_shrinkage_regularization_strength", 0.0, "[0, inf)"),
        numeric("beta", 0.0, "[0, inf)"),
    )

    def init_slots(self, x):
        start = ops.full_like(x, self._hyper["initial_accumulator_value"])
        return {"accumulator": start, "linear": tf.zeros_like(x)}
