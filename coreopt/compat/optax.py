"""An optax transformation stepping TensorFlow variables: `from_optax(transformation)`.

It exists to compare against: `coreopt.testing.verify` uses it as a reference,
so that an optimizer can be checked against optax itself. The parameters are a
list of JAX arrays, one per variable of the first call, in that call's order
and of the variables' dtypes. The first call runs `state = tx.init(params)`;
each call then

1. reads the variables and gradients into JAX arrays,
2. runs `updates, state = tx.update(grads, state, params, **extra_args)` and
   `params = optax.apply_updates(params, updates)` (one `jax.jit` program,
   unless `jit=False`),
3. assigns the new parameters to the variables.

It steps eagerly, through NumPy: it is a reference, not a fast path.

Example:
    The lines after the first need optax; without it, the first skips the rest
    (`pytest.importorskip`), as in coreopt's CI, whose default environment has no JAX.

    >>> import pytest; optax = pytest.importorskip("optax")
    >>> import tensorflow as tf
    >>> from coreopt.compat import from_optax
    >>> opt = from_optax(optax.sgd(0.5), name="optax.sgd(0.5)")
    >>> opt
    OptaxOptimizer(name='optax.sgd(0.5)', jit=True)
    >>> x = tf.Variable([1.0, 2.0])
    >>> opt.apply_gradients([tf.constant([1.0, -2.0])], [x])
    >>> x.numpy()
    array([0.5, 3. ], dtype=float32)

Install with `pip install jax jaxlib optax` or `pip install "coreopt[jax]"`.

References:
    optax, `GradientTransformation`: `init(params) -> state` and
    `update(updates, state, params=None) -> (updates, state)`;
    `GradientTransformationExtraArgs.update` also takes keyword arguments
    (`**extra_args`), and `with_extra_args_support` makes a plain
    transformation ignore them (optax/_src/base.py).
    JAX, "Double (64bit) precision": JAX makes float32 arrays from float64
    values unless `jax_enable_x64` is set.

Notes:
    - float64 variables: the first time an adapter meets one, it calls
      `jax.config.update("jax_enable_x64", True)`, which is process-wide: from
      then on every JAX computation in the process may use 64-bit types (a
      Python float or int then defaults to float64 / int64 where JAX infers a
      type). With float32 variables only, the configuration is left alone.
    - Extra arguments: `apply_gradients(grads, vars, **extra_args)` forwards
      them to `update` (optax's `polyak_sgd` needs `value=`, the loss). A
      TensorFlow tensor there becomes a JAX array; under `jit=True` each must be
      an array or a number. Without them such a transformation fails with a
      TypeError that says so.
    - If optax returns a parameter of another dtype than its variable's (a
      promotion inside the transformation), the call raises instead of
      rounding it, and neither the variables nor the optax state change.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from coreopt.compat._eager import EagerAdapter

INSTALL = "pip install jax jaxlib optax"


def _import_optax():
    """(jax, optax), or an ImportError that says what to install."""
    try:
        import jax
        import jax.numpy  # noqa: F401
        import optax
    except ImportError as error:
        raise ImportError(
            "coreopt.compat.from_optax needs optax and JAX, which are not installed: "
            f"`{INSTALL}` or `pip install \"coreopt[jax]\"`.") from error
    return jax, optax


def from_optax(transformation, *, name: str = "optax", jit: bool = True) -> OptaxOptimizer:
    """An optax transformation that steps TensorFlow variables (see the module docstring).

    Args:
        transformation: an `optax.GradientTransformation` (anything with
            `init(params)` and `update(updates, state, params)`), e.g.
            `optax.adam(1e-3)` or an `optax.chain(...)`.
        name: the adapter's `name` (a label for reports: optax transformations
            do not record their hyperparameters).
        jit: compile `update` and `apply_updates` with `jax.jit` (one program,
            traced on the first call); False runs them op by op.

    Returns:
        An `OptaxOptimizer`; its optax state is `.state` (None before the first call).

    Raises:
        ImportError: optax or JAX is not installed (the message says what to install).
        TypeError: `transformation` has no `init` and `update`.

    Example:
        >>> import pytest; optax = pytest.importorskip("optax")  # skips without optax
        >>> from coreopt.compat import from_optax
        >>> from_optax(optax.adam(1e-3), name="optax.adam(1e-3)").name
        'optax.adam(1e-3)'
    """
    _import_optax()
    if not (callable(getattr(transformation, "init", None))
            and callable(getattr(transformation, "update", None))):
        raise TypeError("from_optax needs an optax GradientTransformation (with `init` and "
                        f"`update`), such as optax.adam(1e-3); received {transformation!r}.")
    return OptaxOptimizer(transformation, name=name, jit=jit)


class OptaxOptimizer(EagerAdapter):
    """An optax transformation stepping TensorFlow variables; made by `from_optax`.

    Attributes:
        name: the label given to `from_optax`.
        transformation: the optax transformation.
        state: its optax state (None before the first call).
        iterations: the number of steps taken.
    """

    library = "optax"

    def __init__(self, transformation, *, name: str = "optax", jit: bool = True):
        super().__init__(name)
        self.transformation, self.jit = transformation, bool(jit)
        self.state = None
        self._pending = None
        self._update = None

    def _check_extra(self, extra: dict):
        """Every keyword argument is forwarded to `update`."""

    def _build(self, values):
        jax, optax = _import_optax()
        if any(v.dtype == np.float64 for v in values):
            jax.config.update("jax_enable_x64", True)  # process-wide (see the Notes); idempotent
        tx = optax.with_extra_args_support(self.transformation)

        def update(params, grads, state, **extra):
            updates, state = tx.update(grads, state, params, **extra)
            return optax.apply_updates(params, updates), state

        self.state = self.transformation.init(_arrays(values))
        self._update = jax.jit(update) if self.jit else update

    def _step(self, values, grads, extra):
        extra = {k: _jax_value(v) for k, v in extra.items()}
        try:
            params, self._pending = self._update(_arrays(values), _arrays(grads), self.state,
                                                 **extra)
        except TypeError as error:
            if extra or "required" not in str(error):
                raise
            raise TypeError(
                f"{self.name}: optax's update needs an argument it was not given ({error}). "
                "A transformation that takes extra arguments (optax.polyak_sgd needs value=, "
                "the loss) receives them as apply_gradients(grads, vars, value=...).") from error
        return [np.asarray(p) for p in params]

    def _commit(self):
        self.state, self._pending = self._pending, None

    def __repr__(self):
        return f"OptaxOptimizer(name={self.name!r}, jit={self.jit})"


def _arrays(values) -> list:
    """NumPy arrays as JAX arrays of the same dtypes."""
    import jax.numpy as jnp

    return [jnp.asarray(v) for v in values]


def _jax_value(value):
    """A TensorFlow tensor or variable as a JAX array; anything else as it is."""
    import jax.numpy as jnp

    if isinstance(value, (tf.Tensor, tf.Variable)):
        return jnp.asarray(value.numpy())
    return value
