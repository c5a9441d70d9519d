"""A user's own loss as a `TestFunction`, and `resolve` (name, object or callable)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import tensorflow as tf

from coreopt.functions.base import TestFunction
from coreopt.functions.registry import get


def _probe(fn: Callable, point: np.ndarray):
    """`fn(point)` eagerly, in float32 (float64 if float32 fails)."""
    try:
        return tf.convert_to_tensor(fn(tf.constant(point, tf.float32)))
    except (TypeError, tf.errors.InvalidArgumentError):
        return tf.convert_to_tensor(fn(tf.constant(point, tf.float64)))


def _checked(fn: Callable, dim: int, start: np.ndarray, batched: bool) -> Callable:
    """The batched form of `fn`, after checking it returns one scalar per run."""
    point = np.stack([start, start]) if batched else start
    out = _probe(fn, point)
    shape = tuple(out.shape)
    squeeze = batched and dim == 1 and shape == (2, 1)  # an elementwise loss of one variable
    ok = (shape == (2,) or squeeze) if batched else out.shape.num_elements() == 1
    if not ok:
        want = "(2,)" if batched else "() (one element)"
        raise ValueError(
            f"loss function must return one scalar per run; got shape {shape} for input "
            f"of shape {point.shape} (expected {want})")
    if batched:
        return (lambda x: tf.squeeze(fn(x), -1)) if squeeze else fn

    def one(p):
        return tf.reshape(fn(p), [])

    def batched_fn(x):
        flat = tf.reshape(x, [-1, dim])
        return tf.reshape(tf.vectorized_map(one, flat), tf.shape(x)[:-1])

    return batched_fn


def _default_domain(dim: int, points: list[np.ndarray]) -> np.ndarray:
    """[-5, 5] per coordinate, widened by 1 to hold every given point."""
    pts = np.concatenate([np.zeros((1, dim)), *[np.reshape(p, (-1, dim)) for p in points]])
    return np.stack([np.minimum(-5.0, pts.min(0) - 1), np.maximum(5.0, pts.max(0) + 1)], 1)


def _first_line(fn) -> str:
    doc = getattr(fn, "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def custom(fn: Callable, dim: int, *, name: str = "custom", minimizers=None,
           minimum: float | None = None, domain=None, start=None,
           stationary: Mapping | None = None, tags=(), batched: bool = False,
           strict_domain: bool = False) -> TestFunction:
    """A user's loss `fn` as a `TestFunction`.

    Args:
        fn: with `batched=False`, a loss of ONE point `[dim]` returning a scalar
            (it is vectorised with `tf.vectorized_map` over the leading axes);
            with `batched=True`, a loss of `[..., dim]` returning `[...]`.
        dim: the number of variables, an integer >= 1.
        minimizers, minimum, stationary: known answers, if any.
        domain: `[dim, 2]`; default [-5, 5] per coordinate, widened to hold the
            start and minimizers.
        start: `[dim]`; default the centre of the domain.
        strict_domain: `fn` is undefined outside `domain`.

    Raises:
        ValueError: `fn` does not return one scalar per run (checked once, now,
            at the start point), or an argument has the wrong shape.

    Example:
        >>> f = custom(lambda x: 2 * x**4 + 3 * x**3 + 2, dim=1)
        >>> f
        custom(dim=1)
        >>> f([[2.0], [0.0]]).numpy().tolist()
        [58.0, 2.0]
    """
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or dim < 1:
        raise ValueError(f"custom: dim must be an integer >= 1; got {dim!r}")
    dim = int(dim)
    given = [p for p in (start, minimizers) if p is not None]
    domain = _default_domain(dim, given) if domain is None else domain
    probe = TestFunction(name, fn, dim, domain=domain, start=start,
                         minimizers=() if minimizers is None else minimizers)
    if strict_domain:
        TestFunction(name, fn, dim, domain=probe.domain, strict_domain=True).check_start(
            probe.start)
    wrapped = _checked(fn, dim, probe.start, batched)
    return TestFunction(name, wrapped, dim, params={"dim": dim}, domain=probe.domain,
                        minimizers=probe.minimizers, minimum=minimum, stationary=stationary,
                        start=probe.start, tags=tags, strict_domain=strict_domain,
                        description=_first_line(fn) or f"user function {name}")


def resolve(obj, dim: int | None = None) -> TestFunction:
    """A `TestFunction` from a registered name, a `TestFunction` or a plain callable.

    A name gives `get(name)` (`get(name, dim=dim)` when `dim` is given); a
    callable gives `custom(obj, dim=dim)` and then needs `dim`.

    Raises:
        ValueError: a callable without `dim`, or a `TestFunction` of another dim.
        TypeError: anything else.
    """
    if isinstance(obj, TestFunction):
        if dim is not None and dim != obj.dim:
            raise ValueError(f"{obj!r} has dim={obj.dim}; got dim={dim}")
        return obj
    if isinstance(obj, str):
        return get(obj) if dim is None else get(obj, dim=dim)
    if callable(obj):
        if dim is None:
            raise ValueError("resolve: a plain callable needs dim (an integer >= 1)")
        return custom(obj, dim=dim)
    raise TypeError(f"resolve: expected a test function name, a TestFunction or a callable; "
                    f"got {type(obj).__name__}")
