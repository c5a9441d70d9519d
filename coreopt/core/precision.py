"""Half-precision variables: stepped in float32, with float32 slots, by default.

A float16 or bfloat16 variable is read as float32, its gradient cast to float32,
the update computed there with its slots kept in float32, and only the new
value rounded back to the variable's dtype. In float16 itself Adam's second
moment (1 - beta_2) g^2 flushes to zero once |g| falls below about 8e-3
(float16's smallest subnormal is 6e-8) while epsilon = 1e-7 rounds to 1.2e-7,
so the step becomes m / epsilon and overflows to inf; in float32 it does not.
optax offers the same choice for Adam's first moment (`mu_dtype`); Keras and
torch.optim keep the slots in the variable's dtype, which
`half_in_float32=False` reproduces (and warns about, once per optimizer).

A bfloat16 variable keeps 8 significant bits: a step smaller than about
2^-9 of the value (0.2%) rounds away whatever the slots' precision, so
training bfloat16 weights directly stalls at small learning rates. The build
warns once; keep float32 weights and compute in bfloat16 instead (Keras's
`mixed_bfloat16` policy does this).

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([1.0, -1.0], dtype=tf.float16)
    >>> opt = coreopt.Adam(learning_rate=0.01)
    >>> for _ in range(10):
    ...     opt.apply_gradients([tf.constant([1e-4, -1e-4], tf.float16)], [x])
    >>> x.numpy().tolist(), opt.get_slot(x, "v").dtype.name
    ([0.90234375, -0.90234375], 'float32')
"""

from __future__ import annotations

import warnings

import tensorflow as tf

HALF = (tf.float16, tf.bfloat16)


def compute_dtype(dtype, half_in_float32: bool = True) -> tf.DType:
    """float32 for a half-precision `dtype` (when `half_in_float32`), else `dtype`."""
    dtype = tf.as_dtype(dtype)
    return tf.float32 if half_in_float32 and dtype in HALF else dtype


def warn_once(optimizer, variable):
    """Warns, once per optimizer and kind, where a half-precision variable cannot train well."""
    seen = optimizer.__dict__.setdefault("_precision_warned", set())
    name = variable.name.split(":")[0]
    if variable.dtype in HALF and not optimizer.half_in_float32 and "slots" not in seen:
        seen.add("slots")
        warnings.warn(
            f"{type(optimizer).__name__}(half_in_float32=False) steps {variable.dtype.name} "
            f"variable {name!r} in {variable.dtype.name}, slots included: squared gradients "
            "and small epsilons underflow there (Adam's step becomes m / epsilon). The default "
            "steps half-precision variables in float32.", stacklevel=4)
    if variable.dtype == tf.bfloat16 and "bfloat16" not in seen:
        seen.add("bfloat16")
        warnings.warn(
            f"bfloat16 variable {name!r}: bfloat16 keeps 8 significant bits, so a step "
            "smaller than about 0.2% of a weight rounds away and training stalls at small "
            "learning rates. Keep float32 weights (Keras's mixed_bfloat16 policy).",
            stacklevel=4)
