"""Float64 NumPy reference implementations (the test oracle) of coreopt's optimizers and wrappers.

Written directly from the papers' update rules, independently of coreopt and of other optimizer
libraries.  Conventions shared by every class:

* ``g`` is the gradient, ``x`` the parameter, ``t`` the step count (1 on the first step); all
  operations are elementwise unless a docstring says otherwise.
* State (moments, accumulators, ...) is kept per variable, keyed by its index in the list passed
  to :meth:`Reference.step`, and starts at zero unless a docstring says otherwise.
* ``step`` never modifies its inputs; it returns new float64 arrays.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "REFERENCES",
    "Reference",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "decay",
]


def _f64(a) -> np.ndarray:
    return np.array(a, dtype=np.float64)  # always a fresh copy


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a))))


class Reference:
    """Base class: hyperparameter handling, per-variable state and the step counter ``t``.

    Subclasses set ``defaults`` (hyperparameter name -> default value) and implement
    ``update(g, x, state, lr) -> new x`` for one variable; ``self.t`` is the current step.
    """

    defaults: dict[str, object] = {"learning_rate": 1e-3}

    def __init__(self, **hyperparameters):
        unknown = sorted(set(hyperparameters) - set(self.defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown hyperparameter(s) {unknown}")
        self.hyperparameters = {**self.defaults, **hyperparameters}
        self.__dict__.update(self.hyperparameters)
        self.t = 0
        self.state: dict[int, dict[str, np.ndarray]] = {}

    def step(self, grads, params, lr: float | None = None) -> list[np.ndarray]:
        """Returns the new params; ``lr`` overrides the learning rate for this step only."""
        self.t += 1
        lr = float(self.learning_rate if lr is None else lr)
        return [
            _f64(self.update(_f64(g), _f64(x), self.state.setdefault(i, {}), lr))
            for i, (g, x) in enumerate(zip(grads, params, strict=True))
        ]

    def update(self, g: np.ndarray, x: np.ndarray, s: dict, lr: float) -> np.ndarray:
        raise NotImplementedError


class GD(Reference):
    """Plain gradient descent: x <- x - lr*g."""

    def update(self, g, x, s, lr):
        return x - lr * g


class Momentum(Reference):
    """Heavy-ball / Nesterov momentum (Sutskever et al., ICML 2013).

    v <- mu*v - lr*g;  x <- x + v,  or with nesterov  x <- x + mu*v - lr*g  (v the new velocity).
    """

    defaults = {"learning_rate": 1e-3, "momentum": 0.7, "nesterov": False}

    def update(self, g, x, s, lr):
        v = s["v"] = self.momentum * s.get("v", 0.0) - lr * g
        return x + self.momentum * v - lr * g if self.nesterov else x + v


class Adam(Reference):
    """Adam (Kingma & Ba, ICLR 2015, Algorithm 1), optionally AMSGrad (Reddi et al., ICLR 2018).

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  amsgrad: vmax <- max(vmax, v), used for v.
    x <- x - lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps), or with ``epsilon_hat`` (end of the
    paper's section 2): alpha = lr*sqrt(1-b2^t)/(1-b1^t);  x <- x - alpha*m/(sqrt(v) + eps).
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
        "amsgrad": False, "epsilon_hat": False,
    }

    def update(self, g, x, s, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.t
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        if self.amsgrad:
            v = s["vmax"] = np.maximum(s.get("vmax", 0.0), v)
        if self.epsilon_hat:
            alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
            return x - alpha * m / (np.sqrt(v) + self.epsilon)
        return x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + self.epsilon)


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
    """

    defaults = {"learning_rate": 2e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

    def update(self, g, x, s, lr):
        m = s["m"] = self.beta_1 * s.get("m", 0.0) + (1 - self.beta_1) * g
        u = s["u"] = np.maximum(self.beta_2 * s.get("u", 0.0), np.abs(g))
        return x - lr * m / ((1 - self.beta_1**self.t) * (u + self.epsilon))


class Nadam(Reference):
    """Nadam (Dozat, ICLR 2016 workshop) with the momentum schedule
    mu_t = b1*(1 - 0.5*0.96^(t*momentum_decay)) and P_t = mu_1*...*mu_t.

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2   (constant b1 in m);
    m_hat = mu_{t+1} m / (1 - P_t mu_{t+1}) + (1-mu_t) g / (1 - P_t);  v_hat = v/(1-b2^t);
    x <- x - lr*m_hat/(sqrt(v_hat) + eps).
    """

    defaults = {
        "learning_rate": 2e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
        "momentum_decay": 0.004,
    }

    def _mu(self, t: int) -> float:
        return self.beta_1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def update(self, g, x, s, lr):
        t = self.t
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        prod = math.prod(self._mu(i) for i in range(1, t + 1))
        m = s["m"] = self.beta_1 * s.get("m", 0.0) + (1 - self.beta_1) * g
        v = s["v"] = self.beta_2 * s.get("v", 0.0) + (1 - self.beta_2) * g**2
        m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu_t) * g / (1 - prod)
        v_hat = v / (1 - self.beta_2**t)
        return x - lr * m_hat / (np.sqrt(v_hat) + self.epsilon)


class RMSprop(Reference):
    """RMSprop (Hinton, Coursera lecture 6e); centered variant from Graves 2013.

    v <- rho v + (1-rho) g^2;  centered: a <- rho a + (1-rho) g, d = v - a^2, else d = v;
    denom = sqrt(d + eps) if epsilon_inside_sqrt else sqrt(d) + eps.
    momentum == 0: x <- x - lr*g/denom.  Otherwise, lr_inside_momentum:
    buf <- momentum*buf + lr*g/denom, x <- x - buf;  else buf <- momentum*buf + g/denom,
    x <- x - lr*buf.
    """

    defaults = {
        "learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False,
        "epsilon_inside_sqrt": True, "lr_inside_momentum": True,
    }

    def update(self, g, x, s, lr):
        rho = self.rho
        d = s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g**2
        if self.centered:
            a = s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
            d = d - a**2
        if self.epsilon_inside_sqrt:
            denom = np.sqrt(d + self.epsilon)
        else:
            denom = np.sqrt(d) + self.epsilon
        if self.momentum == 0:
            return x - lr * g / denom
        if self.lr_inside_momentum:
            buf = s["buf"] = self.momentum * s.get("buf", 0.0) + lr * g / denom
            return x - buf
        buf = s["buf"] = self.momentum * s.get("buf", 0.0) + g / denom
        return x - lr * buf


class Adagrad(Reference):
    """Adagrad, diagonal version (Duchi, Hazan & Singer, JMLR 2011).

    acc starts at initial_accumulator_value;  acc <- acc + g^2;
    denom = sqrt(acc + eps) if epsilon_inside_sqrt else sqrt(acc) + eps;  x <- x - lr*g/denom.
    """

    defaults = {
        "learning_rate": 1e-2, "initial_accumulator_value": 0.0, "epsilon": 1e-10,
        "epsilon_inside_sqrt": False,
    }

    def update(self, g, x, s, lr):
        acc = s["acc"] = s.get("acc", self.initial_accumulator_value) + g**2
        if self.epsilon_inside_sqrt:
            return x - lr * g / np.sqrt(acc + self.epsilon)
        return x - lr * g / (np.sqrt(acc) + self.epsilon)


class Adadelta(Reference):
    """Adadelta (Zeiler 2012, Algorithm 1), scaled by a learning rate.

    Eg <- rho Eg + (1-rho) g^2;  delta = -sqrt(Ed + eps)/sqrt(Eg + eps) * g;
    Ed <- rho Ed + (1-rho) delta^2;  x <- x + lr*delta.
    """

    defaults = {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-6}

    def update(self, g, x, s, lr):
        rho, eps = self.rho, self.epsilon
        eg = s["eg"] = rho * s.get("eg", 0.0) + (1 - rho) * g**2
        delta = -np.sqrt(s.get("ed", 0.0) + eps) / np.sqrt(eg + eps) * g
        s["ed"] = rho * s.get("ed", 0.0) + (1 - rho) * delta**2
        return x + lr * delta


class Adafactor(Reference):
    """Adafactor without momentum (Shazeer & Stern, ICML 2018, Algorithms 4 and 5).

    rho_t = min(lr, 1/sqrt(t));  alpha_t = max(eps2, RMS(x)) * rho_t  (RMS over the whole
    variable, before this step);  beta_t = 1 - t^beta_2_decay;  G = g^2 + eps1.
    rank >= 2, factored over the last two axes:  R <- beta_t R + (1-beta_t) mean(G, -1);
    C <- beta_t C + (1-beta_t) mean(G, -2);  V = (R / mean(R, -1))[..., :, None] * C[..., None, :].
    rank 0 or 1:  V <- beta_t V + (1-beta_t) G.
    U = g/sqrt(V);  U_hat = U / max(1, RMS(U)/clip_threshold);  x <- x - alpha_t*U_hat.
    """

    defaults = {
        "learning_rate": 1e-2, "beta_2_decay": -0.8, "epsilon_1": 1e-30, "epsilon_2": 1e-3,
        "clip_threshold": 1.0,
    }

    def update(self, g, x, s, lr):
        t = self.t
        alpha = max(self.epsilon_2, _rms(x)) * min(lr, 1 / math.sqrt(t))
        beta = 1 - t**self.beta_2_decay
        gsq = g**2 + self.epsilon_1
        if x.ndim >= 2:
            r = s["r"] = beta * s.get("r", 0.0) + (1 - beta) * gsq.mean(axis=-1)
            c = s["c"] = beta * s.get("c", 0.0) + (1 - beta) * gsq.mean(axis=-2)
            v = (r / r.mean(axis=-1, keepdims=True))[..., :, None] * c[..., None, :]
        else:
            v = s["v"] = beta * s.get("v", 0.0) + (1 - beta) * gsq
        u = g / np.sqrt(v)
        return x - alpha * u / max(1.0, _rms(u) / self.clip_threshold)


class FTRL(Reference):
    """FTRL-Proximal (McMahan et al., KDD 2013, Algorithm 1) in the TF-style parametrisation.

    n starts at initial_accumulator_value, z at 0;  p = -learning_rate_power;
    l2 = l2_regularization_strength + beta/(2 lr);  g_s = g + 2*l2_shrinkage*x;  n' = n + g^2;
    z <- z + g_s - (n'^p - n^p)/lr * x;  x <- (clip(z, -l1, l1) - z) / (n'^p/lr + 2*l2);  n <- n'.
    """

    defaults = {
        "learning_rate": 1e-3, "learning_rate_power": -0.5, "initial_accumulator_value": 0.1,
        "l1_regularization_strength": 0.0, "l2_regularization_strength": 0.0,
        "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0,
    }

    def update(self, g, x, s, lr):
        p = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2 * lr)
        g_shrunk = g + 2 * self.l2_shrinkage_regularization_strength * x
        n = s.get("n", self.initial_accumulator_value)
        n_new = s["n"] = n + g**2
        z = s["z"] = s.get("z", 0.0) + g_shrunk - (n_new**p - n**p) / lr * x
        return (np.clip(z, -l1, l1) - z) / (n_new**p / lr + 2 * l2)


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


class LAMB(Reference):
    """LAMB (You et al., ICLR 2020, arXiv 1904.00962), layer-wise trust ratio per variable.

    m, v as Adam;  r = (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps) + weight_decay*x;
    ratio = ||x||/||r|| (L2 norms over the whole variable) if both > 0 else 1;
    x <- x - lr*ratio*r.
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-6,
        "weight_decay": 0.0,
    }

    def update(self, g, x, s, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.t
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        r = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + self.epsilon)
        r = r + self.weight_decay * x
        x_norm, r_norm = np.linalg.norm(x), np.linalg.norm(r)
        ratio = x_norm / r_norm if x_norm > 0 and r_norm > 0 else 1.0
        return x - lr * ratio * r


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


