"""Test functions of any number of variables: f(x) for x of shape [..., dim].

References:
    Rosenbrock, 1960, "An automatic method for finding the greatest or least value
    of a function" (the N-D chain form as in Jamil & Yang 2013); Rastrigin, 1974,
    "Systems of extremal control"; Styblinski & Tang, 1990, "Experiments in
    nonconvex optimization"; Jamil & Yang, 2013, "A literature survey of benchmark
    functions for global optimization problems".
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import tensorflow as tf

from coreopt.functions.base import TestFunction, elementwise
from coreopt.functions.registry import Param, register

# Roots of 4x^3 - 32x + 5 = 0 (the Styblinski-Tang stationary coordinates), to full
# float64 precision, and the per-coordinate value at the global one.
ST_MIN_X = -2.903534027771177
ST_MAX_X = 0.1567312567803401
ST_LOCAL_X = 2.746802770990837
ST_MIN_VALUE = -39.166165703771415  # 0.5 (x^4 - 16x^2 + 5x) at ST_MIN_X


def _make(name, fn, dim, params, domain, minimizers, minimum, start, tags, description,
          **kw):
    return TestFunction(name, fn, dim, params=params, domain=domain, minimizers=minimizers,
                        minimum=minimum, start=start, tags=("n-d", *tags),
                        description=description, **kw)


@register("quadratic", dim=Param(2), condition=Param(10.0, float, 1.0))
def quadratic(dim: int, condition: float) -> TestFunction:
    """A convex quadratic 0.5 sum_i lambda_i x_i^2 with condition number `condition`.

    lambda_i are log-spaced from 1 to `condition` (lambda = [1] when dim = 1).
    Minimum 0 at 0.
    """
    lam = np.geomspace(1.0, condition, dim) if dim > 1 else np.ones(1)

    def fn(x):
        return 0.5 * tf.reduce_sum(tf.constant(lam, x.dtype) * x * x, axis=-1)

    return _make("quadratic", fn, dim, {"dim": dim, "condition": condition},
                 [[-2.0, 2.0]] * dim, np.zeros((1, dim)), 0.0, np.ones(dim), ("convex",),
                 "f = 0.5 sum_i lambda_i x_i^2, lambda log-spaced in [1, condition]")


def _rosenbrock(x):
    a, b = x[..., :-1], x[..., 1:]
    return tf.reduce_sum(100 * tf.square(b - a * a) + tf.square(1 - a), axis=-1)


@register("rosenbrock", dim=Param(2, int, 2))
def rosenbrock(dim: int) -> TestFunction:
    """Rosenbrock: sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2.

    A curved, narrow valley; minimum 0 at (1, ..., 1). The classic start is
    (-1.2, 1), repeated for dim > 2.
    """
    domain = [[-2.0, 2.0], [-1.0, 3.0]] if dim == 2 else [[-2.0, 2.0]] * dim
    start = np.resize([-1.2, 1.0], dim)
    return _make("rosenbrock", _rosenbrock, dim, {"dim": dim}, domain, np.ones((1, dim)), 0.0,
                 start, ("nonconvex",), "f = sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2")


def _rastrigin(x):
    c = elementwise(tf.cos, (2 * math.pi) * x)
    return tf.reduce_sum(x * x - 10 * c + 10, axis=-1)


@register("rastrigin", dim=Param(2))
def rastrigin(dim: int) -> TestFunction:
    """Rastrigin: 10 n + sum_i (x_i^2 - 10 cos(2π x_i)); minimum 0 at 0, a grid of local minima."""
    return _make("rastrigin", _rastrigin, dim, {"dim": dim}, [[-5.12, 5.12]] * dim,
                 np.zeros((1, dim)), 0.0, np.full(dim, 2.5), ("multimodal",),
                 "f = 10 n + sum_i (x_i^2 - 10 cos(2 pi x_i))")


def _styblinski_tang(x):
    x2 = x * x
    return 0.5 * tf.reduce_sum(x2 * x2 - 16 * x2 + 5 * x, axis=-1)


@register("styblinski_tang", dim=Param(2))
def styblinski_tang(dim: int) -> TestFunction:
    """Styblinski-Tang: 0.5 sum_i (x_i^4 - 16 x_i^2 + 5 x_i).

    Each coordinate's stationary points are the roots of 4x^3 - 32x + 5 = 0:
    -2.9035... (global), 0.1567... (maximum) and 2.7468... (local). Minimum
    -39.166165703771415 * dim. Stationary points: the maximum (all coordinates
    0.1567...) and the other local minima (every mix of -2.9035... and
    2.7468..., listed for dim <= 3; only the all-2.7468... one above).
    """
    if dim <= 3:
        local = [p for p in itertools.product([ST_MIN_X, ST_LOCAL_X], repeat=dim)
                 if any(v == ST_LOCAL_X for v in p)]
    else:
        local = [[ST_LOCAL_X] * dim]
    stationary = {"local_min": local, "local_max": [[ST_MAX_X] * dim]}
    return _make("styblinski_tang", _styblinski_tang, dim, {"dim": dim}, [[-5.0, 5.0]] * dim,
                 np.full((1, dim), ST_MIN_X), ST_MIN_VALUE * dim, np.zeros(dim),
                 ("multimodal",), "f = 0.5 sum_i (x_i^4 - 16 x_i^2 + 5 x_i)",
                 stationary=stationary)
