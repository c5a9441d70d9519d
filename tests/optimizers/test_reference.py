"""Tests of the NumPy oracle itself, each against a closed form or a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.optimizers.reference import (
    REFERENCES,
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    decay,
)

G = np.array([[0.5, -2.0, 3.0], [-0.25, 1.0, -4.0]])
X0 = np.array([[1.0, -1.5, 0.25], [2.0, -0.5, 3.0]])


def close(a, b, rtol=1e-12, atol=1e-15):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def run(name, grads, x0, steps=None, **hp):
    """Runs one variable; ``grads`` is a list of per-step gradients (or a function of x)."""
    opt = REFERENCES[name](**hp)
    x = np.array(x0, dtype=float)
    for k in range(len(grads) if steps is None else steps):
        g = grads(x) if callable(grads) else grads[k]
        (x,) = opt.step([g], [x])
    return x


# --- the registry and the base class -------------------------------------------------------------


def test_registry_has_all_18_keys():
    assert set(REFERENCES) == {
        "gd", "momentum", "adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad", "adadelta",
        "adafactor", "ftrl", "lion", "lamb", "radam", "adabelief", "yogi", "adan", "novograd",
    }


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_unknown_hyperparameter_raises_type_error(name):
    with pytest.raises(TypeError):
        REFERENCES[name](not_a_hyperparameter=1.0)
    REFERENCES[name](learning_rate=0.5)  # known names are fine


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_step_is_pure_and_keeps_shapes(name):
    grads = [G.copy(), np.array(0.5), np.array([1.0, -2.0])]
    params = [X0.copy(), np.array(-1.0), np.array([0.5, 0.25])]
    new = REFERENCES[name]().step(grads, params)
    close(grads[0], G)
    close(params[0], X0)
    assert [p.shape for p in new] == [(2, 3), (), (2,)]
    assert all(p.dtype == np.float64 and np.all(np.isfinite(p)) for p in new)
    assert all(n is not p for n, p in zip(new, params, strict=True))


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_state_is_per_variable(name):
    g2 = np.array([0.3, -0.7])
    x2 = np.array([1.0, 2.0])
    both = REFERENCES[name]()
    alone_a, alone_b = REFERENCES[name](), REFERENCES[name]()
    for k in range(3):
        a, b = both.step([G * (k + 1), g2 / (k + 1)], [X0, x2])
        (ea,) = alone_a.step([G * (k + 1)], [X0])
        (eb,) = alone_b.step([g2 / (k + 1)], [x2])
        close(a, ea)
        close(b, eb)


def test_lr_override_applies_to_one_step_only():
    opt = REFERENCES["gd"](learning_rate=0.1)
    (x1,) = opt.step([G], [X0], lr=0.5)
    (x2,) = opt.step([G], [x1])
    close(x1, X0 - 0.5 * G)
    close(x2, X0 - 0.6 * G)


# --- per-optimizer closed forms ------------------------------------------------------------------


def test_gd_on_quadratic_matches_closed_form():
    # f(x) = a/2 x^2, g = a x  =>  x_n = (1 - lr a)^n x0
    a, lr, n = 3.0, 0.1, 25
    x = run("gd", lambda x: a * x, X0, steps=n, learning_rate=lr)
    close(x, (1 - lr * a) ** n * X0)


@pytest.mark.parametrize("nesterov, expected", [(False, [-0.1, -0.25]), (True, [-0.15, -0.325])])
def test_momentum_two_steps_by_hand(nesterov, expected):
    # mu = 0.5, lr = 0.1, g = 1, x0 = 0:  v1 = -0.1, v2 = 0.5*(-0.1) - 0.1 = -0.15.
    # plain:    x1 = -0.1,                x2 = -0.1 - 0.15 = -0.25
    # nesterov: x1 = 0.5*(-0.1) - 0.1,    x2 = -0.15 + 0.5*(-0.15) - 0.1 = -0.325
    opt = REFERENCES["momentum"](learning_rate=0.1, momentum=0.5, nesterov=nesterov)
    (x1,) = opt.step([np.array(1.0)], [np.array(0.0)])
    (x2,) = opt.step([np.array(1.0)], [x1])
    close([x1, x2], expected)


def test_adam_first_step_is_lr_times_sign():
    lr = 0.01
    close(run("adam", [G], X0, learning_rate=lr, epsilon=0.0), X0 - lr * np.sign(G))
    close(run("adam", [G], X0, learning_rate=lr), X0 - lr * np.sign(G), rtol=0, atol=lr * 1e-6)


def test_adam_epsilon_hat_equals_adam_when_epsilon_is_zero():
    grads = [G, -2 * G, 0.5 * G + 1, G**2]
    plain = run("adam", grads, X0, learning_rate=0.05, epsilon=0.0)
    hat = run("adam", grads, X0, learning_rate=0.05, epsilon=0.0, epsilon_hat=True)
    close(hat, plain)


def test_adam_epsilon_hat_puts_epsilon_on_raw_v():
    # step 1: m = (1-b1) g, v = (1-b2) g^2, alpha = lr sqrt(1-b2)/(1-b1)
    lr, eps, b1, b2 = 0.1, 0.5, 0.9, 0.999
    expected = X0 - lr * math.sqrt(1 - b2) / (1 - b1) * (1 - b1) * G / (
        math.sqrt(1 - b2) * np.abs(G) + eps
    )
    close(run("adam", [G], X0, learning_rate=lr, epsilon=eps, epsilon_hat=True), expected)


def test_amsgrad_keeps_the_largest_second_moment():
    # g = 1 then 0:  m2 = 0.9*0.1 = 0.09,  v2 = 0.999*0.001 < vmax = 0.001
    lr, b1, b2 = 0.1, 0.9, 0.999
    step2 = lambda v: lr * (0.09 / (1 - b1**2)) / math.sqrt(v / (1 - b2**2))  # noqa: E731
    x1 = 0.0 - lr
    grads = [np.array(1.0), np.array(0.0)]
    close(run("adam", grads, 0.0, learning_rate=lr, epsilon=0.0), x1 - step2(0.999 * 0.001))
    ams = run("adam", grads, 0.0, learning_rate=lr, epsilon=0.0, amsgrad=True)
    close(ams, x1 - step2(0.001))


def test_adamw_with_zero_gradient_is_pure_decay():
    lr, wd, n = 0.1, 0.3, 7
    x = run("adamw", [np.zeros_like(G)] * n, X0, learning_rate=lr, weight_decay=wd)
    close(x, X0 * (1 - lr * wd) ** n)


def test_adamw_decays_before_the_adam_step():
    lr, wd = 0.1, 0.5
    x = run("adamw", [G], X0, learning_rate=lr, weight_decay=wd, epsilon=0.0)
    close(x, X0 * (1 - lr * wd) - lr * np.sign(G))


def test_adamax_two_steps_by_hand():
    # step 1: m = (1-b1) g, u = |g|  =>  x1 = x0 - lr sign(g)
    # step 2 with g/2: m = b1 (1-b1) g + (1-b1) g/2, u = max(b2 |g|, |g|/2) = b2 |g|
    lr, b1, b2 = 0.01, 0.9, 0.999
    x = run("adamax", [G, G / 2], X0, learning_rate=lr, epsilon=0.0)
    m2 = b1 * (1 - b1) * G + (1 - b1) * G / 2
    close(x, X0 - lr * np.sign(G) - lr * m2 / ((1 - b1**2) * b2 * np.abs(G)))


def test_nadam_with_huge_momentum_decay_uses_constant_mu():
    # 0.96^(t*1e4) = 0  =>  mu_t = b1, P_t = b1^t.  Constant g, eps = 0:
    # m_t = (1-b1^t) g,  m_hat = b1 m_t/(1-b1^(t+1)) + (1-b1) g/(1-b1^t),  v_hat = g^2.
    lr, b1 = 0.01, 0.9
    x = run("nadam", [G, G], X0, learning_rate=lr, epsilon=0.0, momentum_decay=1e4)
    step1 = b1 * (1 - b1) / (1 - b1**2) + 1  # = (1 + 2 b1)/(1 + b1)
    step2 = b1 * (1 - b1**2) / (1 - b1**3) + (1 - b1) / (1 - b1**2)
    close(step1, (1 + 2 * b1) / (1 + b1))
    close(x, X0 - lr * (step1 + step2) * np.sign(G))


def test_nadam_first_step_with_default_schedule():
    lr, b1 = 0.01, 0.9
    mu1 = b1 * (1 - 0.5 * 0.96**0.004)
    mu2 = b1 * (1 - 0.5 * 0.96**0.008)
    m_hat = mu2 * (1 - b1) / (1 - mu1 * mu2) + (1 - mu1) / (1 - mu1)  # in units of g
    close(run("nadam", [G], X0, learning_rate=lr, epsilon=0.0), X0 - lr * m_hat * np.sign(G))


def test_rmsprop_first_step_plain_and_centered():
    lr, rho = 0.01, 0.9
    plain = run("rmsprop", [G], X0, learning_rate=lr, rho=rho, epsilon=0.0)
    close(plain, X0 - lr * np.sign(G) / math.sqrt(1 - rho))
    # centered: d = (1-rho) g^2 - (1-rho)^2 g^2 = rho (1-rho) g^2
    centered = run("rmsprop", [G], X0, learning_rate=lr, rho=rho, epsilon=0.0, centered=True)
    close(centered, X0 - lr * np.sign(G) / math.sqrt(rho * (1 - rho)))


def test_rmsprop_epsilon_placement():
    lr, rho, eps = 0.1, 0.5, 0.75
    g = np.array(1.0)
    inside = run("rmsprop", [g], 0.0, learning_rate=lr, rho=rho, epsilon=eps)
    outside = run(
        "rmsprop", [g], 0.0, learning_rate=lr, rho=rho, epsilon=eps, epsilon_inside_sqrt=False
    )
    close(inside, -lr / math.sqrt(0.5 + eps))
    close(outside, -lr / (math.sqrt(0.5) + eps))


def test_rmsprop_momentum_two_steps_and_lr_placement():
    # rho = 0.5, g = 1, eps = 0:  denom1 = sqrt(0.5), denom2 = sqrt(0.75);  momentum 0.5
    rho, mom = 0.5, 0.5
    hp = dict(rho=rho, momentum=mom, epsilon=0.0)
    s1, s2 = 1 / math.sqrt(0.5), 1 / math.sqrt(0.75)
    ones = [np.array(1.0)] * 2
    # constant lr: both placements agree
    buf2 = mom * 0.1 * s1 + 0.1 * s2
    close(run("rmsprop", ones, 0.0, learning_rate=0.1, **hp), -0.1 * s1 - buf2)
    out = run("rmsprop", ones, 0.0, learning_rate=0.1, lr_inside_momentum=False, **hp)
    close(out, -0.1 * s1 - buf2)
    # lr changes between steps (0.1 then 0.2): the placements differ
    inside, outside = (
        REFERENCES["rmsprop"](learning_rate=0.1, lr_inside_momentum=flag, **hp)
        for flag in (True, False)
    )
    xi, xo = inside.step(ones[:1], [0.0])[0], outside.step(ones[:1], [0.0])[0]
    xi, xo = inside.step(ones[:1], [xi], lr=0.2)[0], outside.step(ones[:1], [xo], lr=0.2)[0]
    close(xi, -0.1 * s1 - (mom * 0.1 * s1 + 0.2 * s2))
    close(xo, -0.1 * s1 - 0.2 * (mom * s1 + s2))


def test_adagrad_constant_gradient_closed_form():
    # acc_k = a0 + k g^2  =>  x_n = x0 - lr g sum_k 1/(sqrt(a0 + k g^2) + eps)
    lr, a0, eps, n = 0.1, 0.5, 1e-3, 10
    x = run("adagrad", [G] * n, X0, learning_rate=lr, initial_accumulator_value=a0, epsilon=eps)
    total = sum(1 / (np.sqrt(a0 + k * G**2) + eps) for k in range(1, n + 1))
    close(x, X0 - lr * G * total)
    # a0 = eps = 0: x_n = x0 - lr sign(g) sum 1/sqrt(k)
    x = run("adagrad", [G] * n, X0, learning_rate=lr, epsilon=0.0)
    close(x, X0 - lr * np.sign(G) * sum(1 / math.sqrt(k) for k in range(1, n + 1)))


def test_adagrad_epsilon_inside_sqrt():
    x = run("adagrad", [np.array(2.0)], 0.0, learning_rate=0.1, epsilon=5.0,
            epsilon_inside_sqrt=True)
    close(x, -0.1 * 2.0 / 3.0)  # sqrt(4 + 5) = 3


def test_adadelta_two_steps_by_hand():
    # rho = 0.5, eps = 1, g = 1, lr = 1:
    # step 1: Eg = 0.5, delta = -sqrt(1)/sqrt(1.5), Ed = 0.5/1.5 = 1/3
    # step 2: Eg = 0.75, delta = -sqrt(4/3)/sqrt(1.75)
    x = run("adadelta", [np.array(1.0)] * 2, 0.0, rho=0.5, epsilon=1.0)
    close(x, -1 / math.sqrt(1.5) - math.sqrt(4 / 3) / math.sqrt(1.75))
    y = run("adadelta", [np.array(1.0)], 0.0, rho=0.5, epsilon=1.0, learning_rate=0.5)
    close(y, -0.5 / math.sqrt(1.5))


def _rank_one_gradient(shape, seed=0):
    """g[..., i, j] = p[..., i] q[..., j], so that g^2 is rank one in its last two axes."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.5, 2.0, shape[:-1]) * rng.choice([-1, 1], shape[:-1])
    q_shape = shape[:-2] + shape[-1:]
    q = rng.uniform(0.5, 2.0, q_shape) * rng.choice([-1, 1], q_shape)
    return p[..., :, None] * q[..., None, :]


