"""Oracles of the optimizers with full-matrix preconditioners (Shampoo)."""

from __future__ import annotations

import numpy as np

from coreopt.testing.oracle.base import Reference


def _unfold(a: np.ndarray, axis: int) -> np.ndarray:
    """The mode-`axis` unfolding: that axis first, the others flattened (n_axis x rest)."""
    return np.moveaxis(a, axis, 0).reshape(a.shape[axis], -1)


def _mode_product(a: np.ndarray, p: np.ndarray, axis: int) -> np.ndarray:
    """a x_axis p: p applied to every fibre of `a` along `axis`."""
    moved = np.moveaxis(a, axis, 0)
    return np.moveaxis((p @ moved.reshape(moved.shape[0], -1)).reshape(moved.shape), 0, axis)


def _inverse_root(L: np.ndarray, epsilon: float, r: int) -> np.ndarray:
    values, vectors = np.linalg.eigh(L + epsilon * np.eye(len(L)))
    return (vectors * np.maximum(values, epsilon) ** (-1.0 / r)) @ vectors.T


class Shampoo(Reference):
    """Shampoo (Gupta, Koren & Singer 2018, Algorithm 2) with grafting (Anil et al. 2020).

    Per preconditioned axis i (length in [1, max_preconditioner_dim]; p of them):
    L_i <- b2 L_i + w G_(i) G_(i)^T (w = 1 if b2 = 1 else 1 - b2); every f steps from the
    first, P_i = (L_i + eps I)^(-1/(2p)); D = G x_i P_i; u = D ||s|| / ||D|| with s the
    Adagrad (g / (sqrt(sum g^2) + graft_eps)) or SGD (g) step; m <- b1 m + (1 - b1) u;
    x <- x - lr m.
    """

    defaults = {"learning_rate": 1e-2, "beta_1": 0.9, "beta_2": 1.0, "epsilon": 1e-6,
                "graft_epsilon": 1e-10, "graft": "adagrad", "preconditioning_frequency": 1,
                "max_preconditioner_dim": 1024,
                "root_iterations": None,  # the roots are exact here (eigh), not iterated
                "statistics_dtype": "float64"}  # all float64 here

    def update(self, g, x, s, lr):
        axes = [i for i, n in enumerate(x.shape) if 1 <= n <= self.max_preconditioner_dim]
        w = 1.0 if self.beta_2 == 1 else 1 - self.beta_2
        direction = g
        for i in axes:
            G = _unfold(g, i)
            s[f"l{i}"] = self.beta_2 * s.get(f"l{i}", 0.0) + w * (G @ G.T)
            if (self.t - 1) % self.preconditioning_frequency == 0:
                s[f"p{i}"] = _inverse_root(s[f"l{i}"], self.epsilon, 2 * len(axes))
            direction = _mode_product(direction, s[f"p{i}"], i)
        u = direction
        if self.graft != "none":
            step = g
            if self.graft == "adagrad":
                s["a"] = s.get("a", 0.0) + g * g
                root = np.sqrt(s["a"]) + self.graft_epsilon
                step = np.divide(g, root, out=np.zeros_like(g), where=root > 0)
            d_norm = np.linalg.norm(direction)
            u = direction * (np.linalg.norm(step) / d_norm if d_norm > 0 else 0.0)
        s["m"] = self.beta_1 * s.get("m", 0.0) + (1 - self.beta_1) * u
        return x - lr * s["m"]
