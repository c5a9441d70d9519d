"""Oracles of the methods that reduce over a whole array: Adafactor, LAMB, Muon, LARS, BERT's
AdamWeightDecay, SM3, Fromage."""

from __future__ import annotations

import math

import numpy as np

from coreopt.testing.oracle.base import Reference, _f64, _found, _Named, _rms, clip_by_global_norm


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