def _rms(a):
    return math.sqrt(np.mean(np.square(a)))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_adafactor_factored_equals_full_v_for_rank_one_g_squared(shape):
    # When g^2 is rank one (and constant), the factored V equals the full g^2 exactly (up to
    # eps1), so U = sign(g), RMS(U) = 1 and each step is x <- x - alpha_t sign(g).
    g = _rank_one_gradient(shape) if len(shape) > 1 else np.linspace(-2, 3, 5) + 0.1
    x0 = np.random.default_rng(1).normal(size=shape)
    lr = 0.3
    x1 = x0 - max(1e-3, _rms(x0)) * min(lr, 1.0) * np.sign(g)
    x2 = x1 - max(1e-3, _rms(x1)) * min(lr, 1 / math.sqrt(2)) * np.sign(g)
    close(run("adafactor", [g, g], x0, learning_rate=lr), x2, rtol=1e-10)


def test_adafactor_relative_step_and_epsilon_2():
    # lr = 1 => rho_t = 1/sqrt(t);  x0 = 0 => alpha_1 = eps2 * 1.
    g = np.array([1.0, -2.0, 0.5])
    x1 = -0.25 * np.sign(g)
    x2 = x1 - _rms(x1) / math.sqrt(2) * np.sign(g)
    close(run("adafactor", [g, g], np.zeros(3), learning_rate=1.0, epsilon_2=0.25), x2)


