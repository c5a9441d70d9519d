"""Oracles of the Adam family (Adam, AdamW, Adamax, Nadam, RAdam, AdaBelief, Yogi, Adan,
NovoGrad) and Lion."""

from __future__ import annotations

import math

import numpy as np

from coreopt.testing.oracle.base import Reference


class Adam(Reference):
    """Adam (Kingma & Ba, ICLR 2015, Algorithm 1), optionally AMSGrad (Reddi et al., ICLR 2018).

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  amsgrad: vmax <- max(vmax, v), used for v.
    x <- x - lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t) + epsilon_root) + eps), or with
    ``epsilon_hat`` (end of the paper's section 2): alpha = lr*sqrt(1-b2^t)/(1-b1^t);
    x <- x - alpha*m/(sqrt(v + epsilon_root) + eps).  amsgrad_bias_corrected (optax.amsgrad):
    the maximum is taken of v_hat = v/(1-b2^t), vhmax <- max(vhmax, v_hat), which is the v_hat
    of the step (and (1-b2^t) vhmax its v in the epsilon_hat form).
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
        "amsgrad": False, "epsilon_hat": False, "epsilon_root": 0.0,
        "amsgrad_bias_corrected": False,
    }

    def update(self, g, x, s, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.t
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        v_hat = v / (1 - b2**t)
        if self.amsgrad and self.amsgrad_bias_corrected:
            v_hat = s["vhmax"] = np.maximum(s.get("vhmax", 0.0), v_hat)
            v = v_hat * (1 - b2**t)
        elif self.amsgrad:
            v = s["vmax"] = np.maximum(s.get("vmax", 0.0), v)
            v_hat = v / (1 - b2**t)
        if self.epsilon_hat:
            alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
            return x - alpha * m / (np.sqrt(v + self.epsilon_root) + self.epsilon)
        return x - lr * (m / (1 - b1**t)) / (np.sqrt(v_hat + self.epsilon_root) + self.epsilon)


class AdamW(Adam):
    """AdamW, decoupled weight decay (Loshchilov & Hutter, ICLR 2019).

    x <- x - x*weight_decay*lr, then the Adam step (see :class:`Adam`) on the decayed x.
    """

    defaults = {**Adam.defaults, "weight_decay": 0.01, "epsilon": 1e-8}

    def update(self, g, x, s, lr):
        return super().update(g, x - x * self.weight_decay * lr, s, lr)


class Adamax(Reference):
    """Adamax (Kingma & Ba 2015, section 7.1), with an epsilon in the denominator.

    m <- b1 m + (1-b1) g;  u <- max(b2 u, |g|);  x <- x - lr*m / ((1-b1^t)*(u + eps)).
    epsilon_inside_max (torch, optax): u <- max(b2 u, |g| + eps);  x <- x - lr*m / ((1-b1^t)*u).
    float32_correction_betas (Keras 3): b1 in (1 - b1^t) is the nearest float32 to b1.
    """

    defaults = {"learning_rate": 2e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                "epsilon_inside_max": False, "float32_correction_betas": False}

    def update(self, g, x, s, lr):
        m = s["m"] = self.beta_1 * s.get("m", 0.0) + (1 - self.beta_1) * g
        b1 = float(np.float32(self.beta_1)) if self.float32_correction_betas else self.beta_1
        if self.epsilon_inside_max:
            u = s["u"] = np.maximum(self.beta_2 * s.get("u", 0.0), np.abs(g) + self.epsilon)
            return x - lr * m / ((1 - b1**self.t) * u)
        u = s["u"] = np.maximum(self.beta_2 * s.get("u", 0.0), np.abs(g))
        return x - lr * m / ((1 - b1**self.t) * (u + self.epsilon))


class Nadam(Reference):
    """Nadam (Dozat, ICLR 2016 workshop) with the momentum schedule
    mu_t = b1*(1 - 0.5*0.96^(t*momentum_decay)) and P_t = mu_1*...*mu_t.

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2   (constant b1 in m);
    m_hat = mu_{t+1} m / (1 - P_t mu_{t+1}) + (1-mu_t) g / (1 - P_t);  v_hat = v/(1-b2^t);
    x <- x - lr*m_hat/(sqrt(v_hat) + eps).
    constant_momentum (optax.nadam): mu_t = b1 for every t.  float32_constants (Keras 3): b1, b2
    and 0.96 are replaced by their nearest float32 values everywhere except in P_t.
    """

    defaults = {
        "learning_rate": 2e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
        "momentum_decay": 0.004, "constant_momentum": False, "float32_constants": False,
    }

    def _mu(self, t: int, beta_1=None, base=0.96) -> float:
        beta_1 = self.beta_1 if beta_1 is None else beta_1
        if self.constant_momentum:
            return beta_1
        return beta_1 * (1 - 0.5 * base ** (t * self.momentum_decay))

    def update(self, g, x, s, lr):
        t = self.t
        prod = math.prod(self._mu(i) for i in range(1, t + 1))
        b1, b2, base = self.beta_1, self.beta_2, 0.96
        if self.float32_constants:
            b1, b2, base = (float(np.float32(c)) for c in (b1, b2, base))
        mu_t, mu_next = self._mu(t, b1, base), self._mu(t + 1, b1, base)
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu_t) * g / (1 - prod)
        v_hat = v / (1 - b2**t)
        return x - lr * m_hat / (np.sqrt(v_hat) + self.epsilon)


class RAdam(Reference):
    """RAdam (Liu et al., ICLR 2020, arXiv 1908.03265, Algorithm 2).

    m, v as Adam;  rho_inf = 2/(1-b2) - 1;  rho_t = rho_inf - 2 t b2^t / (1-b2^t).
    If rho_t > threshold:  r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t)),
    x <- x - lr * r_t * (m/(1-b1^t)) * sqrt(1-b2^t)/(sqrt(v) + eps)   (torch, epsilon_hat), or
    x <- x - lr * r_t * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)          (optax, not epsilon_hat).
    Otherwise (un-rectified) x <- x - lr * m/(1-b1^t).
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
        "threshold": 5.0, "epsilon_hat": True,
    }

    def update(self, g, x, s, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.t
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho = rho_inf - 2.0 * t * b2**t / (1.0 - b2**t)
        if rho <= self.threshold:
            return x - lr * m_hat
        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        if self.epsilon_hat:
            return x - lr * r * m_hat * math.sqrt(1 - b2**t) / (np.sqrt(v) + self.epsilon)
        return x - lr * r * m_hat / (np.sqrt(v / (1 - b2**t)) + self.epsilon)


class AdaBelief(Reference):
    """AdaBelief (Zhuang et al., NeurIPS 2020, arXiv 2010.07468, Algorithm 2).

    m <- b1 m + (1-b1) g;  s <- b2 s + (1-b2) (g - m)^2 + epsilon_root  (the new m; epsilon_root
    stays in s);  x <- x - lr * (m/(1-b1^t)) / (sqrt(s/(1-b2^t)) + epsilon).
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-16,
        "epsilon_root": 1e-16,
    }

    def update(self, g, x, s, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.t
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        belief = s["s"] = b2 * s.get("s", 0.0) + (1 - b2) * (g - m) ** 2 + self.epsilon_root
        return x - lr * (m / (1 - b1**t)) / (np.sqrt(belief / (1 - b2**t)) + self.epsilon)


class Yogi(Reference):
    """Yogi (Zaheer et al., NeurIPS 2018, Algorithm 2), bias-corrected as optax.yogi.

    v starts at initial_accumulator_value, m too (or at 0 with zero_initial_m);
    m <- b1 m + (1-b1) g;  v <- v - (1-b2) sign(v - g^2) g^2;
    x <- x - lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps), or with epsilon_hat (TF-Addons):
    x <- x - lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps).
    """

    defaults = {
        "learning_rate": 1e-2, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-3,
        "initial_accumulator_value": 1e-6, "epsilon_hat": False, "zero_initial_m": False,
    }

    def update(self, g, x, s, lr):
        b1, b2, t, v0 = self.beta_1, self.beta_2, self.t, self.initial_accumulator_value
        m = s["m"] = b1 * s.get("m", 0.0 if self.zero_initial_m else v0) + (1 - b1) * g
        v_prev = s.get("v", v0)
        v = s["v"] = v_prev - (1 - b2) * np.sign(v_prev - g**2) * g**2
        if self.epsilon_hat:
            return x - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + self.epsilon)
        return x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + self.epsilon)


class Adan(Reference):
    """Adan (Xie et al., 2022, arXiv 2208.06677, Algorithm 1), betas as in the authors' code.

    In the paper's notation (its beta = 1 - beta here, k the step):  m_k = (1-B1) m + B1 g_k,
    v_k = (1-B2) v + B2 (g_k - g_{k-1}),  n_k = (1-B3) n + B3 [g_k + (1-B2)(g_k - g_{k-1})]^2,
    with g_0 = g_1 (no difference on the first step).  Each moment is divided by
    1 - (1-B_i)^k (bias correction);  eta_k = lr / (sqrt(n + epsilon_root) + epsilon);
    x <- (x - eta_k (m + (1-B2) v)) / (1 + lr weight_decay).  With
    difference_weight="one_minus_beta_2" (optax), the factor (1-B2) is B2 instead.
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.98, "beta_2": 0.92, "beta_3": 0.99, "epsilon": 1e-8,
        "epsilon_root": 0.0, "weight_decay": 0.0, "difference_weight": "beta_2",
    }

    def update(self, g, x, s, lr):
        k = self.t
        big_b = [1 - self.beta_1, 1 - self.beta_2, 1 - self.beta_3]  # the paper's betas
        diff = g - s.get("g_prev", g)
        s["g_prev"] = g
        c = 1 - big_b[1] if self.difference_weight == "beta_2" else big_b[1]
        m = s["m"] = (1 - big_b[0]) * s.get("m", 0.0) + big_b[0] * g
        v = s["v"] = (1 - big_b[1]) * s.get("v", 0.0) + big_b[1] * diff
        n = s["n"] = (1 - big_b[2]) * s.get("n", 0.0) + big_b[2] * (g + c * diff) ** 2
        m, v, n = (a / (1 - (1 - b) ** k) for a, b in zip((m, v, n), big_b))
        eta = lr / (np.sqrt(n + self.epsilon_root) + self.epsilon)
        return (x - eta * (m + c * v)) / (1 + lr * self.weight_decay)


