"""The committed reference trajectories (references/data/), replayed through an adapter.

`references/generate.py` wrote them with torch.optim 2.13.0 and optax 0.2.8
themselves, on the problem of `references/problem.py`: at step k (1-based) the
gradient of each parameter is `problem.gradient(x, a, b, c, s_k)`, evaluated by
the library on its current parameters in the run's dtype. Here TensorFlow
evaluates the same formula on the variables, the adapter steps them, and the
variables at the recorded steps are compared with the file's, as
tests/parity/loader.py compares coreopt's runs:

    err_k = ||x(k) - x_ref(k)||_2 / max(||x_ref(k)||_2, 1e-3)   over all parameters,

and `replay` returns max_k err_k.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tests.parity.loader import FLOOR, load, problem


def config(library: str, dtype: str, row: str) -> dict:
    """The row's record in the file's meta: the optimizer and the exact kwargs passed."""
    return load(library, dtype).meta["rows"][row]


def _constants(arrays, name, dtype):
    n = len(problem.SHAPES)
    return [tf.constant(arrays[f"{name}.{i}"].astype(dtype)) for i in range(n)]


def replay(adapter, library: str, dtype: str, row: str, *, before_step=None,
           with_value=False) -> float:
    """The largest relative difference from the row's recorded parameters (see above).

    `before_step(k)`: called before step k (a learning-rate change). `with_value`:
    pass `value=` (the summed `problem.loss_term`), as optax's polyak_sgd row did.
    """
    arrays = load(library, dtype).arrays
    a, b, c = (_constants(arrays, name, dtype) for name in ("a", "b", "c"))
    variables = [tf.Variable(x) for x in _constants(arrays, "x0", dtype)]
    recorded = [int(k) for k in arrays["recorded"]]
    ours = {0: [v.numpy() for v in variables]}
    for k in range(1, problem.STEPS + 1):
        s = tf.constant(np.float64(arrays["s"][k - 1]).astype(dtype))
        if before_step is not None:
            before_step(k)
        x = [v.read_value() for v in variables]
        grads = [problem.gradient(xi, ai, bi, ci, s) for xi, ai, bi, ci in zip(x, a, b, c)]
        extra = {}
        if with_value:
            extra["value"] = sum(tf.reduce_sum(problem.loss_term(xi, ai, bi, ci, s))
                                 for xi, ai, bi, ci in zip(x, a, b, c))
        adapter.apply_gradients(grads, variables, **extra)
        if k in recorded:
            ours[k] = [v.numpy() for v in variables]
    worst = 0.0
    for j, k in enumerate(recorded):
        theirs = [arrays[f"{row}.{i}"][j].astype(np.float64) for i in range(len(variables))]
        diff = np.sqrt(sum(np.sum((o.astype(np.float64) - t) ** 2)
                           for o, t in zip(ours[k], theirs)))
        norm = np.sqrt(sum(np.sum(t ** 2) for t in theirs))
        error = float(diff / max(norm, FLOOR))
        worst = max(worst, error if np.isfinite(error) else np.inf)
    return worst