def test_adafactor_update_clipping():
    # 1-D, |g| the same for every element.  Step 1: V = g^2, U = sign(g), RMS(U) = 1, so with
    # clip_threshold d = 0.5 the update is alpha_1 sign(g) / 2.
    g = np.array([1.0, -1.0, 1.0, -1.0])
    x0 = np.array([2.0, 1.0, -1.0, 0.5])
    lr = 0.1
    close(run("adafactor", [g], x0, learning_rate=lr, clip_threshold=0.5),
          x0 - _rms(x0) * lr * np.sign(g) / 2)
    # Step 2 with 3g: beta_2 = 1 - 2^-0.8, V = (beta + 9 (1 - beta)) g^2, so every |U| equals
    # u2 = 3/sqrt(beta + 9 (1 - beta)) > 1.  With d = 1 it is clipped to sign(g); with d = 10
    # it is not.
    beta = 1 - 2**-0.8
    u2 = 3 / math.sqrt(beta + 9 * (1 - beta))
    assert u2 > 1
    x1 = x0 - _rms(x0) * lr * np.sign(g)
    for d, size in [(1.0, 1.0), (10.0, u2)]:
        x2 = x1 - _rms(x1) * lr * size * np.sign(g)
        close(run("adafactor", [g, 3 * g], x0, learning_rate=lr, clip_threshold=d), x2)


