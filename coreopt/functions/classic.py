"""Classic test functions of two variables.

Each takes points `[..., dim]` and returns `[...]`. Minimizers known only
numerically are stored to full float64 precision (Newton's method with exact
rational gradients), so the gradient there is at rounding level.

References:
    Jamil & Yang, 2013, "A literature survey of benchmark functions for global
    optimization problems" (formulas, domains and minimizers unless noted);
    Dixon & Szegő, 1978, "Towards global optimisation 2" (six-hump camel,
    Goldstein-Price); Himmelblau, 1972, "Applied Nonlinear Programming";
    Ackley, 1987, "A connectionist machine for genetic hillclimbing".
"""

from __future__ import annotations

import math

import tensorflow as tf

from coreopt.functions.base import TestFunction, elementwise
from coreopt.functions.registry import Param, register

TWO_D = Param.fixed(2)


def _xy(x):
    return x[..., 0], x[..., 1]


def _sq(t):
    return t * t  # exact in every code path, unlike pow


def _make(name, fn, dim, domain, minimizers, minimum, start, tags, description, **kw):
    return TestFunction(name, fn, dim, params={"dim": dim}, domain=domain,
                        minimizers=minimizers, minimum=minimum, start=start,
                        tags=(f"{dim}-d", *tags), description=description, **kw)


# ---------------------------------------------------------------------- polynomials
def _beale(x):
    x, y = _xy(x)
    return (_sq(1.5 - x + x * y) + _sq(2.25 - x + x * y * y)
            + _sq(2.625 - x + x * y * y * y))


@register("beale", dim=TWO_D)
def beale(dim: int) -> TestFunction:
    """Beale: (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2.

    Minimum 0 at (3, 0.5); flat valleys along the axes, saddles at (0, 1) and
    near (0.1005, -2.6445).
    """
    saddles = [[0.0, 1.0], [0.10053793732415836, -2.644513585023125]]
    return _make("beale", _beale, dim, [[-4.5, 4.5]] * 2, [[3.0, 0.5]], 0.0, [1.0, 1.0],
                 ("multimodal",),
                 "f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
                 stationary={"saddle": saddles})


def _booth(x):
    x, y = _xy(x)
    return _sq(x + 2 * y - 7) + _sq(2 * x + y - 5)


@register("booth", dim=TWO_D)
def booth(dim: int) -> TestFunction:
    """Booth: (x + 2y - 7)^2 + (2x + y - 5)^2, a convex quadratic; minimum 0 at (1, 3)."""
    return _make("booth", _booth, dim, [[-10.0, 10.0]] * 2, [[1.0, 3.0]], 0.0, [-5.0, -5.0],
                 ("convex",), "f = (x + 2y - 7)^2 + (2x + y - 5)^2")


def _himmelblau(x):
    x, y = _xy(x)
    return _sq(x * x + y - 11) + _sq(x + y * y - 7)


@register("himmelblau", dim=TWO_D)
def himmelblau(dim: int) -> TestFunction:
    """Himmelblau: (x^2 + y - 11)^2 + (x + y^2 - 7)^2.

    Four global minima of value 0 (one at (3, 2), three known numerically), a
    local maximum near (-0.2708, -0.9230) and four saddle points.
    """
    minimizers = [[3.0, 2.0], [-2.805118086952745, 3.131312518250573],
                  [-3.779310253377747, -3.2831859912861696],
                  [3.5844283403304917, -1.8481265269644036]]
    stationary = {
        "local_max": [[-0.2708445906673476, -0.9230385564799815]],
        "saddle": [[0.08667750455539636, 2.884254701174776],
                   [-3.0730257507643897, -0.08135304428796751],
                   [-0.12796134673068008, -1.9537149802445763],
                   [3.385154183607021, 0.07385187983774928]],
    }
    return _make("himmelblau", _himmelblau, dim, [[-5.0, 5.0]] * 2, minimizers, 0.0,
                 [0.0, 0.0], ("multimodal",), "f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
                 stationary=stationary)


def _six_hump_camel(x):
    x, y = _xy(x)
    x2, y2 = x * x, y * y
    return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (-4 + 4 * y2) * y2


@register("six_hump_camel", aliases=("camel",), dim=TWO_D)
def six_hump_camel(dim: int) -> TestFunction:
    """Six-hump camel: (4 - 2.1x^2 + x^4/3) x^2 + xy + (-4 + 4y^2) y^2.

    Two global minima -1.0316284534898774 near (±0.0898, ∓0.7126) and four
    other local minima (Dixon & Szegő 1978).
    """
    a, b = 0.08984201310031806, 0.7126564030207396
    local = [[1.703606714969981, -0.7960835686726251], [-1.703606714969981, 0.7960835686726251],
             [1.6071047529201972, 0.5686514548841314],
             [-1.6071047529201972, -0.5686514548841314]]
    return _make("six_hump_camel", _six_hump_camel, dim, [[-3.0, 3.0], [-2.0, 2.0]],
                 [[a, -b], [-a, b]], -1.0316284534898774, [-1.5, 1.5], ("multimodal",),
                 "f = (4 - 2.1x^2 + x^4/3) x^2 + xy + (-4 + 4y^2) y^2",
                 stationary={"local_min": local, "saddle": [[0.0, 0.0]]})


