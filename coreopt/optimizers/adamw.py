"""AdamW: Adam with decoupled weight decay.

Math:
    x' = x_{t-1} - weight_decay * lr * x_{t-1}
    x_t = Adam step from x' (see `coreopt.optimizers.adam`)

AdamW is `DecoupledWeightDecay(Adam(...), weight_decay)`: the decay is the
same wrapper every optimizer can take, not a flag re-declared here.

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

from coreopt.core.registry import register
from coreopt.optimizers.adam import Adam
from coreopt.wrappers.weight_decay import DecoupledWeightDecay


@register("adamw", description="AdamW: Adam with decoupled weight decay")
class AdamW(DecoupledWeightDecay):
    """Adam wrapped in decoupled weight decay.

    Args:
        learning_rate, beta_1, beta_2, epsilon, amsgrad, epsilon_hat,
            float32_correction_betas: as `Adam`.
        weight_decay: >= 0, the decay rate lambda.
    """

    def __init__(self, learning_rate=1e-3, weight_decay=0.01, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, amsgrad=False, epsilon_hat=False,
                 float32_correction_betas=False, *, name=None, jit_compile=True):
        inner = Adam(learning_rate, beta_1, beta_2, epsilon, amsgrad, epsilon_hat,
                     float32_correction_betas, jit_compile=jit_compile)
        super().__init__(inner, weight_decay, name=name)