def test_ftrl_large_l1_keeps_weights_at_zero():
    rng = np.random.default_rng(2)
    grads = [rng.normal(size=(2, 3)) for _ in range(5)]
    x = run("ftrl", grads, np.zeros((2, 3)), learning_rate=0.1, l1_regularization_strength=100.0)
    close(x, np.zeros((2, 3)), atol=0)


def test_ftrl_first_step_by_hand():
    # x0 = 0, l1 = l2 = 0, p = 1/2: z = g, n1 = n0 + g^2, x1 = -z / (sqrt(n1)/lr)
    lr, n0 = 0.1, 0.1
    x = run("ftrl", [G], np.zeros_like(G), learning_rate=lr)
    close(x, -lr * G / np.sqrt(n0 + G**2))
    # l1 = 1, l2 = 0.5: x1 = (clip(g, -1, 1) - g) / (sqrt(n1)/lr + 1)
    x = run("ftrl", [G], np.zeros_like(G), learning_rate=lr, l1_regularization_strength=1.0,
            l2_regularization_strength=0.5)
    close(x, (np.clip(G, -1, 1) - G) / (np.sqrt(n0 + G**2) / lr + 1.0))


def test_ftrl_with_zero_initial_accumulator_is_a_proximal_step_from_x0():
    # n0 = 0: z1 = g - sqrt(n1)/lr x0, x1 = -z1 lr/sqrt(n1) = x0 - lr g/|g| (p = 1/2)
    lr = 0.1
    x = run("ftrl", [G], X0, learning_rate=lr, initial_accumulator_value=0.0)
    close(x, X0 - lr * np.sign(G))
    # beta adds beta/lr to the denominator:  x1 = -z1 / ((sqrt(n1) + beta)/lr)
    x = run("ftrl", [G], np.zeros_like(G), learning_rate=lr, initial_accumulator_value=0.0,
            beta=2.0)
    close(x, -lr * G / (np.abs(G) + 2.0))


