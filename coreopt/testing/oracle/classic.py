"""Oracles of the first-order methods without adaptive moments: GD, momentum, RMSprop, Adagrad,
Adadelta, FTRL, Rprop, ASGD, noisy SGD, optimistic GD."""

from __future__ import annotations

import math
import zlib

import numpy as np

from coreopt.testing.oracle.base import Reference, _Named


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


class PolyakSGD(Reference):
    """SGD with the stochastic Polyak step size (Loizou et al., AISTATS 2021; optax's cap).

    n = sum over all arrays of sum g^2;  gap = f(x) - f_min (sps+: max(gap, 0));
    s = 0 if n + eps <= 2^-52 else min(gap / (n + eps), max_lr);  x <- x - lr * s * g.
    ``step`` takes the loss ``f(x)`` at the step's point as ``loss=``.
    """

    defaults = {"learning_rate": 1.0, "max_learning_rate": 1.0, "f_min": 0.0, "epsilon": 0.0,
                "variant": "sps"}

    def step(self, grads, params, lr=None, loss=None):
        if loss is None:
            raise TypeError("PolyakSGD's oracle needs the loss: step(grads, params, loss=f(x))")
        self.t += 1
        lr = float(self.learning_rate if lr is None else lr)
        grads = [np.array(g, np.float64) for g in grads]
        n = sum(float(np.sum(g * g)) for g in grads)
        gap = float(loss) - self.f_min
        if self.variant == "sps+":
            gap = max(gap, 0.0)
        den = n + self.epsilon
        s = 0.0 if den <= np.finfo(np.float64).eps else min(gap / den, self.max_learning_rate)
        return [np.array(x, np.float64) - lr * s * g for g, x in zip(grads, params)]
