"""The reference problem: four parameters and a closed-form gradient field.

Every library sees the same gradients of its own current parameters. For the
parameter values x at the start of step k (k = 1, ..., STEPS), element by element,

    g_k(x) = a * x + b * (x * x * x) + c * s_k,        s_k = 1 + sin(k),

evaluated in that order, in the run's dtype, by the library's own tensor ops
(`gradient` below is written with Python operators only, so a torch tensor, a
JAX array and a TensorFlow tensor each evaluate it themselves). It is the
gradient of the loss

    f_k(x) = sum(a * x^2 / 2 + b * x^4 / 4 + c * s_k * x),

which only `optax.polyak_sgd` reads (`loss_term`). a > 0 and b > 0 make the
field a contraction for the learning rates used, so rounding differences do
not grow. The forcing c * s_k has a mean, c, that holds each element away from
zero (where a * x + b * x^3 = -c, |x| between 0.2 and 0.8), so relative
differences are measured on values of order one, and an oscillation, c * sin(k),
that keeps the parameters moving for all 200 steps. The constants a, b, c and
the start x_0 are dyadic fractions (exact in float32 and float64); s_k is
computed once in double precision (`math.sin`), stored in every data file,
and rounded to the run's dtype by each library.

This file imports nothing beyond the standard library: the generator's
environments (torch, JAX) and the test suite's (TensorFlow) all load it.
"""

from __future__ import annotations

import math

SHAPES = [(), (3,), (2, 3), (2, 2, 2)]
STEPS = 200
# Parameters are recorded after these steps (0: the start): every step up to
# 10, where bias corrections and warm-ups differ most, then every 10th.
RECORDED = list(range(11)) + list(range(20, STEPS + 1, 10))

FORMULA = "g_k(x) = a*x + b*(x*x*x) + c*s_k, s_k = 1 + sin(k), k = 1..200 (1-based step)"


def _size(shape):
    return math.prod(shape)


def _element_constants():
    """(a, b, c, x0) for each of the 18 elements, by global element index i."""
    total = sum(_size(s) for s in SHAPES)
    a = [0.5 + 0.0625 * (i % 16) for i in range(total)]
    b = [0.125 * (1 + i % 3) for i in range(total)]
    c = [(-1) ** i * (0.25 + 0.125 * (i % 4)) for i in range(total)]
    x0 = [(-1) ** (i // 2) * (0.25 + 0.0625 * ((5 * i) % 17)) for i in range(total)]
    return a, b, c, x0


def _nest(flat, shape):
    """A flat list as nested lists of `shape` (row-major); a float for shape ()."""
    if not shape:
        return flat[0]
    step = _size(shape[1:])
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def constants():
    """{"a", "b", "c", "x0"}: each a list of nested lists, one per shape in SHAPES."""
    out = {}
    for name, flat in zip(("a", "b", "c", "x0"), _element_constants()):
        parts, start = [], 0
        for shape in SHAPES:
            n = _size(shape)
            parts.append(_nest(flat[start:start + n], shape))
            start += n
        out[name] = parts
    return out


def forcing():
    """s_k = 1 + sin(k) for k = 1..STEPS, as Python floats (double precision)."""
    return [1.0 + math.sin(k) for k in range(1, STEPS + 1)]


def gradient(x, a, b, c, s):
    """g = a*x + b*(x*x*x) + c*s, with every operand a tensor of the library and dtype."""
    return a * x + b * (x * x * x) + c * s


def loss_term(x, a, b, c, s):
    """The elementwise loss a*x^2/2 + b*x^4/4 + c*s*x (sum it over all elements)."""
    xx = x * x
    return a * xx * 0.5 + b * (xx * xx) * 0.25 + c * s * x
