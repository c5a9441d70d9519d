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
import re
import zlib

import numpy as np

__all__ = [
    "REFERENCES",
    "Reference",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "decay",
    "gaussian_noise",
]


def _f64(a) -> np.ndarray:
    return np.array(a, dtype=np.float64)  # always a fresh copy


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a))))


class Reference:
    """Base class: hyperparameter handling, per-variable state and the step counter ``t``.

    Subclasses set ``defaults`` (hyperparameter name -> default value) and implement
    ``update(g, x, state, lr) -> new x`` for one variable; ``self.t`` is the current step.
    ``ranks``: the array ranks it steps (Muon: matrices only), None for any.
    """

    defaults: dict[str, object] = {"learning_rate": 1e-3}
    ranks: tuple[int, ...] | None = None

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

    def start(self, params) -> Reference:
        """Takes the state that starts from the variables' values from ``params``, as an
        optimizer's build does (else the first step's params give it); returns self."""
        for i, x in enumerate(params):
            self.start_state(_f64(x), self.state.setdefault(i, {}))
        return self

    def start_state(self, x: np.ndarray, s: dict) -> None:
        """Per-variable state taken from the value at build: none by default."""


class GD(Reference):
    """Plain gradient descent: x <- x - lr*g."""

    def update(self, g, x, s, lr):
        return x - lr * g


class Momentum(Reference):
    """Heavy-ball / Nesterov momentum (Sutskever et al., ICML 2013).

    v <- mu*v - lr*g;  x <- x + v,  or with nesterov  x <- x + mu*v - lr*g  (v the new velocity).
    Without lr_inside_momentum (torch.optim.SGD's buffer, optax's trace): b <- mu*b + g;
    x <- x - lr*b, or with nesterov x <- x - lr*(g + mu*b).  dampening d: from step 2 on, the
    gradient entering v or b is (1-d)*g (torch's buffer starts as the first gradient itself).
    """

    defaults = {"learning_rate": 1e-3, "momentum": 0.7, "nesterov": False, "dampening": 0.0,
                "lr_inside_momentum": True}

    def update(self, g, x, s, lr):
        mu = self.momentum
        entering = g if self.t == 1 else (1 - self.dampening) * g
        if not self.lr_inside_momentum:
            b = s["b"] = mu * s.get("b", 0.0) + entering
            return x - lr * (g + mu * b) if self.nesterov else x - lr * b
        v = s["v"] = mu * s.get("v", 0.0) - lr * entering
        return x + mu * v - lr * g if self.nesterov else x + v


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


