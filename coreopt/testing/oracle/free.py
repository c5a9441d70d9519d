"""Oracles of the schedule-free and parameter-free methods: Schedule-Free SGD and AdamW,
Prodigy, D-Adaptation AdamW."""

from __future__ import annotations

import math

import numpy as np

from coreopt.testing.oracle.base import Reference, _f64


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


class DAdaptAdamW(Reference):
    """D-Adaptation AdamW (Defazio & Mishchenko 2023, arXiv 2301.07733; optax's form).

    One d and one r for all variables (d = d0, r = 0 at first), c = sqrt(b2):
    dlr = d*lr*sqrt(1-b2^t)/(1-b1^t);  q = sum <g, s/(sqrt(v) + eps)> with the s, v before
    this step;  per variable m <- b1 m + (1-b1) dlr g;  v <- b2 v + (1-b2) g^2;
    s <- c s + (1-c) dlr g;  then r <- c r + (1-c) dlr q;
    d' = max(d, r / ((1-c) sum ||s||_1)) (d if the sum is 0);
    x <- x - weight_decay dlr x - m / (sqrt(v) + eps);  d <- d'.
    state_dtype changes no arithmetic here (the oracle is float64).
    """

    defaults = {"learning_rate": 1.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
                "d0": 1e-6, "weight_decay": 0.0, "state_dtype": "float64"}

    def step(self, grads, params, lr=None):
        self.t += 1
        lr = float(self.learning_rate if lr is None else lr)
        b1, b2, t, eps = self.beta_1, self.beta_2, self.t, self.epsilon
        c = math.sqrt(b2)
        d = getattr(self, "d", self.d0)
        dlr = d * lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        q = l1 = 0.0
        states = []
        for i, (g, x) in enumerate(zip(grads, params, strict=True)):
            g, x, st = _f64(g), _f64(x), self.state.setdefault(i, {})
            s_old, v_old = st.get("s", 0.0), st.get("v", 0.0)
            q += float(np.sum(g * s_old / (np.sqrt(v_old) + eps)))
            st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * dlr * g
            st["v"] = b2 * v_old + (1 - b2) * g * g
            st["s"] = c * s_old + (1 - c) * dlr * g
            l1 += float(np.sum(np.abs(st["s"])))
            states.append((x, st))
        self.r = c * getattr(self, "r", 0.0) + (1 - c) * dlr * q
        self.d = max(d, self.r / ((1 - c) * l1)) if l1 else d
        return [_f64(x - self.weight_decay * dlr * x - st["m"] / (np.sqrt(st["v"]) + eps))
                for x, st in states]
