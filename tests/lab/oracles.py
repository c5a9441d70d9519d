"""Independent NumPy oracles for the lab's tests, written from the definitions.

`gd_on_square` follows gradient descent on f(x) = x^2 / 2 (gradient x) in
float32, one step at a time, and applies the stopping rules as the lab's
documentation states them (coreopt.lab.rules), without using the lab.
"""

from __future__ import annotations

import numpy as np


def gd_on_square(lr, x0, max_iters, rule="exact", tol=None, divergence="guide", center=0.0):
    """(status, iteration) of gradient descent on (x - center)^2 / 2 from x0, in float32.

    The step x - lr * g is rounded once, as a fused multiply-add: XLA's CPU
    backend contracts it into an FMA instruction (the product of two float32
    numbers is exact in float64, so one float64 subtraction and one rounding
    to float32 give the fused result). NumPy keeps subnormal numbers, which
    TensorFlow's CPU kernels flush to zero: keep the runs compared away from them.
    """
    lr32, x, c = np.float32(lr), np.float32(x0), np.float32(center)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, max_iters + 1):
            g = x - c
            loss = np.float32(0.5) * (g * g)
            if not np.isfinite(x) or np.isnan(g):
                return "diverged", k
            if divergence == "nonfinite" and not (np.isfinite(loss) and np.isfinite(g)):
                return "diverged", k
            if rule == "grad" and abs(g) <= tol or rule == "gap" and loss <= tol:
                return "converged", k - 1
            new = np.float32(np.float64(x) - np.float64(lr32) * np.float64(g))
            if divergence == "nonfinite" and not np.isfinite(new):
                return "diverged", k
            if rule == "exact" and new == x or rule == "step" and abs(new - x) <= tol:
                return "converged", k
            x = new
    return "max_iters", max_iters
