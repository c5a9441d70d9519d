"""A test function's values on a grid, as plain arrays for plots.

Plots never import TensorFlow (DESIGN.md), so the lab evaluates the function
for them: `surface(f)` gives the loss (and, in 1-D, the gradient) on a regular
grid over the domain, as NumPy arrays in a dict.

Example:
    >>> from coreopt.lab.surface import surface
    >>> s = surface("seed_quartic", n=5)
    >>> s["x"].tolist(), s["loss"].tolist()
    ([-2.0, -1.0, 0.0, 1.0, 2.0], [10.0, 1.0, 2.0, 7.0, 58.0])
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from coreopt.lab import grid


def surface(function, n: int | None = None, *, domain=None) -> dict:
    """The loss over the domain: 1-D {"x", "loss", "grad"}, 2-D {"x", "y", "loss"}.

    Args:
        function: a `coreopt.functions` name or function of dimension 1 or 2.
        n: points per axis (default 401 in 1-D, 201 in 2-D), >= 2.
        domain: [[low, high], ...] instead of the function's own domain.

    Returns:
        NumPy float64 arrays; in 2-D, loss[i, j] is the loss at (x[j], y[i]).

    Raises:
        ValueError: for a function of another dimension (plots of paths of
            such functions use the curves instead), or a bad `n` or `domain`.
    """
    f = grid.function(function)
    if f.dim not in (1, 2):
        raise ValueError(f"{f!r} has dimension {f.dim}: a surface needs dimension 1 or 2; "
                         "plot its loss and gradient-norm curves instead.")
    n = (401 if f.dim == 1 else 201) if n is None else n
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"`n` must be an int >= 2; received {n!r}.")
    box = np.asarray(f.domain if domain is None else domain, np.float64)
    if box.shape != (f.dim, 2) or not np.all(box[:, 0] < box[:, 1]):
        raise ValueError(f"`domain` must be {f.dim} pairs [low, high] with low < high; "
                         f"received {box.tolist()}.")
    axes = [np.linspace(lo, hi, n) for lo, hi in box]
    if f.dim == 1:
        loss, g = f.value_and_gradient(tf.constant(axes[0][:, None]))
        return {"x": axes[0], "loss": loss.numpy(), "grad": g.numpy()[:, 0]}
    xx, yy = np.meshgrid(*axes)
    loss = f(tf.constant(np.stack([xx, yy], axis=-1)))
    return {"x": axes[0], "y": axes[1], "loss": loss.numpy()}