def _goldstein_price(x):
    x, y = _xy(x)
    a = 1 + _sq(x + y + 1) * (19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y)
    b = 30 + _sq(2 * x - 3 * y) * (18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y
                                   + 27 * y * y)
    return a * b


@register("goldstein_price", dim=TWO_D)
def goldstein_price(dim: int) -> TestFunction:
    """Goldstein-Price: [1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]
    * [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)].

    Minimum 3 at (0, -1); local minima 30 at (-0.6, -0.4), 84 at (1.8, 0.2) and
    840 at (1.2, 0.8); four saddles and a local maximum (all at exact decimals).
    """
    return _make("goldstein_price", _goldstein_price, dim, [[-2.0, 2.0]] * 2, [[0.0, -1.0]],
                 3.0, [1.0, 1.0], ("multimodal",),
                 "f = [1 + (x+y+1)^2 (19-14x+3x^2-14y+6xy+3y^2)]"
                 " [30 + (2x-3y)^2 (18-32x+12x^2+48y-36xy+27y^2)]",
                 stationary={"local_min": [[-0.6, -0.4], [1.8, 0.2], [1.2, 0.8]],
                             "saddle": [[-0.4, -0.6], [0.6, 0.4], [1.2, -0.2], [1.4, 0.6]],
                             "local_max": [[0.8, 0.2]]})


def _matyas(x):
    x, y = _xy(x)
    return 0.26 * (x * x + y * y) - 0.48 * x * y


@register("matyas", dim=TWO_D)
def matyas(dim: int) -> TestFunction:
    """Matyas: 0.26 (x^2 + y^2) - 0.48xy, convex and ill-conditioned; minimum 0 at 0."""
    return _make("matyas", _matyas, dim, [[-10.0, 10.0]] * 2, [[0.0, 0.0]], 0.0, [-8.0, 6.0],
                 ("convex",), "f = 0.26 (x^2 + y^2) - 0.48xy")


def _three_hump_camel(x):
    x, y = _xy(x)
    x2 = x * x
    return 2 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6 + x * y + y * y


@register("three_hump_camel", dim=TWO_D)
def three_hump_camel(dim: int) -> TestFunction:
    """Three-hump camel: 2x^2 - 1.05x^4 + x^6/6 + xy + y^2.

    Minimum 0 at 0; local minima and saddles on y = -x/2 where
    x^2 = (4.2 ± sqrt(3.64)) / 2.
    """
    a, b = 1.7475523458302888, 0.8737761729151444
    c, d = 1.07054229182366, 0.53527114591183
    return _make("three_hump_camel", _three_hump_camel, dim, [[-5.0, 5.0]] * 2, [[0.0, 0.0]],
                 0.0, [-2.0, 2.0], ("multimodal",), "f = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2",
                 stationary={"local_min": [[a, -b], [-a, b]], "saddle": [[c, -d], [-c, d]]})


def _saddle(x):
    x, y = _xy(x)
    return x * x - y * y


@register("saddle", dim=TWO_D)
def saddle(dim: int) -> TestFunction:
    """The saddle x^2 - y^2: no minimum (unbounded below along y), a saddle at 0."""
    return _make("saddle", _saddle, dim, [[-2.0, 2.0]] * 2, [], None, [1.0, 0.01],
                 ("no-minimum",), "f = x^2 - y^2", stationary={"saddle": [[0.0, 0.0]]})


# --------------------------------------------------------------- transcendental ones
def _ackley(x):
    s = tf.reduce_sum(x * x, axis=-1)
    pos = s > 0
    # A safe norm: the cone's gradient at 0 is taken as 0 (a subgradient), not NaN.
    # sqrt is wrapped too: its gradient kernel is not exact in every code path.
    r = tf.where(pos, elementwise(tf.sqrt, 0.5 * tf.where(pos, s, tf.ones_like(s))),
                 tf.zeros_like(s))
    c = tf.reduce_sum(elementwise(tf.cos, (2 * math.pi) * x), axis=-1)
    e = elementwise(tf.exp, tf.ones_like(s))
    return (20 - 20 * elementwise(tf.exp, -0.2 * r)) + (e - elementwise(tf.exp, 0.5 * c))


@register("ackley", dim=TWO_D)
def ackley(dim: int) -> TestFunction:
    """Ackley: -20 exp(-0.2 sqrt((x^2 + y^2)/2)) - exp((cos 2πx + cos 2πy)/2) + e + 20.

    Minimum 0 at 0, where it is not differentiable (a cone); many local minima.
    Written as (20 - 20 exp(...)) + (e - exp(...)) so the value at 0 is exactly 0.
    """
    return _make("ackley", _ackley, dim, [[-5.0, 5.0]] * 2, [[0.0, 0.0]], 0.0, [2.5, 3.5],
                 ("multimodal", "nonsmooth"),
                 "f = -20 exp(-0.2 sqrt((x^2+y^2)/2)) - exp((cos 2πx + cos 2πy)/2) + e + 20")
