"""Polyak SGD: gradient descent with the stochastic Polyak step size.

Math:
    n_t   = sum over all variables of ||g_t||^2       (one global norm)
    gap_t = f(x_{t-1}) - f_min                        (sps+: max(gap_t, 0))
    s_t   = 0                              if n_t + eps <= 2^-52
            min(gap_t / (n_t + eps), max_learning_rate)  otherwise
    x_t   = x_{t-1} - lr * s_t * g_t

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([3.0, 4.0])
    >>> opt = coreopt.PolyakSGD(max_learning_rate=10.0)
    >>> loss = opt.minimize(lambda: tf.reduce_sum(x * x), [x])  # f = 25, ||g||^2 = 100
    >>> [round(float(v), 6) for v in x.numpy()]                 # step 0.25: x - 0.25 * 2x
    [1.5, 2.0]

References:
    Loizou, Vaswani, Laradji & Lacoste-Julien, 2021, "Stochastic Polyak
    Step-size for SGD: An Adaptive Learning Rate for Fast Convergence".
    Berrada, Zisserman & Kumar, 2020, "Training Neural Networks for and by
    Interpolation" (the cap `max_learning_rate`, as optax cites it).

Notes:
    Follows optax's `polyak_sgd` (0.2.8): defaults max_learning_rate 1,
    scaling 1 (here `learning_rate`, a multiplier of the Polyak step), f_min 0,
    eps 0, variant "sps"; the squared norm is one norm over all variables, the
    step size is in the gradients' dtype, and a step whose n + eps is at most
    float64's machine epsilon is zero. The step needs f(x), which only a loss
    closure gives: `minimize(loss_fn, vars)`; `apply_gradients` refuses it.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core.closures import loss_at_step
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option

_TINY = 2.220446049250313e-16  # float64's machine epsilon, optax's division guard


def polyak_step_size(sq_norm, loss, *, max_learning_rate, f_min, epsilon, variant):
    """The Polyak step size s (a scalar in `sq_norm`'s dtype) for f(x) = `loss`."""
    dtype = sq_norm.dtype
    gap = tf.cast(loss, dtype) - tf.cast(f_min, dtype)
    if variant == "sps+":
        gap = tf.nn.relu(gap)
    denominator = sq_norm + tf.cast(epsilon, dtype)
    step = tf.minimum(gap / denominator, tf.cast(max_learning_rate, dtype))
    return tf.where(denominator <= _TINY, tf.zeros_like(step), step)


@register("polyak_sgd", description="SGD with the stochastic Polyak step size (needs the loss)")
class PolyakSGD(Optimizer):
    """Polyak SGD.

    Args:
        learning_rate: optax's `scaling`, a multiplier of the Polyak step; float
            >= 0, `tf.Variable`, or schedule of the step.
        max_learning_rate: the cap on the Polyak step size, >= 0.
        f_min: a lower bound of the loss (f* in the paper).
        epsilon: added to the squared gradient norm, >= 0.
        variant: "sps" (the gap as is) or "sps+" (a negative gap is zero).
    """

    needs_closure = True
    couples_variables = "takes one step size from the loss and the norm over all the gradients"

    spec = Spec(
        numeric("learning_rate", 1.0, "[0, inf)", schedule=True),
        numeric("max_learning_rate", 1.0, "[0, inf)"),
        numeric("f_min", 0.0, "(-inf, inf)"),
        numeric("epsilon", 0.0, "[0, inf)"),
        option("variant", "sps", choices=("sps", "sps+")),
    )

    def update(self, grads, params, slots, state, grad_fn=None):
        """The list-level step: one step size from all gradients and f(x)."""
        loss = loss_at_step(grad_fn, type(self).__name__)
        dtype = grads[0].dtype
        sq_norm = tf.add_n([tf.reduce_sum(tf.square(tf.cast(g, dtype))) for g in grads])
        hyper = self.hyperparameters(state)
        step = polyak_step_size(sq_norm, loss, **hyper, variant=self._options["variant"])
        scale = tf.cast(self.learning_rate_at(state), dtype) * step
        new_params = [x - tf.cast(scale, x.dtype) * g for g, x in zip(grads, params)]
        return new_params, list(slots), {**state, "iterations": state["iterations"] + 1}
