"""Noisy SGD: gradient descent on the gradient plus annealed Gaussian noise.

Math (t the step, 1 on the first; the paper's (1 + t) with t counted from 0):
    sigma_t^2 = eta / t^gamma
    x_t = x_{t-1} - lr * (g_t + sigma_t * z_t),   z_t ~ N(0, 1) elementwise

The noise is a pure function of (seed, the variable, t): z_t comes from
Philox bits (`tf.random.stateless_uniform`, full-range integers) of the
64-bit seed pair (seed * 2^32 + key, t), by the Box-Muller transform in
float64, rounded to float32, then cast to the variable's dtype. The key is
the CRC-32 of the variable's path and shape, fixed at build in the scalar
int64 slot "noise_key", so variables draw different noise, whatever their
order, and a resumed checkpoint continues the same draws.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, 1.0])
    >>> opt = coreopt.NoisySGD(learning_rate=0.1, eta=0.0)   # eta = 0: plain SGD
    >>> opt.apply_gradients([tf.constant([1.0, -2.0])], [x])
    >>> [round(float(v), 5) for v in x.numpy()]
    [0.9, 1.2]
    >>> a, b = tf.Variable([0.0] * 3, name="a"), tf.Variable([0.0] * 3, name="b")
    >>> coreopt.NoisySGD(1.0, seed=7).apply_gradients([tf.zeros(3)] * 2, [a, b])
    >>> bool(tf.reduce_all(a != b)), bool(tf.reduce_all(a != 0))   # their own noise
    (True, True)

References:
    Neelakantan et al., 2015, "Adding Gradient Noise Improves Learning for
    Very Deep Networks"; optax/_src/alias.py (noisy_sgd) and
    optax/transforms/_adding.py (add_noise); Box & Muller, 1958, "A Note on
    the Generation of Random Normal Deviates".

Notes:
    Defaults: eta 0.01 and gamma 0.55 are the paper's and optax's; seed 0 is
    optax's default key; lr 1e-3 as `GradientDescent` (optax has none).
    optax's schedule is the same (its count starts at 1), but its noise comes
    from JAX's PRNG and cannot be reproduced bit for bit. XLA and TensorFlow's
    own kernels give the same Philox bits, so `jit_compile=True` and False
    draw the same noise (bit for bit on CPU); `tf.random.stateless_normal`'s
    XLA and CPU kernels turn one seed into different normals. Two unnamed
    `tf.Variable`s of the same shape share a path ("Variable") and so their
    noise: name them (Keras paths are unique). A plain tensor (the batched
    lab) has the path "", so the lab's batched runs and its one-at-a-time
    runs (a variable "x") draw different noise. Keras and torch have no
    noisy SGD.
"""

from __future__ import annotations

import math
import zlib

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.selectors import variable_path
from coreopt.core.spec import Spec, numeric, option


def noisy_sgd_update(g, x, slots, t, *, learning_rate, eta, gamma, seed):
    """Pure noisy SGD step; returns (new x, {"noise_key"})."""
    key = slots["noise_key"]
    z = standard_normal(tf.shape(x), seed * 2**32 + key, tf.cast(t, tf.int64))
    sigma = tf.sqrt(eta / t**gamma)
    u = g + ops.like(sigma, x) * tf.cast(z, x.dtype)
    return x - ops.like(learning_rate, x) * u, {"noise_key": key}


def standard_normal(shape, first, second):
    """N(0, 1) draws of `shape` (float32) from the int64 seed pair (first, second)."""
    bits = tf.random.stateless_uniform(tf.concat([shape, [2]], 0), tf.stack([first, second]),
                                       minval=None, maxval=None, dtype=tf.uint32, alg="philox")
    u = (tf.cast(bits, tf.float64) + 1) * 2.0**-32  # in (0, 1]
    radius = tf.sqrt(-2 * tf.math.log(u[..., 0]))
    return tf.cast(radius * tf.cos(2 * math.pi * u[..., 1]), tf.float32)


def noise_key(x) -> int:
    """The CRC-32 of "path:shape" (e.g. "dense/kernel:4x5"; a tensor's path is "")."""
    dims = "x".join(str(n) for n in x.shape)
    return zlib.crc32(f"{variable_path(x) or ''}:{dims}".encode())


@register("noisy_sgd", description="Noisy SGD: gradient plus annealed Gaussian noise")
class NoisySGD(Optimizer):
    """Noisy SGD.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        eta: >= 0, the noise variance at the first step.
        gamma: >= 0, the variance decays as t^-gamma.
        seed: int in [0, 2^31), the noise's seed.
    """

    update_fn = staticmethod(noisy_sgd_update)
    # Its noise is keyed by the variable's path: the batched lab's unnamed tensors draw
    # another stream than the single-run engine's variable "x" (same law, other numbers).
    stochastic = True

    spec = Spec(
        numeric("learning_rate", 1e-3, "[0, inf)", schedule=True),
        numeric("eta", 0.01, "[0, inf)"),
        numeric("gamma", 0.55, "[0, inf)"),
        option("seed", 0, interval="[0, 2147483647]"),
    )

    def init_slots(self, x):
        """The scalar int64 "noise_key" of x's path and shape."""
        return {"noise_key": tf.constant(noise_key(x), tf.int64)}
