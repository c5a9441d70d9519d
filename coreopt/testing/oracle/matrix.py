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


class SOAP(Reference):
    """SOAP (Vyas et al. 2024, Algorithm 3), in the order of the authors' `soap.py`.

    As that code does, m is kept in the rotated basis: rotated back before the statistics and
    bases change and rotated again after. Step 1: L_i = (1 - b_s) G_(i) G_(i)^T, Q_i its
    eigenvectors (np.linalg.eigh, largest first), nothing else. Step t > 1 (s = t - 1):
    G' = G x_i Q_i^T; m <- b1 m + (1 - b1) G'; v <- b2 v + (1 - b2) G'^2;
    x <- x - lr sqrt(1 - b2^s) / (1 - b1^s) (m / (sqrt(v) + eps)) x_i Q_i; x <- x - lr wd x;
    L_i <- L_i + (1 - b_s)(G_(i) G_(i)^T - L_i); when s % f == 0, per axis the columns of Q_i
    and v's entries are sorted by diag(Q_i^T L_i Q_i), largest first, and Q_i = qr(L_i Q_i).
    """

    defaults = {"learning_rate": 3e-3, "beta_1": 0.95, "beta_2": 0.95, "shampoo_beta": -1.0,
                "epsilon": 1e-8, "weight_decay": 0.01, "precondition_frequency": 10,
                "max_preconditioner_dim": 10000, "precondition_1d": False,
                "normalize_grads": False, "correct_bias": True,
                "statistics_dtype": "float64"}  # all float64 here

    def _axes(self, x):
        if x.ndim == 1 and not self.precondition_1d:
            return []
        return [i for i, n in enumerate(x.shape) if 1 <= n <= self.max_preconditioner_dim]

    def _rotate(self, a, s, back=False):
        for i in s["axes"]:
            q = s[f"q{i}"]
            a = _mode_product(a, q if back else q.T, i)
        return a

    def _statistics(self, g, s):
        beta = self.beta_2 if self.shampoo_beta < 0 else self.shampoo_beta
        for i in s["axes"]:
            G = _unfold(g, i)
            L = s.get(f"l{i}", np.zeros((len(G), len(G))))
            s[f"l{i}"] = L + (1 - beta) * (G @ G.T - L)

    def update(self, g, x, s, lr):
        if self.t == 1:
            s["axes"], s["m"], s["v"] = self._axes(x), np.zeros_like(x), np.zeros_like(x)
            self._statistics(g, s)
            for i in s["axes"]:
                s[f"q{i}"] = np.linalg.eigh(s[f"l{i}"])[1][:, ::-1]
            return x
        step, b1, b2 = self.t - 1, self.beta_1, self.beta_2
        rotated = self._rotate(g, s)
        s["m"] = b1 * s["m"] + (1 - b1) * rotated
        s["v"] = b2 * s["v"] + (1 - b2) * rotated**2
        size = lr * (np.sqrt(1 - b2**step) / (1 - b1**step) if self.correct_bias else 1.0)
        n = self._rotate(s["m"] / (np.sqrt(s["v"]) + self.epsilon), s, back=True)
        if self.normalize_grads:
            n = n / (1e-30 + np.sqrt(np.mean(n**2)))
        x = x - size * n
        x = x - lr * self.weight_decay * x
        m = self._rotate(s["m"], s, back=True)
        self._statistics(g, s)
        if step % self.precondition_frequency == 0:
            for i in s["axes"]:
                L, Q = s[f"l{i}"], s[f"q{i}"]
                order = np.argsort(-np.diag(Q.T @ L @ Q), kind="stable")
                s["v"] = np.take(s["v"], order, axis=i)
                s[f"q{i}"] = np.linalg.qr(L @ Q[:, order])[0]
        s["m"] = self._rotate(m, s)
        return x
