"""AdamW: Adam with decoupled weight decay.

Math:
    x' = x_{t-1} - weight_decay * lr * x_{t-1}
    x_t = Adam step from x' (see `coreopt.optimizers.adam`)

The decay is the same step as the `DecoupledWeightDecay` wrapper's, which
every optimizer can take; AdamW is the named, flat-configured pair.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> opt.apply_gradients([tf.constant(0.0)], [x])   # zero gradient: only the decay acts
    >>> round(float(x.numpy()), 6)
    0.95

References:
    Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization".

Notes:
    The decay is multiplied by the learning rate, as in Keras, torch and
    optax (the paper multiplies by a schedule factor only: use
    `DecoupledWeightDecay(..., scale_by_learning_rate=False)`). Defaults: the
    Adam paper's (epsilon 1e-8) and weight_decay 0.01 (torch's; Keras's is 0.004).
    Keras's AdamW matches `AdamW(..., epsilon_hat=True)`.
"""

from __future__ import annotations

from coreopt.core import ops
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric
from coreopt.optimizers.adam import Adam, adam_update


def adamw_update(g, x, slots, t, *, learning_rate, weight_decay, **adam):
    """Pure AdamW step: decay x by weight_decay * lr, then Adam's step from there."""
    x = x - x * ops.like(weight_decay, x) * ops.like(learning_rate, x)  # Keras's order
    return adam_update(g, x, slots, t, learning_rate=learning_rate, **adam)


@register("adamw", description="AdamW: Adam with decoupled weight decay")
class AdamW(Adam):
    """Adam with decoupled weight decay.

    Args:
        weight_decay: >= 0, the decay rate lambda.
        **hyperparameters: the others as `Adam` (learning_rate, beta_1, beta_2,
            epsilon, amsgrad, epsilon_hat, float32_correction_betas, epsilon_root,
            amsgrad_bias_corrected), with epsilon 1e-8 here.
    """

    update_fn = staticmethod(adamw_update)
    spec = Spec(Adam.spec.hypers[0], numeric("weight_decay", 0.01, "[0, inf)"),
                *Adam.spec.replace(epsilon=1e-8).hypers[1:])

