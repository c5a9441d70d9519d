"""Stopping rules: when a run has converged, and when it has diverged.

Every run checks, at the start of iteration k, the point x_{k-1} it has reached
(its loss and gradient), and after the step the new point x_k:

    before the step   diverged?   (see `divergence` below)      -> diverged at k
                      converged?  rules "grad" and "gap" only    -> converged at k - 1
    after the step    converged?  rules "exact" and "step" only  -> converged at k
                      diverged?   x_k not finite ("nonfinite")   -> diverged at k

Convergence rules (`kind`):
    exact  the guide's: x_k == x_{k-1}, bit for bit (no tolerance);
    step   ||x_k - x_{k-1}|| <= tol;
    grad   ||grad f(x_{k-1})|| <= tol;
    gap    f(x_{k-1}) - f* <= tol (needs the function's known minimum f*).

Divergence checks (`divergence`):
    guide      the guide's: a NaN gradient, plus a parameter that is NaN or
               +-Inf (which the guide misses when a run overflows to Inf and
               stays there); the default of the "exact" rule, so the guide's
               iteration counts come out unchanged;
    nonfinite  a NaN or Inf in the loss, the gradient or the parameter,
               whichever comes first; the default of the tolerance rules.

Default tolerances (`DEFAULT_TOL`, used when `tol` is not given; the rule and
every run's record keep the value used):
    step  1e-8   float32 (the default dtype) spaces numbers 7.5e-9 apart at 0.1
                 and 1.2e-7 at 1, so away from 0 a step below 1e-8 is no step:
                 the rule is the guide's exact rule there, and near 0, where a
                 float32 run can keep taking ever smaller steps, it still fires;
    grad  1e-5   the smallest power of ten that float32 gradients reliably reach:
                 rounding keeps the gradient of many runs near their minimizer
                 above 1e-6 for good;
    gap   1e-8   about a distance of 1e-4 at unit curvature (the gap is quadratic
                 in the distance), and the smallest power of ten above the float32
                 rounding of the loss near a minimum.
Measured on 48 runs (gd, momentum and adam at learning rates 0.01 and 0.1 on
ten library functions with known minima, default starts, float32, 20,000
steps, diverged runs left out), of which "exact" converges in 40; converged:
    step  1e-7: 44   1e-8: 43   1e-9: 42   (at 1e-8, within 1.5e-5 of where
                                            "exact" stops; median 0)
    grad  1e-5: 42   1e-6: 31   1e-7: 25
    gap   1e-8: 34   1e-10: 32  1e-12: 27  (34: the runs that reach a global
                                            minimum; 1e-6 and 1e-7 give 34 too)

On the guide's quartic from x = 2 at learning rate 0.1, gradient descent
overflows to Inf in its loss and gradient at iteration 5 and meets a NaN
gradient at 6: "guide" says diverged at 6, "nonfinite" at 5.

Example:
    >>> from coreopt.lab.rules import StoppingRule
    >>> StoppingRule()
    StoppingRule(kind='exact', tol=None, divergence='guide')
    >>> StoppingRule("grad", tol=1e-6)
    StoppingRule(kind='grad', tol=1e-06, divergence='nonfinite')
    >>> StoppingRule("step")  # its default tolerance
    StoppingRule(kind='step', tol=1e-08, divergence='nonfinite')
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import tensorflow.experimental.numpy as tnp

KINDS = ("exact", "step", "grad", "gap")
DEFAULT_TOL = {"step": 1e-8, "grad": 1e-5, "gap": 1e-8}  # how they were chosen: module docstring
DIVERGENCE = ("guide", "nonfinite")


@dataclasses.dataclass(frozen=True)
class StoppingRule:
    """A convergence rule, its tolerance and a divergence check.

    Args:
        kind: "exact", "step", "grad" or "gap" (see the module docstring).
        tol: > 0, for the tolerance rules; None: the rule's default
            (`DEFAULT_TOL`), which the rule (and every run's record) then holds.
            "exact" takes none.
        divergence: "guide" or "nonfinite"; None picks the rule's default.
    """

    kind: str = "exact"
    tol: float | None = None
    divergence: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"`rule` must be one of {', '.join(KINDS)}; received {self.kind!r}.")
        if self.kind == "exact" and self.tol is not None:
            raise ValueError("`tol` does not apply to the 'exact' rule; leave it unset.")
        if self.kind != "exact":
            tol = DEFAULT_TOL[self.kind] if self.tol is None else self.tol
            if isinstance(tol, bool) or not (isinstance(tol, (int, float)) and tol > 0
                                             and math.isfinite(tol)):
                raise ValueError(
                    f"rule {self.kind!r} needs a tolerance `tol` > 0 (or none, for its "
                    f"default {DEFAULT_TOL[self.kind]:g}); received {self.tol!r}.")
            object.__setattr__(self, "tol", float(tol))
        divergence = self.divergence or ("guide" if self.kind == "exact" else "nonfinite")
        if divergence not in DIVERGENCE:
            raise ValueError(
                f"`divergence` must be one of {', '.join(DIVERGENCE)}; received {divergence!r}."
            )
        object.__setattr__(self, "divergence", divergence)

    # Every check takes a leading batch axis (x and g are [B, d], loss is [B])
    # and returns a bool [B]. They run on tensors (the batched engine) and on
    # NumPy arrays (one run at a time) with the same operations.
    def diverged_before(self, x, loss, g):
        """Divergence seen at x_{k-1}, before the step."""
        xp = _xp(x)
        bad_x = xp.any(~xp.isfinite(x), axis=-1)
        if self.divergence == "guide":
            return bad_x | xp.any(xp.isnan(g), axis=-1)
        return bad_x | xp.any(~xp.isfinite(g), axis=-1) | ~xp.isfinite(loss)

    def converged_before(self, loss, g, minimum):
        """Convergence of x_{k-1} under the "grad" and "gap" rules."""
        xp = _xp(g)
        if self.kind == "grad":
            return _norm(xp, g) <= xp.asarray(self.tol, dtype=g.dtype)
        if self.kind == "gap":
            return xp.asarray(loss, dtype=xp.float64) - minimum <= self.tol
        return xp.zeros(xp.shape(loss), dtype=bool)

    def converged_after(self, x_old, x_new):
        """Convergence of x_k under the "exact" and "step" rules."""
        xp = _xp(x_new)
        if self.kind == "exact":
            return xp.all(xp.equal(x_new, x_old), axis=-1)
        if self.kind == "step":
            return _norm(xp, x_new - x_old) <= xp.asarray(self.tol, dtype=x_new.dtype)
        return xp.zeros(xp.shape(x_new)[:-1], dtype=bool)

    def diverged_after(self, x_new):
        """A step that left the finite numbers (checked by "nonfinite" only)."""
        xp = _xp(x_new)
        if self.divergence == "guide":
            return xp.zeros(xp.shape(x_new)[:-1], dtype=bool)
        return xp.any(~xp.isfinite(x_new), axis=-1)

    def needs_minimum(self) -> bool:
        return self.kind == "gap"


def _xp(a):
    """NumPy for NumPy arrays, TensorFlow's NumPy API for tensors."""
    return np if isinstance(a, (np.ndarray, np.generic)) else tnp


def _norm(xp, v):
    return xp.sqrt(xp.sum(xp.square(v), axis=-1))


def make(rule="exact", tol=None, divergence=None) -> StoppingRule:
    """A `StoppingRule` from a name (or an existing rule, returned as it is)."""
    if isinstance(rule, StoppingRule):
        if tol is not None or divergence is not None:
            raise ValueError("give `tol` and `divergence` inside the StoppingRule, not beside it.")
        return rule
    return StoppingRule(str(rule), tol, divergence)
