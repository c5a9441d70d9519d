"""AdamWeightDecay: BERT's Adam with decoupled weight decay and global-norm clipping.

Math (TensorFlow Model Garden's form; c = gradient_clip_norm, no clipping when c = 0):
    g_t <- g_t * c / max(N_t, c),   N_t = sqrt(sum over all variables of ||g_t||^2)
    m_t, v_t as in Adam (v_t its running maximum with `amsgrad=True`)
    alpha_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)    (lr with bias_correction=False)
    x_t = x_{t-1} - lr * weight_decay_rate * x_{t-1} - alpha_t * m_t / (sqrt(v_t) + epsilon)
where the decay term applies to the variables that decay (see Notes).

Example:
    >>> import coreopt, tensorflow as tf
    >>> w = tf.Variable([1.0, 1.0], name="dense/kernel")
    >>> b = tf.Variable([1.0, 1.0], name="dense/bias")
    >>> opt = coreopt.AdamWeightDecay(learning_rate=0.1, weight_decay_rate=0.5,
    ...                               exclude_from_weight_decay="bias")
    >>> opt.apply_gradients([tf.constant([3.0, -4.0])] * 2, [w, b])   # each moves by ~lr
    >>> [round(float(v), 4) for v in w.numpy()], [round(float(v), 4) for v in b.numpy()]
    ([0.85, 1.05], [0.9, 1.1])

References:
    Devlin et al., 2019, "BERT: Pre-training of Deep Bidirectional Transformers
    for Language Understanding"; google-research/bert optimization.py;
    tensorflow/models official/modeling/optimization/legacy_adamw.py and
    configs/optimizer_config.py (Model Garden).

Notes:
    Defaults are Model Garden's (lr 1e-3, betas 0.9/0.999, epsilon 1e-7,
    weight_decay_rate 0, gradient_clip_norm 1.0): Keras's legacy Adam (epsilon
    before the bias correction) after the decay x -= lr * x * rate. BERT's own
    optimizer has no bias correction and clips outside it: its
    `create_optimizer` is `AdamWeightDecay(bias_correction=False, epsilon=1e-6,
    weight_decay_rate=0.01, exclude_from_weight_decay="LayerNorm|layer_norm|bias")`
    (the schedule aside). The variable lists are regular expressions ("a|b"
    for ["a", "b"]) searched in the variable's path (`coreopt.core.selectors`)
    and decided at build into a scalar slot "decay_mask": as in Model Garden,
    a variable decays if `include` finds its path or else `exclude` does not
    (a plain tensor, in the batched lab, decays). The clip norm is over one
    call's gradients (in the lab, each run's). Model Garden's
    `experimental_aggregate_gradients=False` is not offered.
    `DecoupledWeightDecay(Adam(epsilon_hat=True))` is this update without the
    clipping (its `include` restricts the decay instead).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import SHELL_ARGUMENTS, Optimizer
from coreopt.core.registry import register
from coreopt.core.selectors import compile_pattern, variable_path
from coreopt.core.spec import Spec, numeric, option

PATTERNS = ("include_in_weight_decay", "exclude_from_weight_decay")


def adam_weight_decay_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, epsilon,
                             weight_decay_rate, gradient_clip_norm, amsgrad, bias_correction,
                             include_in_weight_decay, exclude_from_weight_decay):
    """Pure step on an already clipped gradient; returns (new x, {"m", "v"[, ...]})."""
    m = ops.ema(slots["m"], g, beta_1)
    v = ops.ema(slots["v"], tf.square(g), beta_2)
    new_slots = {"m": m, "v": v}
    if amsgrad:
        v = new_slots["v_max"] = tf.maximum(slots["v_max"], v)
    alpha = learning_rate
    if bias_correction:
        alpha = learning_rate * tf.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    decayed = x - ops.like(learning_rate, x) * x * ops.like(weight_decay_rate, x)
    if "decay_mask" in slots:
        decayed = tf.where(slots["decay_mask"] > 0, decayed, x)
        new_slots["decay_mask"] = slots["decay_mask"]
    return decayed - ops.like(alpha, x) * m / (tf.sqrt(v) + ops.like(epsilon, x)), new_slots


@register("adam_weight_decay", description="BERT's AdamWeightDecay (Model Garden's form)",
          aliases=("bert_adam",))
class AdamWeightDecay(Optimizer):
    """AdamWeightDecay.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: decay rates of the moment estimates, in [0, 1).
        epsilon: > 0, added to sqrt(v_t).
        weight_decay_rate: >= 0, decoupled decay, times the learning rate.
        gradient_clip_norm: >= 0, the global norm the gradients are clipped to (0: none).
        amsgrad: use the running maximum of v (AMSGrad).
        bias_correction: Model Garden's bias correction; False: BERT's original.
        include_in_weight_decay: regex; variables whose path it finds decay.
        exclude_from_weight_decay: regex; others whose path it finds do not.
    """

    update_fn = staticmethod(adam_weight_decay_update)

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "[0, 1)"),
        numeric("beta_2", 0.999, "[0, 1)"),
        numeric("epsilon", 1e-7, "(0, inf)"),
        numeric("weight_decay_rate", 0.0, "[0, inf)"),
        numeric("gradient_clip_norm", 1.0, "[0, inf)"),
        option("amsgrad", False),
        option("bias_correction", True),
        option("include_in_weight_decay", "", doc="regex: these variables always decay"),
        option("exclude_from_weight_decay", "", doc="regex: these do not, unless included"),
    )

    def __init__(self, *args, name=None, jit_compile=True, half_in_float32=True, **kwargs):
        values = self.spec.bind(type(self).__name__, args, kwargs)
        patterns = {k: compile_pattern(k, values[k]) for k in PATTERNS if values[k]}
        self._setup(values, name, jit_compile, half_in_float32)
        self._patterns = patterns

    def init_slots(self, x):
        """m, v (and v_max); with a pattern, a scalar "decay_mask" from x's path."""
        names = ("m", "v", "v_max") if self._options["amsgrad"] else ("m", "v")
        slots = {k: tf.zeros_like(x) for k in names}
        if self._patterns:
            slots["decay_mask"] = tf.constant(1 if self.decays(x) else 0, x.dtype)
        return slots

    def decays(self, x) -> bool:
        """Whether `x` decays: `include` finds its path, or else `exclude` does not."""
        path, include, exclude = variable_path(x), *(self._patterns.get(k) for k in PATTERNS)
        found = {p for p in (include, exclude) if p and path is not None and p.search(path)}
        return include in found or exclude not in found

    def update(self, grads, params, slots, state, grad_fn=None):
        """Clips the gradients to their global norm (`tf.clip_by_global_norm`), then steps."""
        c = self.hyperparameters(state)["gradient_clip_norm"]
        total = tf.sqrt(tf.add_n([tf.cast(tf.reduce_sum(g * g), tf.float64) for g in grads]))
        clipped = c * tf.minimum(1.0 / total, 1.0 / c) + (total - total)
        scale = tf.where(c > 0, clipped, tf.ones_like(clipped))
        grads = [g * ops.like(scale, g) for g in grads]
        return super().update(grads, params, slots, state, grad_fn)


AdamWeightDecay.__signature__ = AdamWeightDecay.spec.signature(last=SHELL_ARGUMENTS)