class NovoGrad(Reference):
    """NovoGrad (Ginsburg et al., 2019, arXiv 1905.11286, Algorithm 1), one v per variable.

    N = sum of g^2 over the whole variable;  v = N on the first step, then v <- b2 v + (1-b2) N;
    u = g/(sqrt(v) + eps) + weight_decay*x, times (1-b1) with grad_averaging;
    m <- b1 m + u  (m = u on the first step);  x <- x - lr*m.
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.25, "epsilon": 1e-6,
        "weight_decay": 0.0, "grad_averaging": False,
    }

    def update(self, g, x, s, lr):
        b1, b2 = self.beta_1, self.beta_2
        total = float(np.sum(g * g))
        v = s["v"] = total if self.t == 1 else b2 * s["v"] + (1 - b2) * total
        u = g / (math.sqrt(v) + self.epsilon) + self.weight_decay * x
        if self.grad_averaging:
            u = (1 - b1) * u
        m = s["m"] = u if self.t == 1 else b1 * s["m"] + u
        return x - lr * m


class Lion(Reference):
    """Lion (Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023).

    c = b1 m + (1-b1) g;  x <- x - lr*sign(c);  m <- b2 m + (1-b2) g.
    """

    defaults = {"learning_rate": 1e-4, "beta_1": 0.9, "beta_2": 0.99}

    def update(self, g, x, s, lr):
        m = s.get("m", 0.0)
        c = self.beta_1 * m + (1 - self.beta_1) * g
        s["m"] = self.beta_2 * m + (1 - self.beta_2) * g
        return x - lr * np.sign(c)