class RMSprop(Reference):
    """RMSprop (Hinton, Coursera lecture 6e); centered variant from Graves 2013.

    v <- rho v + (1-rho) g^2;  centered: a <- rho a + (1-rho) g, d = v - a^2, else d = v;
    denom = sqrt(d + eps) if epsilon_inside_sqrt else sqrt(d) + eps.
    momentum == 0: x <- x - lr*g/denom.  Otherwise, lr_inside_momentum:
    buf <- momentum*buf + lr*g/denom, x <- x - buf;  else buf <- momentum*buf + g/denom,
    x <- x - lr*buf.  optax.rmsprop's options: v starts at initial_accumulator_value (its
    initial_scale); bias_correction: v and a divided by 1 - rho^t in d; nesterov (with
    momentum): the step is lr*g/denom + momentum*buf (lr inside), lr*(g/denom + momentum*buf).
    """

    defaults = {
        "learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False,
        "epsilon_inside_sqrt": True, "lr_inside_momentum": True, "initial_accumulator_value": 0.0,
        "nesterov": False, "bias_correction": False,
    }

    def update(self, g, x, s, lr):
        rho = self.rho
        v = s["v"] = rho * s.get("v", self.initial_accumulator_value) + (1 - rho) * g**2
        scale = 1 / (1 - rho**self.t) if self.bias_correction else 1.0
        d = v * scale
        if self.centered:
            a = s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
            d = d - (a * scale) ** 2
        if self.epsilon_inside_sqrt:
            denom = np.sqrt(d + self.epsilon)
        else:
            denom = np.sqrt(d) + self.epsilon
        if self.momentum == 0:
            return x - lr * g / denom
        if self.lr_inside_momentum:
            buf = s["buf"] = self.momentum * s.get("buf", 0.0) + lr * g / denom
            return x - (lr * g / denom + self.momentum * buf if self.nesterov else buf)
        buf = s["buf"] = self.momentum * s.get("buf", 0.0) + g / denom
        return x - lr * (g / denom + self.momentum * buf if self.nesterov else buf)


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
    Options (torch's and optax's): min_dim_size_to_factor n: a rank >= 2 variable is factored
    only when its last two axes both have >= n entries, else kept whole as V;
    float32_decay_rate: p = t^beta_2_decay rounded to float32, then beta_t = 1 - p and
    1 - beta_t in float32 arithmetic;  momentum mu > 0 (optax's EMA of the step):
    M <- mu M + (1-mu) alpha_t U_hat, the step is M (with float32_momentum, M is stored in
    float32 and mu M is a float32 product);  weight_decay lambda (torch):
    x <- (1 - lr lambda) x - step, alpha_t from the x before the decay.
    """

    defaults = {
        "learning_rate": 1e-2, "beta_2_decay": -0.8, "epsilon_1": 1e-30, "epsilon_2": 1e-3,
        "clip_threshold": 1.0, "weight_decay": 0.0, "momentum": 0.0, "min_dim_size_to_factor": 0,
        "float32_decay_rate": False, "float32_momentum": False,
    }

    def update(self, g, x, s, lr):
        t = self.t
        alpha = max(self.epsilon_2, _rms(x)) * min(lr, 1 / math.sqrt(t))
        if self.float32_decay_rate:
            p = np.float32(t ** float(np.float32(self.beta_2_decay)))
            beta32 = np.float32(1) - p
            beta, one_minus = float(beta32), float(np.float32(1) - beta32)
        else:
            beta = 1 - t**self.beta_2_decay
            one_minus = 1 - beta
        gsq = g**2 + self.epsilon_1
        if x.ndim >= 2 and min(x.shape[-2:]) >= self.min_dim_size_to_factor:
            r = s["r"] = beta * s.get("r", 0.0) + one_minus * gsq.mean(axis=-1)
            c = s["c"] = beta * s.get("c", 0.0) + one_minus * gsq.mean(axis=-2)
            v = (r / r.mean(axis=-1, keepdims=True))[..., :, None] * c[..., None, :]
        else:
            v = s["v"] = beta * s.get("v", 0.0) + one_minus * gsq
        u = g / np.sqrt(v)
        step = alpha * u / max(1.0, _rms(u) / self.clip_threshold)
        if self.momentum != 0:
            mu = self.momentum
            if self.float32_momentum:
                kept = s.get("m", np.zeros(x.shape, np.float32))
                step = (np.float32(mu) * kept).astype(np.float64) + (1 - mu) * step
                s["m"] = step.astype(np.float32)
            else:
                step = s["m"] = mu * s.get("m", 0.0) + (1 - mu) * step
        return (1 - lr * self.weight_decay) * x - step


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
    x <- x - lr*ratio*r.  float32_correction_betas (Keras 3): in 1 - b1^t and 1 - b2^t the
    betas are their nearest float32 values.
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-6,
        "weight_decay": 0.0, "float32_correction_betas": False,
    }

    def update(self, g, x, s, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.t
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        if self.float32_correction_betas:
            b1, b2 = float(np.float32(b1)), float(np.float32(b2))
        r = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + self.epsilon)
        r = r + self.weight_decay * x
        x_norm, r_norm = np.linalg.norm(x), np.linalg.norm(r)
        ratio = x_norm / r_norm if x_norm > 0 and r_norm > 0 else 1.0
        return x - lr * ratio * r


# Newton-Schulz coefficients (a, b, c) per step, the last one repeating; and the factor s on
# the Frobenius norm.  Keller Jordan's blog and muon.py; Jiacheng You's six triples (x/1024);
# Amsel et al.'s Polar Express list with their 1.01 safety factor on all but the last triple;
# microsoft/dion's muon.py.
MUON_COEFFICIENTS = {
    "keller_jordan": ([(3.4445, -4.7750, 2.0315)], 1.0),
    "you": ([(3955 / 1024, -8306 / 1024, 5008 / 1024), (3735 / 1024, -6681 / 1024, 3463 / 1024),
             (3799 / 1024, -6499 / 1024, 3211 / 1024), (4019 / 1024, -6385 / 1024, 2906 / 1024),
             (2677 / 1024, -3029 / 1024, 1162 / 1024), (2172 / 1024, -1833 / 1024, 682 / 1024)],
            1.0),
    "polar_express": ([(a / 1.01, b / 1.01**3, c / 1.01**5) for a, b, c in [
        (8.28721201814563, -23.595886519098837, 17.300387312530933),
        (4.107059111542203, -2.9478499167379106, 0.5448431082926601),
        (3.9486908534822946, -2.908902115962949, 0.5518191394370137),
        (3.3184196573706015, -2.488488024314874, 0.51004894012372),
        (2.300652019954817, -1.6689039845747493, 0.4188073119525673),
        (1.891301407787398, -1.2679958271945868, 0.37680408948524835),
        (1.8750014808534479, -1.2500016453999487, 0.3750001645474248)]] + [(1.875, -1.25, 0.375)],
        1.01),
    "dion": ([(4.0848, -6.8946, 2.9270), (3.9505, -6.3029, 2.6377), (3.7418, -5.5913, 2.3037),
              (2.8769, -3.1427, 1.2046), (2.8366, -3.0525, 1.2012)], 1.0),
}


def newton_schulz(u, coefficients="keller_jordan", steps=5, eps=1e-7) -> np.ndarray:
    """The quintic Newton-Schulz iteration on a matrix (Jordan 2024), float64.

    X = u/(s*||u||_F + eps), on u^T when u has more rows than columns;  at step k with
    (a, b, c) = coefficients[min(k, last)]:  X <- a X + b (X X^T) X + c (X X^T)^2 X.
    """
    triples, s = MUON_COEFFICIENTS[coefficients]
    u = _f64(u)
    tall = u.shape[0] > u.shape[1]
    x = u.T if tall else u
    x = x / (s * np.sqrt(np.sum(x * x)) + eps)
    for k in range(steps):
        a, b, c = triples[min(k, len(triples) - 1)]
        gram = x @ x.T
        x = a * x + b * (gram @ x) + c * (gram @ (gram @ x))
    return x.T if tall else x


class Muon(Reference):
    """Muon (Jordan et al. 2024; github.com/KellerJordan/Muon), matrices only.

    ema:  m <- mu m + (1-mu) g;  u = mu m + (1-mu) g (nesterov) or m.
    sum (Keras, Moonlight):  m <- mu m + g;  u = g + mu m (nesterov) or m.
    debiased_ema (optax):  m as ema;  u = mu m/(1-mu^(t+1)) + (1-mu) g/(1-mu^t) (nesterov)
    or m/(1-mu^t).  O = newton_schulz(u);  x <- x - lr*f*O with f = sqrt(max(1, r/c))
    (keller_jordan), sqrt(max(1, c/r)) (optax), update_rms*sqrt(max(r, c)) (moonlight) or 1
    (none), for an r x c matrix.  ns_dtype is accepted for the configs; the oracle is float64.
    """

    ranks = (2,)
    defaults = {
        "learning_rate": 0.02, "momentum": 0.95, "epsilon": 1e-7, "update_rms": 0.2,
        "nesterov": True, "momentum_form": "ema", "coefficients": "keller_jordan", "ns_steps": 5,
        "ns_dtype": "float32", "scale": "keller_jordan",
    }

    def update(self, g, x, s, lr):
        if x.ndim != 2:
            raise ValueError(f"Muon steps matrices only; received shape {x.shape}")
        mu, t, form = self.momentum, self.t, self.momentum_form
        prev = s.get("m", 0.0)
        if form == "sum":
            m = s["m"] = mu * prev + g
            u = g + mu * m if self.nesterov else m
        else:
            m = s["m"] = mu * prev + (1 - mu) * g
            if form == "ema":
                u = mu * m + (1 - mu) * g if self.nesterov else m
            elif self.nesterov:
                u = mu * m / (1 - mu ** (t + 1)) + (1 - mu) * g / (1 - mu**t)
            else:
                u = m / (1 - mu**t)
        r, c = x.shape
        factor = {"keller_jordan": math.sqrt(max(1.0, r / c)),
                  "optax": math.sqrt(max(1.0, c / r)),
                  "moonlight": self.update_rms * math.sqrt(max(r, c)), "none": 1.0}[self.scale]
        return x - lr * factor * newton_schulz(u, self.coefficients, self.ns_steps, self.epsilon)


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


class _Named(Reference):
    """An oracle that reads each variable's path (weight-decay patterns, noise keys).

    ``paths[i]`` is the path of the variable at index ``i``; by default "Variable", the name
    TensorFlow gives an unnamed ``tf.Variable`` (the common suite's variables).  ``update`` finds
    it in ``s["path"]``.
    """

    paths: dict[int, str] = {}

    def step(self, grads, params, lr=None):
        for i in range(len(params)):
            self.state.setdefault(i, {})["path"] = self.paths.get(i, "Variable")
        return super().step(grads, params, lr)


def _found(pattern: str, path: str) -> bool:
    return bool(pattern) and re.search(pattern, path) is not None


class LARS(_Named):
    """LARS (You, Gitman & Ginsburg 2017, arXiv 1708.03888), TF Model Garden's parametrisation.

    Unless the path matches exclude_from_weight_decay:  g <- g + weight_decay_rate*x.
    trust(a) = eeta*||x|| / (||a|| + epsilon) if ||x|| > 0, ||a|| > 0 and the path does not match
    exclude_from_layer_adaptation (empty: the weight-decay pattern), else 1.
    classic:  v <- mu v + lr trust(g) g;  step = mu v + lr trust(g) g (nesterov) or v;  x - step.
    otherwise:  v <- mu v + g;  d = mu v + g (nesterov) or v;  x <- x - lr trust(d) d.
    """

    defaults = {
        "learning_rate": 0.01, "momentum": 0.9, "weight_decay_rate": 0.0, "eeta": 0.001,
        "epsilon": 0.0, "nesterov": False, "classic_momentum": True,
        "exclude_from_weight_decay": "", "exclude_from_layer_adaptation": "",
    }

    def update(self, g, x, s, lr):
        no_decay = self.exclude_from_weight_decay
        no_adapt = self.exclude_from_layer_adaptation or no_decay
        if not _found(no_decay, s["path"]):
            g = g + self.weight_decay_rate * x

        def trust(a):
            x_norm, a_norm = np.linalg.norm(x), np.linalg.norm(a)
            if x_norm > 0 and a_norm > 0 and not _found(no_adapt, s["path"]):
                return self.eeta * x_norm / (a_norm + self.epsilon)
            return 1.0

        mu, v = self.momentum, s.get("v", 0.0)
        if self.classic_momentum:
            scaled = lr * trust(g)
            v = s["v"] = mu * v + scaled * g
            return x - (mu * v + scaled * g if self.nesterov else v)
        v = s["v"] = mu * v + g
        d = mu * v + g if self.nesterov else v
        return x - lr * trust(d) * d


class AdamWeightDecay(_Named):
    """BERT's AdamWeightDecay as in TF Model Garden (legacy_adamw.py).

    All gradients of a step are first clipped to the global norm c = gradient_clip_norm (if
    c > 0; see :func:`clip_by_global_norm`).  m, v (and vmax with amsgrad) as Adam;
    alpha = lr*sqrt(1-b2^t)/(1-b1^t) with bias_correction, else lr;
    x <- x - lr*weight_decay_rate*x [if it decays] - alpha*m/(sqrt(v) + eps).  A variable decays
    if its path matches include_in_weight_decay, or else does not match exclude_from_weight_decay.
    """

    defaults = {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
        "weight_decay_rate": 0.0, "gradient_clip_norm": 1.0, "amsgrad": False,
        "bias_correction": True, "include_in_weight_decay": "", "exclude_from_weight_decay": "",
    }

    def step(self, grads, params, lr=None):
        if self.gradient_clip_norm > 0:
            grads = clip_by_global_norm(grads, self.gradient_clip_norm)
        return super().step(grads, params, lr)

    def update(self, g, x, s, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.t
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        if self.amsgrad:
            v = s["vmax"] = np.maximum(s.get("vmax", 0.0), v)
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t) if self.bias_correction else lr
        path = s["path"]
        decays = _found(self.include_in_weight_decay, path) or not _found(
            self.exclude_from_weight_decay, path)
        decay = lr * self.weight_decay_rate * x if decays else 0.0
        return x - decay - alpha * m / (np.sqrt(v) + self.epsilon)


class Rprop(Reference):
    """Rprop (Riedmiller & Braun 1993) in the Rprop- form of torch.optim.Rprop.

    Per element, with p the previous gradient (0 at first) and s the step size (lr at first):
    c = g*p;  s <- clip(s*eta_plus if c > 0, s*eta_minus if c < 0, s if c == 0; min, max), where
    clamp_unchanged=False leaves s unclipped where c == 0;  g <- 0 where c < 0;  p <- g.
    Default: x <- x - s*sign(g).  stale_update (optax 0.2.8's scale_by_rprop): the pending update
    s*sign(g) is stored and the one stored at the previous step is applied, 0 where c < 0.
    """

    defaults = {
        "learning_rate": 1e-2, "eta_minus": 0.5, "eta_plus": 1.2, "min_step_size": 1e-6,
        "max_step_size": 50.0, "clamp_unchanged": True, "stale_update": False,
    }

    def update(self, g, x, s, lr):
        c = g * s.get("p", np.zeros_like(g))
        size = s.get("size", np.full_like(g, lr))
        grown = np.where(c > 0, size * self.eta_plus, np.where(c < 0, size * self.eta_minus, size))
        clipped = np.clip(grown, self.min_step_size, self.max_step_size)
        size = s["size"] = clipped if self.clamp_unchanged else np.where(c == 0, size, clipped)
        g = s["p"] = np.where(c < 0, 0.0, g)
        if not self.stale_update:
            return x - size * np.sign(g)
        pending = s.get("pending", np.zeros_like(g))
        s["pending"] = size * np.sign(g)
        return x - np.where(c < 0, 0.0, pending)


class ASGD(Reference):
    """Averaged SGD (Polyak & Juditsky 1992) as torch.optim.ASGD, with its scalar recurrences.

    eta starts at lr, mu at 1;  g <- g + weight_decay*x;  x <- x*(1 - lambd*eta) - eta*g;
    ax <- x if mu == 1 else ax + mu*(x - ax);  then for the next step
    eta <- lr / (1 + lambd*lr*t)^alpha,  mu <- 1 / max(1, t - t0).  ``s["ax"]`` is the average.
    """

    defaults = {
        "learning_rate": 1e-2, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0.0,
    }

    def update(self, g, x, s, lr):
        eta, mu = s.get("eta", lr), s.get("mu", 1.0)
        g = g + self.weight_decay * x
        x = x * (1 - self.lambd * eta) - eta * g
        s["ax"] = x.copy() if mu == 1 else s["ax"] + mu * (x - s["ax"])
        s["eta"] = lr / (1 + self.lambd * lr * self.t) ** self.alpha
        s["mu"] = 1 / max(1, self.t - self.t0)
        return x


class SM3(Reference):
    """SM3-II (Anil et al. 2019, arXiv 1901.11150) with the axes as the cover, and momentum.

    rank <= 1: nu <- nu + g^2 elementwise.  rank >= 2, one accumulator mu_r per axis r:
    nu[i] = min_r mu_r[i_r] + g[i]^2, then mu_r[j] = max of nu[i] over the i with i_r = j.
    u = g/sqrt(nu + epsilon) (0 where nu == 0);  m <- momentum*m + (1-momentum)*u;  x <- x - lr*m.
    """

    defaults = {"learning_rate": 1e-2, "momentum": 0.9, "epsilon": 1e-8}

    def update(self, g, x, s, lr):
        if g.ndim <= 1:
            nu = s["nu"] = s.get("nu", 0.0) + g**2
        else:
            mus = s.get("mus", [np.zeros(n) for n in g.shape])
            nu = np.empty_like(g)
            for i in np.ndindex(g.shape):
                nu[i] = min(mu[j] for mu, j in zip(mus, i)) + g[i] ** 2
            s["mus"] = [np.array([max(nu[i] for i in np.ndindex(g.shape) if i[r] == j)
                                  for j in range(n)]) for r, n in enumerate(g.shape)]
        u = np.divide(g, np.sqrt(nu + self.epsilon), out=np.zeros_like(g), where=nu > 0)
        m = s["m"] = self.momentum * s.get("m", 0.0) + (1 - self.momentum) * u
        return x - lr * m


class Fromage(Reference):
    """Fromage (Bernstein et al. 2020, arXiv 2002.03432, Algorithm 1), written as optax.fromage.

    n_x = max(||x||, min_norm), n_g = max(||g||, min_norm);  r = n_x/n_g (1 if either is 0);
    mult = 1/sqrt(1 + lr^2);  x <- x + (-lr*mult*r*g + (mult - 1)*x).
    """

    defaults = {"learning_rate": 0.01, "min_norm": 1e-6}

    def update(self, g, x, s, lr):
        n_x = max(float(np.linalg.norm(x)), self.min_norm)
        n_g = max(float(np.linalg.norm(g)), self.min_norm)
        r = n_x / n_g if n_x > 0 and n_g > 0 else 1.0
        mult = 1 / math.sqrt(1 + lr**2)
        return x + (-lr * mult * r * g + (mult - 1) * x)


def gaussian_noise(shape, seed: int, path: str, t: int) -> np.ndarray:
    """The noise source of coreopt's NoisySGD (float64 array of float32 values).

    Not the optimizer's logic: the documented convention of coreopt/optimizers/noisy_sgd.py.
    key = CRC-32 of "path:shape" ("4x5"; "" for a scalar);  Philox uint32 bits of the seed pair
    (seed*2^32 + key, t) from ``tf.random.stateless_uniform``, two per element;
    u = (bits + 1)/2^32;  z = sqrt(-2 ln u_1) cos(2 pi u_2) (Box-Muller), rounded to float32.
    """
    import tensorflow as tf

    dims = "x".join(str(n) for n in shape)
    key = zlib.crc32(f"{path}:{dims}".encode())
    bits = tf.random.stateless_uniform(
        (*shape, 2), tf.constant([seed * 2**32 + key, t], tf.int64), minval=None, maxval=None,
        dtype=tf.uint32, alg="philox").numpy()
    u = (bits.astype(np.float64) + 1) / 2.0**32
    z = np.sqrt(-2 * np.log(u[..., 0])) * np.cos(2 * np.pi * u[..., 1])
    return z.astype(np.float32).astype(np.float64)


class NoisySGD(_Named):
    """Noisy SGD (Neelakantan et al. 2015, arXiv 1511.06807; optax.noisy_sgd).

    sigma_t^2 = eta / t^gamma (the paper's (1 + t) with t from 0);  x <- x - lr*(g + sigma_t*z),
    z from :func:`gaussian_noise`.
    """

    defaults = {"learning_rate": 1e-3, "eta": 0.01, "gamma": 0.55, "seed": 0}

    def update(self, g, x, s, lr):
        z = gaussian_noise(x.shape, self.seed, s["path"], self.t)
        return x - lr * (g + math.sqrt(self.eta / self.t**self.gamma) * z)


class OptimisticGD(Reference):
    """Optimistic gradient descent (Daskalakis et al. 2018; optax's alpha/beta form).

    g_prev = g on the first step;  x <- x - lr*((alpha + beta)*g - beta*g_prev).
    """

    defaults = {"learning_rate": 1e-3, "alpha": 1.0, "beta": 1.0}

    def update(self, g, x, s, lr):
        prev = g if self.t == 1 else s.get("g_prev", 0.0)
        s["g_prev"] = g
        return x - lr * ((self.alpha + self.beta) * g - self.beta * prev)


class ScheduleFreeSGD(Reference):
    """Schedule-Free SGD (Defazio et al. 2024, arXiv 2405.15682), x and z kept explicitly.

    x_1 = z_1 = y_1 (the first params);  gamma_t = lr*min(t/W, 1) (W = warmup_steps, 0: lr);
    schedule_form "optax": the step takes gamma_{t-1} (0 at t = 1) and the weight gamma_t.
    lr_max <- max(lr_max, weight's gamma);  w = lr_max^weight_lr_power;  c = w / sum w (0 if 0).
    z <- z - gamma*(g + weight_decay*y);  x <- (1-c)*x + c*z;  y <- (1-beta_1)*z + beta_1*x.
    ``s["x"]``, ``s["z"]`` are x and z; the params passed in are y.  x_from_new_z (Keras 3.15)
    replaces x by (y - (1-beta_1)*z)/beta_1 with the new z before averaging.  float32_warmup:
    optax's float32 rounding of the warmed-up rate (no change to the method): see ``_warm``.
    x_from_params: x recovered from the y passed in, x_t = (y_t - (1-beta_1)*z_t)/beta_1, as
    optax and Keras keep only z (equal to the kept x unless something else moves y, such as
    a weight-decay wrapper outside).
    """

    defaults = {"learning_rate": 1.0, "beta_1": 0.9, "weight_decay": 0.0, "warmup_steps": 0.0,
                "weight_lr_power": 2.0, "schedule_form": "paper", "float32_warmup": False,
                "x_from_new_z": False, "x_from_params": False}

    def step(self, grads, params, lr=None):
        lr = float(self.learning_rate if lr is None else lr)
        t = self.t + 1
        behind = self.schedule_form == "optax"
        self.gamma = self._warm(lr, t - 1 if behind else t)
        self.lr_max = max(getattr(self, "lr_max", 0.0), self._warm(lr, t))
        weight = self.lr_max**self.weight_lr_power
        self.weight_sum = getattr(self, "weight_sum", 0.0) + weight
        self.c = weight / self.weight_sum if self.weight_sum else 0.0
        return super().step(grads, params, lr)

    def _warm(self, lr, n):
        w = self.warmup_steps
        if not w:
            return lr
        if not self.float32_warmup:
            return lr * min(n / w, 1.0)
        f32 = np.float32  # optax under jax.jit: float32, each multiply-add rounded once
        frac = f32(1 - min(n, w) * float(f32(1 / f32(w))))
        return float(f32(float(f32(lr)) - float(f32(lr)) * float(frac)))

    def direction(self, g, y, s):
        return g + self.weight_decay * y

    def start_state(self, x, s):
        s["x"], s["z"] = x.copy(), x.copy()

    def update(self, g, y, s, lr):
        if "z" not in s:
            self.start_state(y, s)
        if self.x_from_params:  # x_t = (y_t - (1-beta_1) z_t)/beta_1 from the y passed in
            s["x"] = (y - (1 - self.beta_1) * s["z"]) / self.beta_1
        s["z"] = s["z"] - self.gamma * self.direction(g, y, s)
        if self.x_from_new_z:  # Keras 3.15: x_t taken as (y_t - (1-beta_1)*z_{t+1})/beta_1
            s["x"] = (y - (1 - self.beta_1) * s["z"]) / self.beta_1
        s["x"] = (1 - self.c) * s["x"] + self.c * s["z"]
        return (1 - self.beta_1) * s["z"] + self.beta_1 * s["x"]


class ScheduleFreeAdamW(ScheduleFreeSGD):
    """Schedule-Free AdamW (Defazio et al. 2024; optax.contrib.schedule_free_adamw, Keras).

    As :class:`ScheduleFreeSGD` with the direction
    v <- b2 v + (1-b2) g^2;  g/(sqrt(v/(1-b2^t)) + eps) + weight_decay*y.
    """

    defaults = {**ScheduleFreeSGD.defaults, "learning_rate": 2.5e-3, "beta_2": 0.999,
                "epsilon": 1e-8}

    def direction(self, g, y, s):
        v = s["v"] = self.beta_2 * s.get("v", 0.0) + (1 - self.beta_2) * g**2
        v_hat = v / (1 - self.beta_2**self.t)
        return g / (np.sqrt(v_hat) + self.epsilon) + self.weight_decay * y


class Prodigy(Reference):
    """Prodigy (Mishchenko & Defazio 2024, arXiv 2306.06101; optax.contrib.prodigy's form).

    One d and one r for all variables (d = d0, r = 0 at first), x0 the first params:
    dlr = d*lr*sqrt(1-b2^t)/(1-b1^t) (d*lr without bias_correction);  per variable
    m <- b1 m + (1-b1) d g;  v <- b2 v + (1-b2) (d g)^2;  s <- b3 s + w d g / d0 with w = dlr
    (w = d with safeguard_warmup);  then r <- b3 r + (d/d0) dlr sum <g, x0 - x>;
    d' = max(d, d_coef r / sum ||s||_1) (d if the sum is 0);
    x <- x - weight_decay dlr x - dlr m / (sqrt(v) + d' eps);  d <- d'.
    state_dtype changes no arithmetic here (the oracle is float64).
    """

    defaults = {"learning_rate": 1.0, "beta_1": 0.9, "beta_2": 0.999, "beta_3": 0.999**0.5,
                "epsilon": 1e-8, "d0": 1e-6, "d_coef": 1.0, "weight_decay": 0.0,
                "safeguard_warmup": False, "bias_correction": True, "state_dtype": "float64"}

    def start_state(self, x, s):
        s["x0"] = x.copy()

    def step(self, grads, params, lr=None):
        self.t += 1
        lr = float(self.learning_rate if lr is None else lr)
        b1, b2, b3, t = self.beta_1, self.beta_2, self.beta_3, self.t
        d = getattr(self, "d", self.d0)
        corr = math.sqrt(1 - b2**t) / (1 - b1**t) if self.bias_correction else 1.0
        dlr = d * lr * corr
        inner = l1 = 0.0
        states = []
        for i, (g, x) in enumerate(zip(grads, params, strict=True)):
            g, x, st = _f64(g), _f64(x), self.state.setdefault(i, {})
            st.setdefault("x0", x.copy())
            st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * d * g
            st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * (d * g) ** 2
            w = d if self.safeguard_warmup else dlr
            st["s"] = b3 * st.get("s", 0.0) + w * d * g / self.d0
            inner += float(np.sum(g * (st["x0"] - x)))
            l1 += float(np.sum(np.abs(st["s"])))
            states.append((x, st))
        self.r = b3 * getattr(self, "r", 0.0) + (d / self.d0) * dlr * inner
        self.d = max(d, self.d_coef * self.r / l1) if l1 else d
        return [_f64(x - self.weight_decay * dlr * x
                     - dlr * st["m"] / (np.sqrt(st["v"]) + self.d * self.epsilon))
                for x, st in states]


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
    "muon": Muon,
    "radam": RAdam,
    "adabelief": AdaBelief,
    "yogi": Yogi,
    "adan": Adan,
    "novograd": NovoGrad,
    "lars": LARS,
    "adam_weight_decay": AdamWeightDecay,
    "rprop": Rprop,
    "asgd": ASGD,
    "sm3": SM3,
    "fromage": Fromage,
    "noisy_sgd": NoisySGD,
    "optimistic_gd": OptimisticGD,
    "schedule_free_sgd": ScheduleFreeSGD,
    "schedule_free_adamw": ScheduleFreeAdamW,
    "prodigy": Prodigy,
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
