"""Loss scaling: a scaled loss against gradient underflow, with a dynamic scale.

Math, with S the scale (float32 state) and N the growth steps: `scale_loss`
returns S * loss, so the gradients arrive as S * g; the wrapper divides them,

    finite:      inner step with g = grads / S;  c <- c + 1, or S <- 2 S and c <- 0
                 if c was N - 1 (N finite steps in a row)
    not finite:  no inner step (parameters, inner slots and state unchanged);
                 S <- S / 2,  c <- 0

where c is the state "good_steps". With `dynamic=False` the scale is the fixed
`initial_scale`: every step divides by it, the scale never changes and no
step is skipped.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.LossScale(coreopt.GradientDescent(0.1), initial_scale=8.0, growth_steps=2)
    >>> opt.apply_gradients([tf.constant(8.0)], [x])            # unscaled: 1.0
    >>> opt.apply_gradients([tf.constant(float("inf"))], [x])   # skipped, S -> 4
    >>> round(float(x.numpy()), 6), float(opt.state_variables()["scale"])
    (0.9, 4.0)
    >>> float(opt.scale_loss(tf.constant(2.0)))
    8.0

References:
    Micikevicius et al., 2018, "Mixed Precision Training"; Keras 3's
    `LossScaleOptimizer` and `loss_scale_factor`.

Notes:
    Keras-exact: the finiteness test on the gradients as received, the scale a
    float32 variable, doubling on the step where Keras's `step_counter ==
    dynamic_growth_steps - 1`; `dynamic=False` is Keras's base-optimizer
    `loss_scale_factor` (Keras's `LossScaleOptimizer` itself refuses
    `dynamic=False`). Keras's `LossScaleOptimizer.iterations` is the inner
    optimizer's count of applied steps; this wrapper's own `iterations` counts
    every call, its inner's the applied steps. Half-precision gradients are
    divided in float32 (Keras: the same for the dynamic scale, in float16 for a
    fixed factor, where a factor above 65504 overflows). torch's `GradScaler`
    follows the same rule (from 2**16, growth interval 2000); JAX's jmp
    `DynamicLossScale` also keeps a floor under the scale, which this does not.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.closures import carried
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option
from coreopt.wrappers.base import Wrapper

__all__ = ["LossScale"]

_FLOAT32_MAX = "3.4028234663852886e38"


@register("loss_scale", description="Scales the loss, unscales the gradients; dynamic scale",
          aliases=("loss_scaling", "dynamic_loss_scale"))
class LossScale(Wrapper):
    """Divides the gradients by the loss scale; skips non-finite steps and adapts the scale.

    Args:
        inner: the optimizer to step.
        initial_scale: the first scale, > 0 and a finite float32 (Keras's
            `initial_scale`, or the fixed `loss_scale_factor`).
        growth_steps: finite steps in a row after which the scale doubles, an
            integer >= 1 (Keras's `dynamic_growth_steps`).
        dynamic: False keeps the scale fixed and never skips a step.
    """

    spec = Spec(
        numeric("initial_scale", 2.0**15, f"(0, {_FLOAT32_MAX}]", doc="the first loss scale"),
        option("growth_steps", 2000, interval="[1, inf)",
               doc="finite steps in a row before the scale doubles"),
        option("dynamic", True, doc="adapt the scale and skip non-finite steps"),
    )

    def init_state_own(self) -> dict:
        first = {"iterations": tf.constant(0, tf.int64)}
        scale = tf.cast(self.hyperparameters_own(first)["initial_scale"], tf.float32)
        return {"scale": scale, "good_steps": tf.constant(0, tf.int64)}

    def scale_loss(self, loss):
        """`loss` times the current scale (the inner's scaling applied first)."""
        loss = tf.convert_to_tensor(self.inner.scale_loss(loss))
        if not self._options["dynamic"]:
            factor = self.hyperparameters_own(self.state_variables())["initial_scale"]
            return loss * ops.like(factor, loss)
        wide = tf.float64 if loss.dtype == tf.float64 else tf.float32
        return tf.cast(loss, wide) * tf.cast(self._state_vars["scale"], wide)

    def applied_finite(self, grads, variables, state):
        """Dynamic: a non-finite step is skipped, never applied; fixed: as the inner says."""
        return tf.constant(True) if self._options["dynamic"] else super().applied_finite(
            grads, variables, state)

    def update(self, grads, params, slots, state, grad_fn=None):
        if not self._options["dynamic"]:
            factor = self.hyperparameters_own(state)["initial_scale"]
            return self.inner_step(_divided(grads, factor), params, slots, state,
                                   _unscaled(grad_fn, factor))
        scale = state["scale"]
        finite = tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(g)) for g in grads]))

        def stepped():
            return self.inner_step(_divided(grads, scale), params, slots, state,
                                   _unscaled(grad_fn, scale))

        params, slots, new_state = ops.select(
            finite, stepped, lambda: (list(params), slots, self.count(state)))
        grow = tf.equal(state["good_steps"], self._options["growth_steps"] - 1)
        new_scale = tf.where(finite, tf.where(grow, scale * 2.0, scale), scale * 0.5)
        good = tf.where(finite & ~grow, state["good_steps"] + 1, tf.zeros_like(state["good_steps"]))
        return params, slots, {**new_state, "scale": new_scale, "good_steps": good}


def _divided(grads, scale):
    """Each gradient divided by `scale`, in float64 for float64 gradients, else in float32."""
    out = []
    for g in grads:
        wide = tf.float64 if g.dtype == tf.float64 else tf.float32
        out.append(tf.cast(tf.cast(g, wide) / tf.cast(scale, wide), g.dtype))
    return out


def _unscaled(grad_fn, scale):
    """`grad_fn` whose gradients (of the scaled loss) come back divided by `scale`."""
    if grad_fn is None:
        return None
    # its loss (from `minimize`: loss_fn() before `scale_loss`) is already the true one
    return carried(lambda params: _divided(grad_fn(params), scale), grad_fn)
