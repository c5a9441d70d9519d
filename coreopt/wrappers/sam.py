"""Sharpness-aware minimization (SAM) and its adaptive form (ASAM), as a wrapper.

Math (Foret et al., 2021, the first-order solution with p = 2; Kwon et al.,
2021, with the elementwise normalisation T = |x|): with g = grad L(x) the
gradient at the current point and one norm over all variables together,

    e     = rho * g / (||g|| + epsilon)                  (adaptive=False)
    e     = rho * T^2 g / (||T g|| + epsilon), T = |x|   (adaptive=True, elementwise)
    g_sam = grad L(x + e)
    x    <- the inner optimizer's step from x with the gradient g_sam

The second gradient needs the loss, so SAM refuses `apply_gradients` and
takes `minimize(loss_fn, vars)`; the batched lab gives it the test
function's gradient. Norms are summed in float64 across variables.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([3.0, 4.0])
    >>> opt = coreopt.SAM(coreopt.GradientDescent(0.1), rho=0.5)
    >>> loss_fn = lambda: 0.5 * tf.reduce_sum(x**2)
    >>> float(opt.minimize(loss_fn, [x]))   # the loss before the step
    12.5
    >>> [round(float(v), 5) for v in x.numpy()]   # x - 0.1 * (x + 0.5 * x / 5)
    [2.67, 3.56]

References:
    Foret, Kleiner, Mobahi & Neyshabur, 2021 (ICLR), "Sharpness-Aware
    Minimization for Efficiently Improving Generalization". Kwon, Kim, Park &
    Choi, 2021 (ICML), "ASAM: Adaptive Sharpness-Aware Minimization for
    Scale-Invariant Learning of Deep Neural Networks".

Notes:
    Keras 3 has no SAM among its optimizers. tf.keras 2.x had a model wrapper,
    `keras.models.experimental.SharpnessAwareMinimization(model, rho)`: one
    norm over all variables with 1e-12 added to it, the perturbation added to
    the weights and subtracted again (not bit-exact), and each replica
    perturbing with its own unsynchronised gradient. The torch `sam` package
    (`SAM(params, base_optimizer, rho, adaptive)`) also uses one norm over all
    parameters plus 1e-12, and T = |x| for adaptive; the papers' own code adds
    no guard (google-research/sam) or 1e-16 (ASAM), and ASAM's code uses
    T = |x| + eta (eta = 0.01) for parameters named "weight" and T = 1 for
    the others, which a list of unnamed tensors cannot tell apart: here
    T = |x| for every variable (eta = 0), as in the torch package.
    `epsilon=0` gives the unguarded form (NaN at a zero gradient). Under `tf.distribute` the first
    gradient is summed over replicas before the perturbation, so a run on many
    devices is the run on one (the paper's m-sharpness with m = the global
    batch). Keras `model.fit`: see `coreopt.train.sam_fit`.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option
from coreopt.wrappers.base import Wrapper

__all__ = ["SAM"]


@register("sam", description="Sharpness-aware minimization (ASAM with adaptive=True); needs "
                             "minimize(loss_fn, vars)")
class SAM(Wrapper):
    """Steps the inner optimizer with the gradient at the sharpness-aware point x + e.

    Args:
        inner: the coreopt optimizer that takes the step.
        rho: the radius of the neighbourhood, in (0, inf).
        adaptive: ASAM's scale-invariant perturbation, T = |x|.
        epsilon: added to the norm in the denominator, in [0, inf).
    """

    needs_closure = True
    spec = Spec(
        numeric("rho", 0.05, "(0, inf)", doc="radius of the perturbation"),
        option("adaptive", False, doc="ASAM: scale the perturbation by |x|"),
        numeric("epsilon", 1e-12, "[0, inf)", doc="added to the gradient norm"),
    )

    def update(self, grads, params, slots, state, grad_fn=None):
        if grad_fn is None:
            raise TypeError(
                "SAM needs the loss's gradient at a second point: call "
                "`opt.minimize(loss_fn, vars)` (update needs `grad_fn`).")
        e = self.perturbation(grads, params, state)
        sharp = grad_fn([x + d for x, d in zip(params, e)])
        sharp = [tf.cast(g, x.dtype) for g, x in zip(sharp, params)]
        return self.inner_step(sharp, params, slots, state, grad_fn)

    def perturbation(self, grads, params, state):
        """e = rho * T^2 g / (||T g|| + epsilon), T = |x| (adaptive) or 1, one norm for all."""
        hyper = self.hyperparameters_own(state)
        adaptive = self._options["adaptive"]
        scaled = [tf.abs(x) * g if adaptive else g for g, x in zip(grads, params)]
        norm = tf.sqrt(tf.add_n([tf.cast(tf.reduce_sum(tf.square(s)), tf.float64)
                                 for s in scaled]))
        factor = hyper["rho"] / (norm + hyper["epsilon"])
        return [ops.like(factor, g) * (tf.abs(x) * s if adaptive else g)
                for g, x, s in zip(grads, params, scaled)]