def test_ftrl_shrinkage_uses_shrunk_gradient_in_z_only():
    # n0 = 0, x0 given, s = shrinkage: g_s = g + 2 s x0; n1 = g^2 (not g_s^2);
    # z1 = g_s - |g|/lr x0;  x1 = -lr z1/|g| = x0 - lr g_s/|g|
    lr, s = 0.1, 0.25
    x = run("ftrl", [G], X0, learning_rate=lr, initial_accumulator_value=0.0,
            l2_shrinkage_regularization_strength=s)
    close(x, X0 - lr * (G + 2 * s * X0) / np.abs(G))


def test_lion_step_has_magnitude_lr_and_uses_interpolated_sign():
    lr = 0.1
    opt = REFERENCES["lion"](learning_rate=lr)
    x1 = opt.step([G], [X0])[0]
    close(np.abs(x1 - X0), np.full_like(X0, lr))
    # scalar, b1 = 0.9, b2 = 0.99:  g = 1: c = 0.1, m = 0.01  -> x = -0.1
    # g = -0.5: c = 0.009 - 0.05 < 0 while new m = 0.0099 - 0.005 > 0  -> x = 0
    # g = 0: c = 0.9 * 0.0049 > 0  -> x = -0.1
    grads = [np.array(1.0), np.array(-0.5), np.array(0.0)]
    close([run("lion", grads[:k], 0.0, learning_rate=lr) for k in (1, 2, 3)], [-0.1, 0.0, -0.1])


def test_lamb_first_step_trust_ratio():
    # eps = 0, wd = 0: r = sign(g), ||r|| = sqrt(6)  =>  x1 = x0 - lr ||x0||/sqrt(6) sign(g)
    lr = 0.01
    x = run("lamb", [G], X0, learning_rate=lr, epsilon=0.0)
    close(x, X0 - lr * np.linalg.norm(X0) / math.sqrt(6) * np.sign(G))
    # x0 = 0: ratio falls back to 1
    close(run("lamb", [G], np.zeros_like(G), learning_rate=lr, epsilon=0.0), -lr * np.sign(G))


