"""Independent NumPy formulas of the test functions, written from the literature.

Jamil & Yang 2013; Rosenbrock 1960; Himmelblau 1972; Dixon & Szegő 1978; the
TensorFlow guide "Optimizers with Core APIs" (the quartic). Each takes a float64
array [n, dim] and the function's params and returns [n].
"""

from __future__ import annotations

import numpy as np


def seed_quartic(x, p):
    return 2 * x[:, 0] ** 4 + 3 * x[:, 0] ** 3 + 2


def quadratic(x, p):
    d = x.shape[1]
    lam = np.array([p["condition"] ** (i / (d - 1)) if d > 1 else 1.0 for i in range(d)])
    return 0.5 * (lam * x**2).sum(1)


def rosenbrock(x, p):
    return sum(100 * (x[:, i + 1] - x[:, i] ** 2) ** 2 + (1 - x[:, i]) ** 2
               for i in range(x.shape[1] - 1))


def rastrigin(x, p):
    return 10 * x.shape[1] + (x**2 - 10 * np.cos(2 * np.pi * x)).sum(1)


def styblinski_tang(x, p):
    return (x**4 - 16 * x**2 + 5 * x).sum(1) / 2


def beale(x, p):
    a, b = x[:, 0], x[:, 1]
    return (1.5 - a + a * b) ** 2 + (2.25 - a + a * b**2) ** 2 + (2.625 - a + a * b**3) ** 2


def booth(x, p):
    a, b = x[:, 0], x[:, 1]
    return (a + 2 * b - 7) ** 2 + (2 * a + b - 5) ** 2


def himmelblau(x, p):
    a, b = x[:, 0], x[:, 1]
    return (a**2 + b - 11) ** 2 + (a + b**2 - 7) ** 2


def six_hump_camel(x, p):
    a, b = x[:, 0], x[:, 1]
    return 4 * a**2 - 2.1 * a**4 + a**6 / 3 + a * b - 4 * b**2 + 4 * b**4


def goldstein_price(x, p):
    a, b = x[:, 0], x[:, 1]
    f1 = 1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a**2 - 14 * b + 6 * a * b + 3 * b**2)
    f2 = 30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a**2 + 48 * b - 36 * a * b
                                      + 27 * b**2)
    return f1 * f2


def matyas(x, p):
    a, b = x[:, 0], x[:, 1]
    return 0.26 * (a**2 + b**2) - 0.48 * a * b


def three_hump_camel(x, p):
    a, b = x[:, 0], x[:, 1]
    return 2 * a**2 - 1.05 * a**4 + a**6 / 6 + a * b + b**2


def saddle(x, p):
    return x[:, 0] ** 2 - x[:, 1] ** 2


def ackley(x, p):
    r = np.sqrt(0.5 * (x**2).sum(1))
    c = np.cos(2 * np.pi * x).sum(1)
    return -20 * np.exp(-0.2 * r) - np.exp(0.5 * c) + np.e + 20


# Known answers from the literature, checked against the stored ones.
LITERATURE_MINIMUM = {
    "seed_quartic": 2 * (9 / 8) ** 4 - 3 * (9 / 8) ** 3 + 2, "beale": 0.0, "booth": 0.0,
    "himmelblau": 0.0, "six_hump_camel": -1.0316284534898774, "goldstein_price": 3.0,
    "matyas": 0.0, "three_hump_camel": 0.0, "ackley": 0.0, "quadratic": 0.0,
    "rosenbrock": 0.0, "rastrigin": 0.0,
}
