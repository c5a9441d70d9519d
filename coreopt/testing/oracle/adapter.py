"""`from_oracle`: coreopt's NumPy oracle stepping TensorFlow variables, as a reference.

`from_oracle("adam", beta_1=0.8)` is an optimizer with `apply_gradients(grads,
vars)` whose every step is the float64 oracle's (`coreopt.testing.oracle`):
it reads the variables and gradients into NumPy, steps the oracle, and writes
the result back rounded to each variable's dtype. The oracle's state stays in
float64. Its argument checks, its keyed state and its refusals (a `None`
gradient, a new variable, a call inside `tf.function`) are those of
`from_torch` and `from_optax` (`coreopt.compat._eager`).

`verify(candidate, "oracle:adam(epsilon_hat=true)")` and `coreopt verify ...
--against "oracle:adam"` use it: a reference that is written from the paper
and shares no code with coreopt's TensorFlow optimizers.

Example:
    >>> import tensorflow as tf
    >>> x = tf.Variable([1.0, 2.0], dtype=tf.float64)
    >>> opt = from_oracle("gd", learning_rate=0.5)
    >>> opt.apply_gradients([tf.constant([1.0, -2.0], tf.float64)], [x])
    >>> x.numpy().tolist(), opt.iterations
    ([0.5, 3.0], 1)
"""

from __future__ import annotations

import copy

import numpy as np

from coreopt.compat._eager import EagerAdapter

__all__ = ["OracleOptimizer", "from_oracle"]


def from_oracle(name: str, **hyperparameters) -> OracleOptimizer:
    """The oracle of the registered optimizer `name` (or an alias) with its hyperparameters.

    Raises:
        ValueError: `name` is not a registered optimizer (with close names).
        TypeError: a hyperparameter the oracle does not take.
    """
    import coreopt
    from coreopt.testing.oracle import REFERENCES

    entry = coreopt.entry(name)  # ValueError with "did you mean" for an unknown name
    if entry.name not in REFERENCES:
        raise ValueError(f"{entry.name!r} has no NumPy oracle; those with one: "
                         f"{', '.join(sorted(REFERENCES))}.")
    REFERENCES[entry.name](**hyperparameters)  # TypeError naming an unknown hyperparameter
    return OracleOptimizer(entry.name, hyperparameters)


class OracleOptimizer(EagerAdapter):
    """The oracle of one optimizer stepping TensorFlow variables; made by `from_oracle`.

    Attributes:
        name: "oracle:adam(beta_1=0.8)".
        oracle: the `coreopt.testing.oracle.Reference` (None before the first call).
        iterations: the number of steps taken.
    """

    library = "oracle"

    def __init__(self, optimizer: str, hyperparameters: dict):
        body = ", ".join(f"{k}={v!r}" for k, v in hyperparameters.items())
        super().__init__(f"oracle:{optimizer}({body})" if body else f"oracle:{optimizer}")
        self.optimizer, self.hyperparameters = optimizer, dict(hyperparameters)
        self.oracle = self._next = None

    def _build(self, values):
        from coreopt.testing.oracle import REFERENCES

        self.oracle = REFERENCES[self.optimizer](**self.hyperparameters)
        self.oracle.start(values)  # the state that starts from the variables' values

    def _step(self, values, grads, extra):
        from coreopt.core.selectors import variable_path

        self._next = copy.deepcopy(self.oracle)  # kept only once the new values pass the checks
        self._next.paths = {i: variable_path(r.deref()) for i, r in enumerate(self._refs)}
        new = self._next.step([np.asarray(g, np.float64) for g in grads], values)
        return [np.asarray(n).astype(v.dtype) for n, v in zip(new, values)]

    def _commit(self):
        self.oracle = self._next