def test_lamb_zero_gradient_with_weight_decay_shrinks_geometrically():
    # g = 0: r = wd x, ratio = 1/wd  =>  x <- (1 - lr) x, independent of wd
    x = run("lamb", [np.zeros_like(G)] * 4, X0, learning_rate=0.1, weight_decay=0.3)
    close(x, X0 * 0.9**4)


def _rho(t, b2):
    """RAdam's rho_t (length of the approximated SMA) and rho_inf, the paper's closed forms."""
    rho_inf = 2 / (1 - b2) - 1
    return rho_inf - 2 * t * b2**t / (1 - b2**t), rho_inf


def test_radam_first_five_steps_are_bias_corrected_momentum_steps():
    # b2 = 0.999: rho_1..rho_5 < 5, so x <- x - lr m/(1-b1^t); a constant g gives m_hat = g.
    assert all(_rho(t, 0.999)[0] < 5 for t in range(1, 6)) and _rho(6, 0.999)[0] > 5
    lr = 0.01
    close(run("radam", [G] * 5, X0, learning_rate=lr), X0 - 5 * lr * G)
    # varying g: m_hat_t = (sum_k b1^(t-k) (1-b1) g_k) / (1 - b1^t), no division by v
    x = run("radam", [G, -2 * G], X0, learning_rate=lr)
    m2 = 0.9 * 0.1 * G + 0.1 * (-2 * G)
    close(x, X0 - lr * G - lr * m2 / (1 - 0.9**2))


def test_radam_never_rectifies_when_rho_inf_is_at_most_4():
    # b2 = 0.5: rho_inf = 3, rho_t < 3 for every t: momentum SGD with bias correction for good.
    x = run("radam", [G] * 40, X0, learning_rate=0.01, beta_2=0.5)
    close(x, X0 - 40 * 0.01 * G)


@pytest.mark.parametrize("epsilon_hat", [True, False])
def test_radam_sixth_step_is_rectified(epsilon_hat):
    # constant g, eps = 0: m_hat = g and sqrt(v/(1-b2^6)) = |g|, so step 6 is lr r_6 sign(g).
    lr, b2 = 0.01, 0.999
    rho, rho_inf = _rho(6, b2)
    r6 = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    assert 0 < r6 < 0.1
    x = run("radam", [G] * 6, X0, learning_rate=lr, epsilon=0.0, epsilon_hat=epsilon_hat)
    close(x, X0 - 5 * lr * G - lr * r6 * np.sign(G))


def test_radam_epsilon_placement():
    # step 6, constant g = 1:  c = 1 - b2^6;  torch: sqrt(c)/(sqrt(c) + eps);  optax: 1/(1 + eps)
    lr, b2, eps = 0.1, 0.999, 0.01
    rho, rho_inf = _rho(6, b2)
    r6 = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    c = math.sqrt(1 - b2**6)
    ones = [np.array(1.0)] * 6
    torch_like = run("radam", ones, 0.0, learning_rate=lr, epsilon=eps)
    optax_like = run("radam", ones, 0.0, learning_rate=lr, epsilon=eps, epsilon_hat=False)
    close(torch_like, -5 * lr - lr * r6 * c / (c + eps))
    close(optax_like, -5 * lr - lr * r6 / (1 + eps))


def test_radam_threshold():
    # b2 = 0.9: rho_5 = 4.58, so threshold 4.5 rectifies step 5 and the default does not.
    rho5, rho_inf = _rho(5, 0.9)
    assert 4.5 < rho5 < 5
    r5 = math.sqrt((rho5 - 4) * (rho5 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho5))
    hp = dict(learning_rate=0.01, beta_2=0.9, epsilon=0.0)
    close(run("radam", [G] * 5, X0, **hp), X0 - 5 * 0.01 * G)
    rectified = X0 - 4 * 0.01 * G - 0.01 * r5 * np.sign(G)
    close(run("radam", [G] * 5, X0, threshold=4.5, **hp), rectified)


