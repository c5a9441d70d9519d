"""`TestFunction`: a loss with known answers (minimizers, minimum, stationary points).

A test function maps points of shape `[..., dim]` (any number of leading batch
axes, float32 or float64) to one loss per run, shape `[...]`. Runs are
independent: the loss reduces only over the last axis, so one point alone and
the same point inside a batch give the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import tensorflow as tf

_PAD = 64  # a multiple of every SIMD packet width (in elements) the CPU kernels use


def elementwise(op: Callable[[tf.Tensor], tf.Tensor], t: tf.Tensor) -> tf.Tensor:
    """`op(t)` for an elementwise `op`, with bits that do not depend on `t`'s size.

    On CPU, TensorFlow computes `exp`, `cos`, `pow`, ... with SIMD code for most
    elements of a tensor and scalar code for a short tail (and for tensors smaller
    than one SIMD packet); the two can differ in the last bit. Padding the
    flattened tensor to a multiple of `_PAD` elements sends every element through
    the SIMD code, so a point alone and the same point in a batch agree exactly
    (values and gradients). Exact operations (+, -, *, /) need no wrapper; sqrt
    does (its value is exact, its gradient kernel is not).

    Example:
        >>> import tensorflow as tf
        >>> float(elementwise(tf.exp, tf.constant([0.0]))[0])
        1.0
    """
    shape = tf.shape(t)
    flat = tf.reshape(t, [-1])
    n = tf.size(flat)
    padded = tf.pad(flat, [[0, tf.math.floormod(-n, _PAD)]])
    return tf.reshape(op(padded)[:n], shape)


def _array(value, name: str, owner: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """`value` as a read-only float64 array of `shape` (None: any size)."""
    arr = np.array(value, dtype=np.float64)
    ok = arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape))
    if not ok:
        want = "[" + ", ".join("k" if s is None else str(s) for s in shape) + "]"
        raise ValueError(f"{owner}: {name} must have shape {want}; got {arr.shape}")
    arr.setflags(write=False)
    return arr


class TestFunction:
    """A loss function of `dim` variables with its known answers.

    Attributes:
        name: the registry name, e.g. "rosenbrock".
        dim: the number of variables (the size of the last axis of a point).
        params: the parameters it was built with, e.g. {"dim": 2, "condition": 10.0}.
        fn: the TensorFlow-traceable loss, `[..., dim]` -> `[...]`, same dtype.
        domain: float64 `[dim, 2]` of (low, high) per coordinate, for plots and
            random starts.
        strict_domain: True when the function is undefined outside `domain`.
        minimizers: float64 `[k, dim]` of the known global minimizers (k may be 0).
        minimum: the global minimum, or None when there is none.
        stationary: label -> float64 `[k, dim]` of other stationary points.
        start: float64 `[dim]`, the default initial point.
        tags: e.g. ("convex", "n-d").
        description: one line with the formula.

    Example:
        >>> import numpy as np
        >>> f = TestFunction("bowl", lambda x: tf.reduce_sum(x * x, axis=-1), 2,
        ...                  domain=[[-1, 1], [-1, 1]], minimizers=[[0, 0]], minimum=0.0)
        >>> f
        bowl(dim=2)
        >>> float(f([3.0, 4.0]))
        25.0
    """

    __test__ = False  # not a pytest test class

    def __init__(self, name: str, fn: Callable, dim: int, *, params: Mapping | None = None,
                 domain, minimizers=(), minimum: float | None = None,
                 stationary: Mapping | None = None, start=None, tags=(),
                 description: str = "", strict_domain: bool = False):
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
            raise ValueError(f"{name}: dim must be an integer >= 1; got {dim!r}")
        set_ = object.__setattr__
        set_(self, "name", str(name))
        set_(self, "dim", dim)
        set_(self, "params", dict(params) if params is not None else {"dim": dim})
        set_(self, "fn", fn)
        set_(self, "domain", _array(domain, "domain", name, (dim, 2)))
        if not np.all(np.isfinite(self.domain)) or np.any(self.domain[:, 0] >= self.domain[:, 1]):
            raise ValueError(f"{name}: domain needs finite low < high per coordinate; "
                             f"got {self.domain.tolist()}")
        mins = np.reshape(np.array(minimizers, dtype=np.float64), (-1, dim))
        set_(self, "minimizers", _array(mins, "minimizers", name, (None, dim)))
        set_(self, "minimum", None if minimum is None else float(minimum))
        set_(self, "stationary", {str(k): _array(np.reshape(np.array(v, np.float64), (-1, dim)),
                                                 f"stationary[{k!r}]", name, (None, dim))
                                  for k, v in (stationary or {}).items()})
        start = self.domain.mean(axis=1) if start is None else start
        set_(self, "start", _array(np.broadcast_to(start, (dim,)), "start", name, (dim,)))
        set_(self, "tags", tuple(tags))
        set_(self, "description", str(description))
        set_(self, "strict_domain", bool(strict_domain))

    def __setattr__(self, key, value):
        raise AttributeError(f"TestFunction is read-only; cannot set {key!r}")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"

    # ---------------------------------------------------------------- evaluation
    def _tensor(self, x) -> tf.Tensor:
        t = tf.convert_to_tensor(x)
        if not t.dtype.is_floating:
            t = tf.cast(t, tf.float32)
        if t.shape.rank == 0 or (t.shape[-1] is not None and t.shape[-1] != self.dim):
            raise ValueError(f"{self!r}: a point must have shape [..., {self.dim}]; "
                             f"got {tuple(t.shape)}")
        return t

    def __call__(self, x) -> tf.Tensor:
        """The loss at `x` (`[..., dim]`), shape `[...]`."""
        return self.fn(self._tensor(x))

    def value_and_gradient(self, x) -> tuple[tf.Tensor, tf.Tensor]:
        """(loss `[...]`, gradient `[..., dim]`) at `x`, by `tf.GradientTape`."""
        x = self._tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = self.fn(x)
            total = tf.reduce_sum(loss)  # runs are independent: per-run gradients
        return loss, tape.gradient(total, x)

    def gap(self, loss):
        """`loss - minimum` (NaN when there is no minimum)."""
        return loss - (math.nan if self.minimum is None else self.minimum)

    # ----------------------------------------------------------------- geometry
    def nearest_minimizer(self, x):
        """(nearest known minimizer, Euclidean distance) for `x` of `[dim]` or `[n, dim]`.

        Vectorised: `[n, dim]` gives `[n, dim]` points and `[n]` distances. With no
        known minimizer the point is None and the distance NaN.
        """
        x = np.asarray(x, dtype=np.float64)
        one = x.ndim == 1
        pts = np.atleast_2d(x)
        if pts.shape[-1] != self.dim:
            raise ValueError(f"{self!r}: x must have shape [{self.dim}] or [n, {self.dim}]; "
                             f"got {x.shape}")
        if len(self.minimizers) == 0:
            dist = np.full(len(pts), np.nan)
            return None, (dist[0] if one else dist)
        d = np.linalg.norm(pts[:, None, :] - self.minimizers[None, :, :], axis=-1)
        idx = np.argmin(d, axis=1)
        best, dist = self.minimizers[idx], d[np.arange(len(pts)), idx]
        return (best[0], float(dist[0])) if one else (best, dist)

    def random_starts(self, n: int, seed=None) -> np.ndarray:
        """`n` points uniform in the domain, float64 `[n, dim]`, from `default_rng(seed)`."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ValueError(f"n must be an integer >= 0; got {n!r}")
        rng = np.random.default_rng(seed)
        return rng.uniform(self.domain[:, 0], self.domain[:, 1], size=(int(n), self.dim))

    def check_start(self, x) -> np.ndarray:
        """`x` as float64 `[dim]` or `[n, dim]`, after checking shape and values.

        Raises:
            ValueError: wrong last dimension, a non-finite coordinate, or (when
                `strict_domain`) a coordinate outside the domain.
        """
        arr = np.array(x, dtype=np.float64)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.dim:
            raise ValueError(f"{self!r}: a start must have shape [{self.dim}] or "
                             f"[n, {self.dim}] (dim={self.dim}); got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{self!r}: a start must be finite; got {arr.tolist()}")
        if self.strict_domain:
            lo, hi = self.domain[:, 0], self.domain[:, 1]
            bad = np.argwhere((arr < lo) | (arr > hi))
            if len(bad):
                i = int(bad[0][-1])
                raise ValueError(f"{self!r}: start coordinate {i} = {arr[tuple(bad[0])]} is "
                                 f"outside the domain [{lo[i]}, {hi[i]}]")
        return arr

    def to_dict(self) -> dict:
        """A plain, JSON-able description (no TensorFlow objects)."""
        return {
            "name": self.name, "params": dict(self.params), "dim": self.dim,
            "domain": self.domain.tolist(), "minimizers": self.minimizers.tolist(),
            "minimum": self.minimum,
            "stationary": {k: v.tolist() for k, v in self.stationary.items()},
            "start": self.start.tolist(), "tags": list(self.tags),
            "description": self.description, "strict_domain": self.strict_domain,
        }
