"""Schedule-Free AdamW: Schedule-Free averaging around an Adam step without momentum.

Math (Defazio et al., 2024, as optax and Keras write it; t the 1-based step,
the variable holds y, gamma_t and c_{t+1} as in `coreopt.optimizers.schedule_free`):
    v_t     = beta_2 * v_{t-1} + (1 - beta_2) * g_t^2
    u_t     = g_t / (sqrt(v_t / (1 - beta_2^t)) + epsilon) + weight_decay * y_t
    z_{t+1} = z_t - gamma_t * u_t
    x_{t+1} = (1 - c_{t+1}) * x_t + c_{t+1} * z_{t+1}
    y_{t+1} = (1 - beta_1) * z_{t+1} + beta_1 * x_{t+1}
x is recovered from y and z, (y - (1 - beta_1) z) / beta_1, each step and by
`eval_params(vars)`; `swapped(vars)` and `finalize(vars)` put it in the
variables for evaluation (see `ScheduleFreeSGD`).

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = coreopt.ScheduleFreeAdamW(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant([3.0, -0.5])], [x])   # first step: ~lr * sign(g)
    >>> [round(float(v), 5) for v in x.numpy()]
    [0.9, 1.1]
    >>> [round(float(v), 5) for v in opt.eval_params([x])[0]]   # x = z = y after one step
    [0.9, 1.1]

References:
    Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky, 2024, "The Road Less
    Scheduled" (arXiv 2405.15682); github.com/facebookresearch/schedule_free;
    optax/contrib/_schedule_free.py (optax 0.2.8, `schedule_free_adamw`: its
    `scale_by_rms(eps_in_sqrt=False, bias_correction=True)`, then the decay, then
    the learning rate); keras/src/optimizers/schedule_free_adamw.py (Keras 3.15).

Notes:
    Defaults are optax's and Keras's (lr 2.5e-3, betas 0.9/0.999, epsilon 1e-8,
    no warmup, no decay) with the authors' weight_lr_power 2. optax's
    `warmup_steps=W` is `warmup_steps=W, schedule_form="optax",
    float32_warmup=True`. Keras 3.15 differs in four ways, each reproduced by
    `coreopt.compat.from_keras(keras.optimizers.ScheduleFreeAdamW(...))`:
    its average is uniform, c_t = 1 / t (`weight_lr_power=0`); it recovers
    x_t from the updated z, (y_t - (1 - beta_1) z_{t+1}) / beta_1, because its
    `momentum_old = momentum.value` still reads the variable after the
    `assign_sub` on the TensorFlow backend (`x_from_new_z=True`; the paper,
    optax and the authors use z_t); its weight decay is Keras's base-class
    decay of y by lr * wd before the step (z not decayed; `DecoupledWeightDecay`
    around this optimizer, with weight_decay 0 here); and its TensorFlow
    backend rounds beta_1, beta_2 and epsilon to float32, for float64
    variables too (from_keras passes the rounded values).
    Keras 3.15 has no API for the evaluation point: its docstring says x is
    for evaluation, but it stores only y and z ("momentum"), so a Keras model
    is evaluated at y; here `eval_params`, `swapped` and `finalize` give x.
    `coreopt train digits --optimizers schedule_free_adamw --epochs 30`
    reached 98.3% test accuracy (at x) at the default learning rate.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.registry import register
from coreopt.core.spec import numeric
from coreopt.optimizers.schedule_free import ScheduleFree, interpolate, schedule_spec


def schedule_free_adamw_update(g, y, slots, t, *, learning_rate, c, beta_1, beta_2, epsilon,
                               weight_decay, x_from_new_z=False):
    """Pure step with gamma_t = `learning_rate` and the weight `c`; returns (new y, {"z", "v"})."""
    v = ops.ema(slots["v"], tf.square(g), beta_2)
    v_hat = v / ops.like(1 - beta_2**t, y)
    u = g / (tf.sqrt(v_hat) + ops.like(epsilon, y)) + ops.like(weight_decay, y) * y
    z = slots["z"]
    z_new = z - ops.like(learning_rate, y) * u
    return interpolate(y, z, z_new, c, beta_1, x_from_new_z), {"z": z_new, "v": v}


@register("schedule_free_adamw", description="Schedule-Free AdamW: y stepped, x averaged "
                                             "(eval_params / swapped give x)")
class ScheduleFreeAdamW(ScheduleFree):
    """Schedule-Free AdamW.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1: in (0, 1], the weight of x in y.
        beta_2: in [0, 1), the decay of the second moment.
        epsilon: > 0, added to the bias-corrected root of v.
        weight_decay: >= 0, added to the normalized gradient as weight_decay * y.
        warmup_steps: >= 0, the linear warmup's length (0: none).
        weight_lr_power: >= 0, the power of lr_max in the averaging weights
            (0: the uniform average, c_t = 1 / t, Keras's).
        schedule_form: "paper" or "optax" (see `coreopt.optimizers.schedule_free`).
        float32_warmup: the warmed-up rate in float32, as optax's schedule.
        x_from_new_z: recover x_t with z_{t+1}, as Keras 3.15 does.
    """

    update_fn = staticmethod(schedule_free_adamw_update)
    slot_names = ("z", "v")
    spec = schedule_spec(2.5e-3, numeric("beta_2", 0.999, "[0, 1)"),
                         numeric("epsilon", 1e-8, "(0, inf)"))