def test_adabelief_first_step():
    # m_1 = (1-b1) g, g - m_1 = b1 g, s_1 = (1-b2) b1^2 g^2  =>  x_1 = x_0 - lr sign(g)/b1
    lr, b1 = 0.01, 0.9
    x = run("adabelief", [G], X0, learning_rate=lr, epsilon=0.0, epsilon_root=0.0)
    close(x, X0 - lr * np.sign(G) / b1)


def test_adabelief_constant_gradient_with_accumulating_epsilon_root():
    # constant g: m_t = (1-b1^t) g, g - m_t = b1^t g;  s_t = sum_k b2^(t-k) [(1-b2) b1^(2k) g^2 + e]
    lr, b1, b2, e, eps, n = 0.01, 0.9, 0.99, 1e-3, 1e-4, 6
    total = 0.0
    for t in range(1, n + 1):
        s_t = sum(b2 ** (t - k) * ((1 - b2) * b1 ** (2 * k) * G**2 + e) for k in range(1, t + 1))
        total = total + G / (np.sqrt(s_t / (1 - b2**t)) + eps)
    x = run("adabelief", [G] * n, X0, learning_rate=lr, beta_2=b2, epsilon=eps, epsilon_root=e)
    close(x, X0 - lr * total)


def test_yogi_second_moment_grows_additively_below_g_squared():
    # v_0 = 1e-6 < g^2 and v stays below g^2 for n steps: v_t = v_0 + t (1-b2) g^2 (Adam's
    # v would be (1 - b2^t) g^2).  zero_initial_m: m_t = (1-b1^t) g.  epsilon_hat form:
    # step_t = lr sqrt(1-b2^t) g / (sqrt(v_t) + eps).
    lr, b2, eps, v0, n = 0.01, 0.999, 1e-3, 1e-6, 5
    steps = sum(math.sqrt(1 - b2**t) * G / (np.sqrt(v0 + t * (1 - b2) * G**2) + eps)
                for t in range(1, n + 1))
    x = run("yogi", [G] * n, X0, learning_rate=lr, epsilon_hat=True, zero_initial_m=True)
    close(x, X0 - lr * steps)


def test_yogi_second_moment_shrinks_by_at_most_1_minus_b2_g_squared():
    # v_0 = 10 > g^2 = 1, 4:  v_1 = 10 - (1-b2)*1,  v_2 = v_1 - (1-b2)*4.
    # default form: m_0 = v_0 = 10, step_t = lr m_hat_t / (sqrt(v_t/(1-b2^t)) + eps).
    lr, b1, b2, eps, v0 = 0.1, 0.9, 0.999, 1e-3, 10.0
    v1, v2 = v0 - (1 - b2), v0 - (1 - b2) - 4 * (1 - b2)
    m1 = b1 * v0 + (1 - b1) * 1.0
    m2 = b1 * m1 + (1 - b1) * 2.0
    x1 = -lr * m1 / (1 - b1) / (math.sqrt(v1 / (1 - b2)) + eps)
    x2 = x1 - lr * m2 / (1 - b1**2) / (math.sqrt(v2 / (1 - b2**2)) + eps)
    grads = [np.array(1.0), np.array(2.0)]
    close(run("yogi", grads, 0.0, learning_rate=lr, initial_accumulator_value=v0), x2)


def test_adan_constant_gradient_has_no_difference_term():
    # g_0 = g_1 and g constant: every difference is 0, m_hat = g, n_hat = g^2, so each step is
    # lr sign(g) (eps = 0) whatever the weight on the difference.
    for weight in ("beta_2", "one_minus_beta_2"):
        x = run("adan", [G] * 4, X0, learning_rate=0.01, epsilon=0.0, difference_weight=weight)
        close(x, X0 - 4 * 0.01 * np.sign(G))