REFERENCES: dict[str, type[Reference]] = {
    "gd": GD,
    "momentum": Momentum,
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": Nadam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adafactor": Adafactor,
    "ftrl": FTRL,
    "lion": Lion,
    "lamb": LAMB,
    "radam": RAdam,
    "adabelief": AdaBelief,
    "yogi": Yogi,
    "adan": Adan,
    "novograd": NovoGrad,
}


def clip_by_value(grads, c) -> list[np.ndarray]:
    """Clips every element to [-c, c]."""
    return [_f64(np.clip(_f64(g), -c, c)) for g in grads]


def clip_by_norm(grads, c) -> list[np.ndarray]:
    """Per array: g * c / max(||g||, c) (L2 norm over the whole array)."""
    return [_f64(_f64(g) * c / max(float(np.linalg.norm(_f64(g))), c)) for g in grads]


def clip_by_global_norm(grads, c) -> list[np.ndarray]:
    """N = sqrt(sum over arrays of sum g^2);  each g * c / max(N, c)."""
    grads = [_f64(g) for g in grads]
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return [_f64(g * c / max(norm, c)) for g in grads]


def decay(params, weight_decay, lr) -> list[np.ndarray]:
    """Decoupled weight decay: x - x*weight_decay*lr for each param."""
    return [_f64(_f64(x) - _f64(x) * weight_decay * lr) for x in params]
