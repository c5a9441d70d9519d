"""Variables and gradients as the shell takes them: pairing, unwrapping, checks, reads, writes.

`apply_gradients(grads, vars)` and `apply_gradients(zip(grads, vars))` both
come through `split_pairs`; a Keras 3 variable is stepped through the
`tf.Variable` it wraps (`unwrap`); `prepare` refuses what cannot be stepped
(naming the argument, before any state changes), drops `None` gradients with a
warning and densifies `tf.IndexedSlices`.

Example:
    >>> import tensorflow as tf
    >>> x = tf.Variable([1.0, 2.0])
    >>> grads, variables = prepare([(tf.constant([1, 1]), x)], None)
    >>> grads[0].dtype.name, variables[0] is x
    ('float32', True)
"""

from __future__ import annotations

import warnings

import tensorflow as tf

__all__ = ["assign", "check_variables", "dense", "prepare", "read", "split_pairs", "unwrap"]


def read(tree):
    """A nested structure of variables as tensors."""
    return tf.nest.map_structure(tf.convert_to_tensor, tree)


def assign(variables, values):
    """Assigns a nested structure of values to the same structure of variables (each value
    rounded to its variable's dtype: a float16 parameter stepped in float32)."""
    tf.nest.map_structure(lambda var, value: var.assign(tf.cast(value, var.dtype)),
                          variables, values)


def unwrap(variable):
    """The `tf.Variable` under a Keras 3 variable (itself for anything else)."""
    inner = getattr(variable, "value", None)
    if not isinstance(variable, tf.Variable) and isinstance(inner, tf.Variable):
        return inner
    return variable


def check_variables(variables):
    seen = set()
    for i, var in enumerate(variables):
        if not isinstance(var, tf.Variable):
            raise TypeError(
                f"`vars[{i}]` must be a tf.Variable or a Keras variable; received "
                f"{type(var).__name__}.")
        if not var.dtype.is_floating:
            raise TypeError(
                f"`vars[{i}]` ({var.name}) must have a float dtype; received {var.dtype.name}.")
        if var.ref() in seen:
            raise ValueError(f"`vars[{i}]` ({var.name}) appears more than once.")
        seen.add(var.ref())
    return variables


def split_pairs(grads, variables):
    """(gradients, variables) as two lists from `(grads, vars)` or `(pairs, None)`, each
    variable unwrapped (Keras 3's), of the same length (ValueError otherwise)."""
    if isinstance(grads, dict):  # iterating a dict gives its keys, never the gradients
        raise TypeError(
            "`grads` must be a list of gradients (then `vars`, in the same order) or of "
            "(gradient, variable) pairs; received a dict: pass its gradients as a list in "
            "the order of `vars`, e.g. [grads[v.name] for v in vars].")
    if variables is None:
        pairs = list(grads)
        if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
            raise TypeError("apply_gradients(pairs): each item must be a (gradient, variable) "
                            "pair; or call apply_gradients(grads, vars).")
        grads, variables = [p[0] for p in pairs], [p[1] for p in pairs]
    grads, variables = list(grads), [unwrap(v) for v in variables]
    if len(grads) != len(variables):
        raise ValueError(
            f"`grads` and `vars` must have the same length; received {len(grads)} "
            f"gradients for {len(variables)} variables.")
    return grads, variables


def prepare(grads, variables):
    """Pairs, checks and densifies gradients; drops `None` ones with a warning."""
    grads, variables = split_pairs(grads, variables)
    check_variables(variables)
    missing = [v.name for g, v in zip(grads, variables) if g is None]
    if missing:
        if len(missing) == len(variables):
            raise ValueError("No gradients provided for any variable.")
        warnings.warn(f"Gradients are None for variables {missing}; skipping them.",
                      stacklevel=3)
    kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
    return [dense(g, v) for g, v in kept], [v for _, v in kept]


def dense(grad, var):
    """The gradient as a dense tensor of the variable's dtype, shape checked."""
    grad = tf.convert_to_tensor(grad)  # densifies tf.IndexedSlices too
    if not (grad.dtype.is_floating or grad.dtype.is_integer):
        raise TypeError(f"gradient for {var.name} must be numeric; received {grad.dtype.name}.")
    if not grad.shape.is_compatible_with(var.shape):
        raise ValueError(
            f"gradient for {var.name} has shape {grad.shape}; the variable has shape "
            f"{var.shape}.")
    return tf.cast(grad, var.dtype)