@pytest.mark.parametrize("weight, c", [("beta_2", 0.92), ("one_minus_beta_2", 0.08)])
def test_adan_two_steps_by_hand(weight, c):
    # g then 2g (scalar, g = 1): step 1 moves by lr.  Step 2: d = 1,  m = 0.98*0.02 + 0.02*2,
    # v = 0.08 * 1, n = 0.99 * 0.01 + 0.01 (2 + c)^2;  u = (m/(1-.98^2) + c v/(1-.92^2))
    # / sqrt(n/(1-.99^2)).
    lr = 0.1
    m = 0.98 * 0.02 + 0.02 * 2
    v = 0.08 * 1.0
    n = 0.99 * 0.01 + 0.01 * (2 + c) ** 2
    u = (m / (1 - 0.98**2) + c * v / (1 - 0.92**2)) / math.sqrt(n / (1 - 0.99**2))
    grads = [np.array(1.0), np.array(2.0)]
    x = run("adan", grads, 0.0, learning_rate=lr, epsilon=0.0, difference_weight=weight)
    close(x, -lr - lr * u)


def test_adan_weight_decay_is_proximal():
    # zero gradient: u = 0, x_n = x_0 / (1 + lr wd)^n;  one step with g: (x_0 - lr sign g)/(...)
    lr, wd = 0.1, 0.5
    close(run("adan", [np.zeros_like(G)] * 3, X0, learning_rate=lr, weight_decay=wd),
          X0 / (1 + lr * wd) ** 3)
    x = run("adan", [G], X0, learning_rate=lr, weight_decay=wd, epsilon=0.0)
    close(x, (X0 - lr * np.sign(G)) / (1 + lr * wd))


def test_novograd_first_step_normalizes_by_the_layer_norm():
    lr = 0.1
    norm = np.linalg.norm(G)  # over the whole variable
    close(run("novograd", [G], X0, learning_rate=lr, epsilon=0.0), X0 - lr * G / norm)
    close(run("novograd", [G], X0, learning_rate=lr), X0 - lr * G / (norm + 1e-6))


@pytest.mark.parametrize("grad_averaging", [False, True])
def test_novograd_constant_gradient_closed_form(grad_averaging):
    # v_t = ||g||^2 for every t (it starts there), u = g/||g||:  m_t = u (1-b1^t)/(1-b1), or
    # with grad_averaging m_t = u (1-b1^t).
    lr, b1, n = 0.01, 0.9, 7
    u = G / np.linalg.norm(G)
    scale = 1.0 if grad_averaging else 1 / (1 - b1)
    total = sum((1 - b1**t) * scale for t in range(1, n + 1))
    x = run("novograd", [G] * n, X0, learning_rate=lr, epsilon=0.0, grad_averaging=grad_averaging)
    close(x, X0 - lr * total * u)


def test_novograd_second_moment_is_a_scalar_average_and_decay_enters_momentum():
    # g_1 = G, g_2 = 2G: v_2 = b2 ||G||^2 + (1-b2) 4 ||G||^2.  With wd: u_t = g_t/sqrt(v_t) + wd x.
    lr, b1, b2, wd = 0.01, 0.9, 0.25, 0.1
    norm = np.linalg.norm(G)
    u1 = G / norm + wd * X0
    x1 = X0 - lr * u1
    u2 = 2 * G / (norm * math.sqrt(b2 + 4 * (1 - b2))) + wd * x1
    x = run("novograd", [G, 2 * G], X0, learning_rate=lr, epsilon=0.0, weight_decay=wd)
    close(x, x1 - lr * (b1 * u1 + u2))


# --- wrappers ------------------------------------------------------------------------------------


def test_clip_by_value():
    close(clip_by_value([G], 1.0)[0], [[0.5, -1.0, 1.0], [-0.25, 1.0, -1.0]])


def test_clip_by_norm_per_array():
    small = np.array([0.3, 0.4])  # norm 0.5, untouched
    big = np.array([3.0, 4.0])  # norm 5 -> scaled to norm 2
    out = clip_by_norm([small, big], 2.0)
    close(out[0], small)
    close(out[1], [1.2, 1.6])


def test_clip_by_global_norm():
    grads = [np.array([3.0]), np.array([[4.0, 12.0]])]  # global norm 13
    out = clip_by_global_norm(grads, 6.5)
    close(out[0], [1.5])
    close(out[1], [[2.0, 6.0]])
    close(math.sqrt(sum(np.sum(o**2) for o in out)), 6.5)
    same = clip_by_global_norm(grads, 20.0)
    close(same[0], grads[0])
    close(same[1], grads[1])


def test_decay():
    close(decay([X0], 0.5, 0.1)[0], X0 * 0.95)
