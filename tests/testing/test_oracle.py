"""Tests of the NumPy oracle itself, each against a closed form or a hand computation."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from coreopt.testing.oracle import (
    MUON_COEFFICIENTS,
    REFERENCES,
    Reference,
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    decay,
    gaussian_noise,
    newton_schulz,
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


def test_every_entry_is_a_reference_with_a_learning_rate():
    """(That every registered optimizer has an entry: tests/optimizers/test_common.py.)"""
    for name, cls in REFERENCES.items():
        assert issubclass(cls, Reference) and "learning_rate" in cls.defaults, name


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_unknown_hyperparameter_raises_type_error(name):
    with pytest.raises(TypeError):
        REFERENCES[name](not_a_hyperparameter=1.0)
    REFERENCES[name](learning_rate=0.5)  # known names are fine


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_step_is_pure_and_keeps_shapes(name):
    grads = [G.copy(), np.array(0.5), np.array([1.0, -2.0])]
    params = [X0.copy(), np.array(-1.0), np.array([0.5, 0.25])]
    ranks = REFERENCES[name].ranks  # Muon steps matrices only
    if ranks is not None:
        grads, params = ([a for a in arrays if a.ndim in ranks] for arrays in (grads, params))
    new = REFERENCES[name]().step(grads, params, **loss_kwargs(name))
    close(grads[0], G)
    close(params[0], X0)
    assert [p.shape for p in new] == [p.shape for p in params]
    assert all(p.dtype == np.float64 and np.all(np.isfinite(p)) for p in new)
    assert all(n is not p for n, p in zip(new, params, strict=True))


# Global-norm clipping couples the variables of one step; without it the state is per variable.
PER_VARIABLE = {"adam_weight_decay": {"gradient_clip_norm": 0.0},
                # Prodigy's d is shared; with d_coef = 0 it stays d0 and nothing else couples.
                "prodigy": {"d_coef": 0.0},
                # D-Adaptation's estimate of d scales with lr: at 1e-3 it stays below d0 here.
                "dadapt_adamw": {"learning_rate": 1e-3},
                # Polyak's step size reads one norm over all arrays; capped, it is max_lr.
                "polyak_sgd": {"max_learning_rate": 1e-3, "f_min": -1e9}}


def loss_kwargs(name) -> dict:
    """The loss f(x) for an oracle whose step reads it (Polyak's), else nothing."""
    return {"loss": 3.0} if "loss" in inspect.signature(REFERENCES[name].step).parameters else {}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_state_is_per_variable(name):
    g2 = np.array([0.3, -0.7])
    x2 = np.array([1.0, 2.0])
    if REFERENCES[name].ranks == (2,):  # matrices only: a 2 x 1 one
        g2, x2 = g2[:, None], x2[:, None]
    hp = PER_VARIABLE.get(name, {})
    both = REFERENCES[name](**hp)
    alone_a, alone_b = REFERENCES[name](**hp), REFERENCES[name](**hp)
    for k in range(3):
        kw = loss_kwargs(name)
        a, b = both.step([G * (k + 1), g2 / (k + 1)], [X0, x2], **kw)
        (ea,) = alone_a.step([G * (k + 1)], [X0], **kw)
        (eb,) = alone_b.step([g2 / (k + 1)], [x2], **kw)
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


@pytest.mark.parametrize("inside", [True, False])
def test_momentum_dampening_equal_to_mu_makes_the_buffer_an_average(inside):
    # d = mu: from step 2 on b <- mu b + (1 - mu) g, and b starts at g itself, so for a
    # constant g the buffer stays g and x_n = x0 - n lr g in both placements.
    lr, mu, n = 0.1, 0.7, 6
    x = run("momentum", [G] * n, X0, learning_rate=lr, momentum=mu, dampening=mu,
            lr_inside_momentum=inside)
    close(x, X0 - n * lr * G)
    # without dampening the buffer grows: b_n = (1 - mu^n)/(1 - mu) g
    x = run("momentum", [G] * n, X0, learning_rate=lr, momentum=mu, lr_inside_momentum=inside)
    close(x, X0 - lr * G * sum((1 - mu**k) / (1 - mu) for k in range(1, n + 1)))


def test_momentum_nesterov_dampening_leaves_the_look_ahead_gradient_undamped():
    # mu = d = 0.5, g = 1, lr = 0.1:  v1 = -0.1, x1 = 0.5 v1 - 0.1 = -0.15;
    # v2 = 0.5 v1 - 0.1 * 0.5 = -0.1, x2 = x1 + 0.5 v2 - 0.1 = -0.3.
    ones = [np.array(1.0)] * 2
    hp = dict(learning_rate=0.1, momentum=0.5, dampening=0.5, nesterov=True)
    close(run("momentum", ones, 0.0, **hp), -0.3)
    # lr outside: b1 = 1, x1 = -0.1 (1 + 0.5);  b2 = 0.5 + 0.5 = 1, x2 = x1 - 0.1 (1 + 0.5).
    close(run("momentum", ones, 0.0, lr_inside_momentum=False, **hp), -0.3)


def test_momentum_learning_rate_outside_the_buffer_rescales_the_past():
    # lr 0.1 then 0.2, mu = 0.5, g = 1.  Inside: v1 = -0.1, v2 = -0.05 - 0.2, x2 = -0.35.
    # Outside: b1 = 1, b2 = 1.5, x2 = -0.1 - 0.2 * 1.5 = -0.4.
    for inside, expected in ((True, -0.35), (False, -0.4)):
        opt = REFERENCES["momentum"](learning_rate=0.1, momentum=0.5, lr_inside_momentum=inside)
        (x1,) = opt.step([np.array(1.0)], [np.array(0.0)])
        (x2,) = opt.step([np.array(1.0)], [x1], lr=0.2)
        close(x2, expected)


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


def test_adam_epsilon_root_sits_under_the_square_root():
    # step 1, eps = 0:  v^ = g^2, so x1 = x0 - lr g / sqrt(g^2 + e);  epsilon_hat form:
    # alpha m / sqrt(v + e) = lr sqrt(1-b2) g / sqrt((1-b2) g^2 + e).
    lr, e, b2 = 0.1, 0.5, 0.999
    close(run("adam", [G], X0, learning_rate=lr, epsilon=0.0, epsilon_root=e),
          X0 - lr * G / np.sqrt(G**2 + e))
    close(run("adam", [G], X0, learning_rate=lr, epsilon=0.0, epsilon_root=e, epsilon_hat=True),
          X0 - lr * math.sqrt(1 - b2) * G / np.sqrt((1 - b2) * G**2 + e))


def test_amsgrad_keeps_the_largest_second_moment():
    # g = 1 then 0:  m2 = 0.9*0.1 = 0.09,  v2 = 0.999*0.001 < vmax = 0.001
    lr, b1, b2 = 0.1, 0.9, 0.999
    step2 = lambda v: lr * (0.09 / (1 - b1**2)) / math.sqrt(v / (1 - b2**2))  # noqa: E731
    x1 = 0.0 - lr
    grads = [np.array(1.0), np.array(0.0)]
    close(run("adam", grads, 0.0, learning_rate=lr, epsilon=0.0), x1 - step2(0.999 * 0.001))
    ams = run("adam", grads, 0.0, learning_rate=lr, epsilon=0.0, amsgrad=True)
    close(ams, x1 - step2(0.001))



def test_amsgrad_bias_corrected_keeps_the_largest_corrected_second_moment():
    # g = 1 then 0:  v^_1 = 1,  v^_2 = 0.999 * 0.001 / (1 - b2^2) = 0.49975 < 1, so step 2
    # divides by sqrt(1); the uncorrected maximum (0.001) divides by sqrt(0.001/(1 - b2^2)).
    lr, b1, b2 = 0.1, 0.9, 0.999
    grads = [np.array(1.0), np.array(0.0)]
    m2_hat = 0.09 / (1 - b1**2)
    hp = dict(learning_rate=lr, epsilon=0.0, amsgrad=True, amsgrad_bias_corrected=True)
    close(run("adam", grads, 0.0, **hp), -lr - lr * m2_hat)
    close(run("adam", grads, 0.0, amsgrad_bias_corrected=False, **{
        k: v for k, v in hp.items() if k != "amsgrad_bias_corrected"}),
        -lr - lr * m2_hat / math.sqrt(0.001 / (1 - b2**2)))
    # with eps = 0 the epsilon-hat form is the same step
    close(run("adam", grads, 0.0, epsilon_hat=True, **hp), -lr - lr * m2_hat)


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


def test_adamax_epsilon_inside_the_maximum_is_remembered_by_u():
    # g then 0:  inside, u1 = |g| + eps and u2 = b2 u1;  outside, u2 + eps = b2 |g| + eps.
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 0.5
    m2 = b1 * (1 - b1) * G
    grads = [G, np.zeros_like(G)]
    x1 = X0 - lr * G / (np.abs(G) + eps)
    inside = run("adamax", grads, X0, learning_rate=lr, epsilon=eps, epsilon_inside_max=True)
    close(inside, x1 - lr * m2 / ((1 - b1**2) * b2 * (np.abs(G) + eps)))
    outside = run("adamax", grads, X0, learning_rate=lr, epsilon=eps)
    close(outside, x1 - lr * m2 / ((1 - b1**2) * (b2 * np.abs(G) + eps)))


def test_adamax_float32_correction_beta_enters_the_correction_only():
    # step 1, eps = 0:  m = (1 - b1) g, u = |g|,  x1 = x0 - lr sign(g) (1 - b1) / (1 - fl32(b1)).
    lr, b1 = 0.01, 0.9
    b1_32 = 0.89999997615814208984375  # the float32 nearest to 0.9
    x = run("adamax", [G], X0, learning_rate=lr, epsilon=0.0, float32_correction_betas=True)
    close(x, X0 - lr * np.sign(G) * (1 - b1) / (1 - b1_32))
    assert abs((1 - b1) / (1 - b1_32) - 1) > 1e-7


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


def test_nadam_constant_momentum_is_the_vanishing_schedule():
    grads = [G, -2 * G, 0.5 * G + 1]
    constant = run("nadam", grads, X0, learning_rate=0.01, constant_momentum=True,
                   momentum_decay=0.004)
    close(constant, run("nadam", grads, X0, learning_rate=0.01, momentum_decay=1e4))


def test_nadam_float32_constants_first_step_by_hand():
    # momentum_decay 1, eps 0, g constant: m1 = (1-B1) g, v^_1 = g^2 (B2 cancels), with B1, B2,
    # D the float32 values of b1, b2, 0.96;  mu_t = B1 (1 - 0.5 D^t), but P_1 = b1 (1 - 0.5*0.96).
    lr, b1 = 0.01, 0.9
    B1, D = 0.89999997615814208984375, 0.959999978542327880859375
    mu1, mu2 = B1 * (1 - 0.5 * D), B1 * (1 - 0.5 * D**2)
    p1 = b1 * (1 - 0.5 * 0.96)
    m_hat = mu2 * (1 - B1) / (1 - p1 * mu2) + (1 - mu1) / (1 - p1)  # in units of g
    x = run("nadam", [G], X0, learning_rate=lr, epsilon=0.0, momentum_decay=1.0,
            float32_constants=True)
    close(x, X0 - lr * m_hat * np.sign(G))


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


def test_rmsprop_initial_accumulator_and_bias_correction_first_step():
    lr, rho, v0 = 0.01, 0.9, 2.0
    # v1 = rho v0 + (1-rho) g^2, eps = 0
    x = run("rmsprop", [G], X0, learning_rate=lr, rho=rho, epsilon=0.0,
            initial_accumulator_value=v0)
    close(x, X0 - lr * G / np.sqrt(rho * v0 + (1 - rho) * G**2))
    # bias-corrected v^_1 = g^2: x1 = x0 - lr sign(g); centered too, a^_1 = g, so d = 0.
    x = run("rmsprop", [G], X0, learning_rate=lr, rho=rho, epsilon=0.0, bias_correction=True)
    close(x, X0 - lr * np.sign(G))
    eps = 1e-2
    x = run("rmsprop", [G], X0, learning_rate=lr, rho=rho, epsilon=eps, bias_correction=True,
            centered=True)
    close(x, X0 - lr * G / math.sqrt(eps))


@pytest.mark.parametrize("inside", [True, False])
def test_rmsprop_nesterov_two_steps_by_hand(inside):
    # rho = mu = 0.5, g = 1, eps = 0, lr = 0.1: s1 = 1/sqrt(0.5), s2 = 1/sqrt(0.75);
    # b1 = lr s1, x1 = -(lr s1 + mu b1);  b2 = mu b1 + lr s2, x2 = x1 - (lr s2 + mu b2).
    lr, mu = 0.1, 0.5
    s1, s2 = 1 / math.sqrt(0.5), 1 / math.sqrt(0.75)
    b1, b2 = lr * s1, mu * lr * s1 + lr * s2
    x1 = -(lr * s1 + mu * b1)
    x = run("rmsprop", [np.array(1.0)] * 2, 0.0, learning_rate=lr, rho=0.5, momentum=mu,
            epsilon=0.0, nesterov=True, lr_inside_momentum=inside)
    close(x, x1 - (lr * s2 + mu * b2))


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


def test_adafactor_below_min_dim_size_to_factor_keeps_the_full_second_moment():
    # Unfactored, step 1 has V = g^2 + eps1 for any g, so U = sign(g) and x1 = x0 - alpha sign(g);
    # factored (G's g^2 is not rank one) the step is not a sign step.
    lr = 0.1
    x1 = X0 - _rms(X0) * lr * np.sign(G)
    close(run("adafactor", [G], X0, learning_rate=lr, min_dim_size_to_factor=4), x1)
    factored = run("adafactor", [G], X0, learning_rate=lr, min_dim_size_to_factor=2)
    assert np.max(np.abs(factored - x1)) > 1e-3


def test_adafactor_float32_decay_rate_second_step():
    # As in test_adafactor_update_clipping (no clipping, d = 10), with beta_2 computed in float32:
    # p = fl32(2^-0.8), beta = fl32(1 - p), 1 - beta = fl32(1 - beta).
    g = np.array([1.0, -1.0, 1.0, -1.0])
    x0 = np.array([2.0, 1.0, -1.0, 0.5])
    lr = 0.1
    beta32 = np.float32(1) - np.float32(2.0**-0.8)
    beta, one_minus = float(beta32), float(np.float32(1) - beta32)
    assert beta != 1 - 2.0**-0.8
    u2 = 3 / math.sqrt(beta + 9 * one_minus)
    x1 = x0 - _rms(x0) * lr * np.sign(g)
    x2 = x1 - _rms(x1) * lr * u2 * np.sign(g)
    close(run("adafactor", [g, 3 * g], x0, learning_rate=lr, clip_threshold=10.0,
              float32_decay_rate=True), x2)


@pytest.mark.parametrize("float32_momentum", [False, True])
def test_adafactor_momentum_averages_the_steps(float32_momentum):
    # |g| equal everywhere and constant: U^ = sign(g) at every step, s_t = rms(x_{t-1}) lr.
    # M_1 = (1-mu) s_1;  M_2 = mu M_1 + (1-mu) s_2, with M_1 stored (and mu M_1 taken) in
    # float32 under float32_momentum; the step itself uses the unrounded M_t.
    g = np.array([1.0, -1.0, 1.0, -1.0])
    x0 = np.array([2.0, 1.0, -1.0, 0.5])
    lr, mu = 0.1, 0.9
    m1 = (1 - mu) * _rms(x0) * lr * np.sign(g)
    x1 = x0 - m1
    if float32_momentum:
        decayed = (np.float32(mu) * m1.astype(np.float32)).astype(np.float64)
    else:
        decayed = mu * m1
    x2 = x1 - (decayed + (1 - mu) * _rms(x1) * lr * np.sign(g))
    close(run("adafactor", [g, g], x0, learning_rate=lr, momentum=mu,
              float32_momentum=float32_momentum), x2)


def test_adafactor_weight_decay_after_the_step_size():
    lr, wd = 0.1, 0.5
    # zero gradient: U = 0, so x_n = (1 - lr wd)^n x0.
    close(run("adafactor", [np.zeros(3)] * 4, X0[0], learning_rate=lr, weight_decay=wd),
          (1 - lr * wd) ** 4 * X0[0])
    # one step: alpha from the undecayed x0, x1 = (1 - lr wd) x0 - rms(x0) lr sign(g).
    g = np.array([1.0, -2.0, 0.5])
    x = run("adafactor", [g], X0[0], learning_rate=lr, weight_decay=wd)
    close(x, (1 - lr * wd) * X0[0] - _rms(X0[0]) * lr * np.sign(g))


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


def test_lamb_float32_correction_betas_first_step():
    # eps = 0: r = c sign(g) + wd x0 with c = ((1-b1)/(1-B1)) / sqrt((1-b2)/(1-B2)), B the
    # float32 values of the betas;  x1 = x0 - lr ||x0||/||r|| r.
    lr, wd, b1, b2 = 0.01, 0.3, 0.9, 0.999
    B1, B2 = float(np.float32(b1)), float(np.float32(b2))
    c = ((1 - b1) / (1 - B1)) / math.sqrt((1 - b2) / (1 - B2))
    r = c * np.sign(G) + wd * X0
    x = run("lamb", [G], X0, learning_rate=lr, epsilon=0.0, weight_decay=wd,
            float32_correction_betas=True)
    close(x, X0 - lr * np.linalg.norm(X0) / np.linalg.norm(r) * r)


def _quintic(sigma, coefficients, steps):
    """The scalar map Newton-Schulz applies to each singular value: sigma -> p_k(...p_0(sigma))."""
    triples, _ = MUON_COEFFICIENTS[coefficients]
    for k in range(steps):
        a, b, c = triples[min(k, len(triples) - 1)]
        sigma = a * sigma + b * sigma**3 + c * sigma**5
    return sigma


@pytest.mark.parametrize("coefficients, steps", [("keller_jordan", 5), ("you", 6),
                                                 ("polar_express", 5), ("dion", 5)])
@pytest.mark.parametrize("shape", [(3, 5), (5, 3)])
def test_muon_newton_schulz_maps_the_singular_values_of_a_diagonal_matrix(shape, coefficients,
                                                                          steps):
    # D = diag(d) (rectangular): X_0 = D / (s ||d|| + eps) stays diagonal, each entry mapped by
    # the quintic polynomials, the signs kept (the maps are odd).
    d = np.array([3.0, -0.5, 0.01])
    D = np.zeros(shape)
    D[range(3), range(3)] = d
    s = MUON_COEFFICIENTS[coefficients][1]
    want = np.zeros(shape)
    want[range(3), range(3)] = _quintic(d / (s * np.linalg.norm(d) + 1e-7), coefficients, steps)
    close(newton_schulz(D, coefficients, steps), want)


@pytest.mark.parametrize("coefficients", sorted(MUON_COEFFICIENTS))
def test_muon_newton_schulz_keeps_an_orthogonal_matrix_a_multiple_of_itself(coefficients):
    # Q orthogonal (n x n): all n singular values of Q / (s sqrt(n)) equal, so NS(Q) = phi Q.
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(5, 5)))
    s = MUON_COEFFICIENTS[coefficients][1]
    phi = _quintic(1 / (s * math.sqrt(5) + 1e-7), coefficients, 5)
    close(newton_schulz(q, coefficients, 5), phi * q, rtol=1e-12, atol=1e-13)
    assert 0.7 < phi < 1.2  # near orthogonal, for every preset at 5 steps


def test_muon_polar_express_converges_to_the_polar_factor():
    # Its last triple is the classical quintic 15/8 s - 10/8 s^3 + 3/8 s^5: p(1) = 1, p'(1) = 0;
    # eight steps take singular values in [1e-3, 1] to 1, so NS(G) = U V^T for G = U S V^T.
    a, b, c = MUON_COEFFICIENTS["polar_express"][0][-1]
    assert (a + b + c, a + 3 * b + 5 * c) == (1.0, 0.0)
    g = np.random.default_rng(1).normal(size=(4, 6))
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    close(newton_schulz(g, "polar_express", 8), u @ vt, rtol=0, atol=1e-12)
    close(newton_schulz(g.T, "polar_express", 8), (u @ vt).T, rtol=0, atol=1e-12)


def test_muon_coefficient_presets_are_the_published_numbers():
    kj, you = MUON_COEFFICIENTS["keller_jordan"][0], MUON_COEFFICIENTS["you"][0]
    assert kj == [(3.4445, -4.7750, 2.0315)]
    assert [tuple(round(v * 1024) for v in t) for t in you][::5] == [(3955, -8306, 5008),
                                                                     (2172, -1833, 682)]
    raw = [(a * 1.01, b * 1.01**3, c * 1.01**5) for a, b, c in MUON_COEFFICIENTS[
        "polar_express"][0][:1]]
    close(raw, [(8.28721201814563, -23.595886519098837, 17.300387312530933)])


@pytest.mark.parametrize("scale, tall, wide", [
    ("keller_jordan", math.sqrt(2), 1.0), ("optax", 1.0, math.sqrt(2)),
    ("moonlight", 0.3 * math.sqrt(6), 0.3 * math.sqrt(6)), ("none", 1.0, 1.0)])
def test_muon_first_step_is_the_scaled_newton_schulz_of_the_gradient(scale, tall, wide):
    # From m = 0 each momentum form's u_1 is a positive multiple of g, and NS ignores the
    # scale (up to epsilon): x_1 = x_0 - lr * factor * NS(g), for a 6 x 3 and a 3 x 6 matrix.
    g = np.random.default_rng(2).normal(size=(6, 3))
    for form in ("ema", "sum", "debiased_ema"):
        for grad, factor in ((g, tall), (g.T, wide)):
            x = run("muon", [grad], np.zeros_like(grad), learning_rate=0.1, epsilon=1e-30,
                    momentum_form=form, scale=scale, update_rms=0.3)
            close(x, -0.1 * factor * newton_schulz(grad, eps=1e-30))


@pytest.mark.parametrize("nesterov", [True, False])
def test_muon_sum_momentum_is_the_ema_times_1_over_1_minus_mu(nesterov):
    # m_sum = m_ema / (1 - mu) and so u_sum = u_ema / (1 - mu) at every step: NS, scale-free
    # but for epsilon, gives the same trajectory.
    grads = [G * (k % 3 - 1.2) + 0.1 * k for k in range(6)]
    ema = run("muon", grads, X0, epsilon=1e-30, nesterov=nesterov)
    total = run("muon", grads, X0, epsilon=1e-30, nesterov=nesterov, momentum_form="sum")
    close(total, ema)


def test_muon_debiased_nesterov_two_steps_by_hand():
    # optax: u_t = mu m_t/(1-mu^(t+1)) + (1-mu) g_t/(1-mu^t), with m_t the EMA.
    mu, g1, g2 = 0.5, G, np.flip(G, axis=1)
    m1 = (1 - mu) * g1
    m2 = mu * m1 + (1 - mu) * g2
    u1 = mu * m1 / (1 - mu**2) + (1 - mu) * g1 / (1 - mu)
    u2 = mu * m2 / (1 - mu**3) + (1 - mu) * g2 / (1 - mu**2)
    want = X0 - 0.1 * newton_schulz(u1) - 0.1 * newton_schulz(u2)
    x = run("muon", [g1, g2], X0, learning_rate=0.1, momentum=mu, momentum_form="debiased_ema",
            scale="none")
    close(x, want)


def test_muon_refuses_what_is_not_a_matrix():
    with pytest.raises(ValueError, match="matrices only"):
        REFERENCES["muon"]().step([np.ones(3)], [np.ones(3)])


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


def test_lars_first_step_scales_lr_by_the_trust_ratio():
    # v_1 = lr * ratio * g with ratio = eeta ||x|| / (||g|| + eps), in both momentum forms.
    lr, eeta = 0.5, 0.01
    ratio = eeta * np.linalg.norm(X0) / np.linalg.norm(G)
    for classic in (True, False):
        x = run("lars", [G], X0, learning_rate=lr, eeta=eeta, classic_momentum=classic)
        close(x, X0 - lr * ratio * G)
    x = run("lars", [G], X0, learning_rate=lr, eeta=eeta, epsilon=1.0)
    close(x, X0 - lr * eeta * np.linalg.norm(X0) / (np.linalg.norm(G) + 1.0) * G)


def test_lars_two_steps_by_hand_nesterov_and_both_momentum_forms():
    lr, mu, eeta, wd = 0.1, 0.5, 0.2, 0.3
    hp = {"learning_rate": lr, "momentum": mu, "eeta": eeta, "weight_decay_rate": wd}

    def trust(x, a):
        return eeta * np.linalg.norm(x) / np.linalg.norm(a)

    u1 = G + wd * X0
    s1 = lr * trust(X0, u1)
    x1 = X0 - (mu * s1 * u1 + s1 * u1)  # v_1 = s1 u1, step mu v_1 + s1 u1
    u2 = G + wd * x1
    s2 = lr * trust(x1, u2)
    v2 = mu * s1 * u1 + s2 * u2
    close(run("lars", [G, G], X0, nesterov=True, **hp), x1 - (mu * v2 + s2 * u2))
    # popular momentum: v_1 = u1, x1 = X0 - lr trust(X0, u1) u1; v_2 = mu u1 + u2
    y1 = X0 - lr * trust(X0, u1) * u1
    w2 = mu * u1 + (G + wd * y1)
    close(run("lars", [G, G], X0, classic_momentum=False, **hp), y1 - lr * trust(y1, w2) * w2)


def test_lars_zero_norms_take_ratio_one():
    zero = np.zeros_like(X0)
    close(run("lars", [G], zero, learning_rate=0.1), -0.1 * G)
    close(run("lars", [zero], X0, learning_rate=0.1), X0)


def test_lars_patterns_search_the_path_and_adaptation_follows_decay_by_default():
    lr, wd, eeta = 0.1, 0.5, 0.01
    opt = REFERENCES["lars"](learning_rate=lr, weight_decay_rate=wd, eeta=eeta,
                             exclude_from_weight_decay="bias")
    opt.paths = {0: "dense/kernel", 1: "dense/bias"}
    kernel, bias = opt.step([G, G], [X0, X0])
    u = G + wd * X0
    close(kernel, X0 - lr * eeta * np.linalg.norm(X0) / np.linalg.norm(u) * u)
    close(bias, X0 - lr * G)  # neither decayed nor adapted
    opt = REFERENCES["lars"](learning_rate=lr, weight_decay_rate=wd, eeta=eeta,
                             exclude_from_weight_decay="bias",
                             exclude_from_layer_adaptation="(?!)")
    opt.paths = {0: "dense/bias"}
    (bias,) = opt.step([G], [X0])
    close(bias, X0 - lr * eeta * np.linalg.norm(X0) / np.linalg.norm(G) * G)


def test_adam_weight_decay_without_bias_correction_is_berts_first_step():
    # m = (1-b1) g, v = (1-b2) g^2:  x <- x - lr (m/(sqrt(v) + eps) + wd x).
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-6, 0.01
    m, v = (1 - b1) * G, (1 - b2) * G**2
    x = run("adam_weight_decay", [G], X0, learning_rate=lr, epsilon=eps, weight_decay_rate=wd,
            bias_correction=False, gradient_clip_norm=0.0)
    close(x, X0 - lr * (m / (np.sqrt(v) + eps) + wd * X0))


def test_adam_weight_decay_bias_corrected_first_step_and_pure_decay():
    lr, wd = 0.01, 0.5
    x = run("adam_weight_decay", [G], X0, learning_rate=lr, epsilon=0.0, gradient_clip_norm=0.0)
    close(x, X0 - lr * np.sign(G))
    zero = np.zeros_like(G)
    x = run("adam_weight_decay", [zero] * 3, X0, learning_rate=lr, weight_decay_rate=wd)
    close(x, X0 * (1 - lr * wd) ** 3)


def test_adam_weight_decay_clips_to_the_global_norm_of_the_step():
    g1, g2 = np.array([3.0, 0.0]), np.array([[0.0, 4.0]])  # global norm 5
    hp = {"learning_rate": 0.1, "bias_correction": False, "epsilon": 1e-3}
    clipped = REFERENCES["adam_weight_decay"](gradient_clip_norm=2.5, **hp)
    plain = REFERENCES["adam_weight_decay"](gradient_clip_norm=0.0, **hp)
    ones = [np.ones(2), np.ones((1, 2))]
    for a, b in zip(clipped.step([g1, g2], ones), plain.step([g1 / 2, g2 / 2], ones)):
        close(a, b)


def test_adam_weight_decay_include_wins_over_exclude():
    lr, wd = 0.1, 0.5
    opt = REFERENCES["adam_weight_decay"](learning_rate=lr, weight_decay_rate=wd,
                                          include_in_weight_decay="attention",
                                          exclude_from_weight_decay="bias")
    opt.paths = {0: "attention/bias", 1: "dense/bias", 2: "dense/kernel"}
    zero = np.zeros(2)
    out = opt.step([zero] * 3, [np.ones(2)] * 3)
    close([o[0] for o in out], [1 - lr * wd, 1.0, 1 - lr * wd])


def test_rprop_constant_sign_grows_the_step_geometrically_up_to_the_bound():
    # s_1 = lr (c = 0), s_k = min(lr 1.2^(k-1), max):  x_n = x0 - sign(g) sum_k s_k.
    lr, top, n = 0.1, 0.2, 8
    sizes = [min(lr * 1.2 ** (k - 1), top) for k in range(1, n + 1)]
    x = run("rprop", [G] * n, X0, learning_rate=lr, max_step_size=top)
    close(x, X0 - np.sign(G) * sum(sizes))


def test_rprop_sign_change_halves_the_step_and_skips_one_move():
    # g = +1, -1, +1:  move 0.1; flip: s = 0.05, no move (p = 0); then c = 0: move 0.05.
    x = run("rprop", [np.array(1.0), np.array(-1.0), np.array(1.0)], np.array(0.0),
            learning_rate=0.1)
    close(x, -0.1 - 0.05)


def test_rprop_stale_update_lags_one_step_and_clamping_of_unchanged_sizes():
    g = [np.array([1.0, -1.0])] * 4
    fresh = [run("rprop", g, np.zeros(2), steps=k, learning_rate=0.1) for k in range(4)]
    stale = run("rprop", g, np.zeros(2), learning_rate=0.1, stale_update=True)
    close(stale, fresh[3])  # 4 stale steps: 0, then the first three fresh moves
    # lr above max: torch clips the first (unchanged) step size, optax keeps it
    close(run("rprop", [G], X0, learning_rate=1.0, max_step_size=0.3), X0 - 0.3 * np.sign(G))
    close(run("rprop", [G], X0, learning_rate=1.0, max_step_size=0.3, clamp_unchanged=False),
          X0 - np.sign(G))


def test_asgd_step_size_closed_form_and_no_averaging_before_t0():
    # eta_t = lr / (1 + lambd lr (t-1))^alpha;  x_t = x (1 - lambd eta_t) - eta_t g.
    lr, lambd, alpha = 0.1, 0.5, 0.75
    opt = REFERENCES["asgd"](learning_rate=lr, lambd=lambd, alpha=alpha)
    x, want = X0.copy(), X0.copy()
    for t in range(1, 6):
        (x,) = opt.step([G], [x])
        eta = lr / (1 + lambd * lr * (t - 1)) ** alpha
        want = want * (1 - lambd * eta) - eta * G
        close(opt.state[0]["ax"], x)  # t0 = 1e6: ax follows x
    close(x, want)


def test_asgd_with_t0_zero_averages_from_the_second_iterate():
    # mu_1 = mu_2 = 1, mu_t = 1/(t-1):  ax_n = mean(x_2, ..., x_n).
    opt = REFERENCES["asgd"](learning_rate=0.1, t0=0.0, weight_decay=0.2)
    x, path = X0.copy(), []
    for _ in range(7):
        (x,) = opt.step([G], [x])
        path.append(x)
    close(opt.state[0]["ax"], np.mean(path[1:], axis=0))


def test_sm3_vectors_are_adagrad():
    # rank <= 1: nu = sum of g^2;  momentum 0: x <- x - lr g / sqrt(nu + eps).
    g1, g2 = np.array([1.0, -2.0]), np.array([3.0, 0.5])
    x = run("sm3", [g1, g2], np.zeros(2), learning_rate=0.1, momentum=0.0, epsilon=0.0)
    close(x, -0.1 * g1 / np.abs(g1) - 0.1 * g2 / np.sqrt(g1**2 + g2**2))


def test_sm3_matrix_two_steps_by_hand():
    # step 1: nu = g1^2 = [[1, 0], [0, 4]]; rows max [1, 4], cols max [1, 4].
    # step 2 (g2 = 1): nu = min(row_i, col_j) + 1 = [[2, 2], [2, 5]].
    g1, g2 = np.array([[1.0, 0.0], [0.0, 2.0]]), np.ones((2, 2))
    x = run("sm3", [g1, g2], np.zeros((2, 2)), learning_rate=1.0, momentum=0.0, epsilon=0.0)
    first = np.array([[1.0, 0.0], [0.0, 1.0]])
    close(x, -first - 1 / np.sqrt([[2.0, 2.0], [2.0, 5.0]]))


def test_sm3_accumulator_bounds_the_sum_of_squares_and_momentum_averages():
    # nu_t >= sum_s g_s^2 elementwise (the paper's claim); recover nu from the step (mu = 0).
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)) for _ in range(6)]
    opt, x = REFERENCES["sm3"](learning_rate=1.0, momentum=0.0, epsilon=0.0), np.zeros((3, 4))
    for k, g in enumerate(grads):
        (new,) = opt.step([g], [x])
        nu = (g / (x - new)) ** 2
        assert np.all(nu >= sum(h**2 for h in grads[: k + 1]) * (1 - 1e-12))
        x = new
    # momentum 0.5, constant scalar g = 1: u_t = 1/sqrt(t), m_t = 0.5 m + 0.5 u_t.
    m, want = 0.0, 0.0
    for t in range(1, 5):
        m = 0.5 * m + 0.5 / math.sqrt(t)
        want -= 0.1 * m
    close(run("sm3", [np.array(1.0)] * 4, np.array(0.0), learning_rate=0.1, momentum=0.5,
              epsilon=0.0), want)


def test_fromage_keeps_the_norm_for_an_orthogonal_gradient():
    # g perpendicular to x: ||x - lr (||x||/||g||) g||^2 = (1 + lr^2) ||x||^2.
    x0, g = np.array([3.0, 4.0]), np.array([-8.0, 6.0])
    x = run("fromage", [g], x0, learning_rate=0.5)
    close(np.linalg.norm(x), 5.0)
    close(x, (x0 - 0.5 * 5.0 / 10.0 * g) / math.sqrt(1.25))


def test_fromage_zero_gradient_shrinks_and_zero_norms_take_ratio_one():
    lr = 0.3
    close(run("fromage", [np.zeros(2)], np.array([3.0, 4.0]), learning_rate=lr),
          np.array([3.0, 4.0]) / math.sqrt(1 + lr**2))
    close(run("fromage", [G], np.zeros_like(G), learning_rate=lr, min_norm=0.0),
          -lr * G / math.sqrt(1 + lr**2))
    # min_norm floors ||x||: ratio = 1e-6 / ||g||
    close(run("fromage", [G], np.zeros_like(G), learning_rate=lr),
          -lr * 1e-6 / np.linalg.norm(G) * G / math.sqrt(1 + lr**2))


def test_noisy_sgd_without_noise_is_gd_and_noise_has_the_annealed_variance():
    close(run("noisy_sgd", [G] * 3, X0, learning_rate=0.1, eta=0.0), X0 - 0.3 * G)
    eta, gamma, n = 0.5, 0.55, 20000
    opt = REFERENCES["noisy_sgd"](learning_rate=1.0, eta=eta, gamma=gamma)
    x = np.zeros(n)
    for t in (1, 2, 3):
        (new,) = opt.step([np.zeros(n)], [x])
        z = (x - new) / math.sqrt(eta / t**gamma)  # the draws, N(0, 1)
        assert abs(z.mean()) < 0.03 and abs(z.var() - 1) < 0.04
        x = new


def test_noisy_sgd_noise_is_a_function_of_seed_path_shape_and_step():
    a = gaussian_noise((4, 5), 0, "dense/kernel", 3)
    assert np.array_equal(a, gaussian_noise((4, 5), 0, "dense/kernel", 3))
    for other in (gaussian_noise((4, 5), 1, "dense/kernel", 3),
                  gaussian_noise((4, 5), 0, "dense_1/kernel", 3),
                  gaussian_noise((5, 4), 0, "dense/kernel", 3),
                  gaussian_noise((4, 5), 0, "dense/kernel", 4)):
        assert np.all(a.ravel() != other.ravel())
    assert gaussian_noise((), 0, "", 1).shape == ()


def test_optimistic_gd_two_steps_by_hand():
    # step 1: g_0 = g_1, u = alpha g_1;  step 2: u = (alpha + beta) g_2 - beta g_1.
    lr, alpha, beta = 0.1, 0.5, 2.0
    g1, g2 = np.array([1.0, -1.0]), np.array([3.0, 2.0])
    x = run("optimistic_gd", [g1, g2], np.zeros(2), learning_rate=lr, alpha=alpha, beta=beta)
    close(x, -lr * alpha * g1 - lr * ((alpha + beta) * g2 - beta * g1))
    close(run("optimistic_gd", [G] * 4, X0, learning_rate=lr, beta=0.0), X0 - 4 * lr * G)


def test_optimistic_gd_converges_on_the_bilinear_game_where_gd_spirals_out():
    # min_x max_y x y: the field (y, -x); gradient descent-ascent grows ||(x, y)||, OGD shrinks it.
    def field(z):
        return np.array([z[1], -z[0]])

    z0 = np.array([1.0, 1.0])
    ogd = run("optimistic_gd", field, z0, steps=2000, learning_rate=0.1)
    gd = run("gd", field, z0, steps=2000, learning_rate=0.1)
    assert np.linalg.norm(ogd) < 1e-3 < 1e3 < np.linalg.norm(gd)


# --- wrappers ------------------------------------------------------------------------------------


def test_schedule_free_with_beta_1_one_and_uniform_weights_is_the_average_of_sgd_iterates():
    lr, steps = 0.1, 6
    x = run("schedule_free_sgd", [G] * steps, X0, learning_rate=lr, beta_1=1.0,
            weight_lr_power=0.0)
    # z_{k+1} = x0 - k lr G;  x_{T+1} = mean of z_2..z_{T+1} = x0 - lr G (T + 1) / 2
    close(x, X0 - lr * G * (steps + 1) / 2)


def test_schedule_free_weights_are_the_squared_warmup_rates_and_y_interpolates():
    opt = REFERENCES["schedule_free_sgd"](learning_rate=0.3, warmup_steps=4.0, beta_1=0.75)
    g1, g2 = G, 2 * G
    (y1,) = opt.step([g1], [X0])
    assert opt.c == 1.0 and opt.gamma == pytest.approx(0.075)
    (y2,) = opt.step([g2], [y1])
    assert opt.c == pytest.approx(4 / 5)  # gamma = lr/4, lr/2: c_3 = (1/2)^2 / (1/4^2 + 1/2^2)
    z2, z3 = X0 - 0.075 * g1, X0 - 0.075 * g1 - 0.15 * g2
    x3 = 0.2 * z2 + 0.8 * z3
    close(y1, z2)
    close(y2, 0.25 * z3 + 0.75 * x3)


def test_schedule_free_optax_form_first_step_stays_and_weights_read_one_step_ahead():
    opt = REFERENCES["schedule_free_sgd"](learning_rate=0.2, warmup_steps=10.0,
                                          schedule_form="optax")
    (y1,) = opt.step([G], [X0])
    close(y1, X0)
    assert opt.gamma == 0.0 and opt.c == 1.0
    opt.step([G], [y1])
    assert opt.gamma == pytest.approx(0.02)
    assert opt.c == pytest.approx(0.04**2 / (0.02**2 + 0.04**2))


def test_schedule_free_float32_warmup_rounds_the_rate_as_xla_does():
    opt = REFERENCES["schedule_free_sgd"](learning_rate=0.1, warmup_steps=10.0,
                                          float32_warmup=True, schedule_form="optax")
    # optax.warmup_constant_schedule(0, 0.1, 10) under jax.jit: 0.010000002570450306 at count 1
    assert opt._warm(0.1, 1) == 0.010000002570450306
    assert opt._warm(0.1, 12) == float(np.float32(0.1))


def test_schedule_free_keras_recovery_takes_x_from_the_new_z():
    # Keras 3.15, beta_1 = 0.5, lr 0.1, g = 1: y = 0.9, then 0.85 (the paper: 0.825)
    kw = {"learning_rate": 0.1, "beta_1": 0.5, "weight_lr_power": 0.0, "epsilon": 0.0}
    one = np.array(1.0)
    close(run("schedule_free_adamw", [one, one], one, **kw), 0.825)
    close(run("schedule_free_adamw", [one, one], one, x_from_new_z=True, **kw), 0.85)


def test_schedule_free_adamw_first_step_is_lr_times_the_normalized_gradient():
    x = run("schedule_free_adamw", [G], X0, learning_rate=0.1, epsilon=1e-3, weight_decay=0.5)
    close(x, X0 - 0.1 * (G / (np.abs(G) + 1e-3) + 0.5 * X0))


def test_prodigy_first_step_has_d0_and_the_second_estimates_d_by_hand():
    lr, d0, b1, b2, b3, eps = 1.0, 1e-6, 0.9, 0.999, 0.5, 1e-8
    opt = REFERENCES["prodigy"](learning_rate=lr, d0=d0, beta_3=b3)
    g1, x0 = np.array([2.0, -1.0]), np.array([1.0, 1.0])
    (x1,) = opt.step([g1], [x0])
    dlr1 = d0 * math.sqrt(1 - b2) / (1 - b1)
    close(x1, x0 - dlr1 * (1 - b1) * d0 * g1 / (math.sqrt(1 - b2) * d0 * np.abs(g1) + d0 * eps))
    assert opt.d == d0 and opt.r == 0.0
    g2 = np.array([1.0, 1.0])
    opt.step([g2], [x1])
    dlr2 = d0 * math.sqrt(1 - b2**2) / (1 - b1**2)
    s = b3 * dlr1 * d0 * g1 / d0 + dlr2 * d0 * g2 / d0
    r = dlr2 * float(g2 @ (x0 - x1))
    assert opt.r == pytest.approx(r, rel=1e-12)
    assert opt.d == pytest.approx(max(d0, r / np.abs(s).sum()), rel=1e-12)
    for _ in range(60):  # on |x|^2 / 2 from x0, d grows towards the distance to 0
        (x1,) = opt.step([x1], [x1])
    assert 100 * d0 < opt.d < 2 * np.linalg.norm(x0)


def test_prodigy_d_is_shared_by_all_variables():
    both = REFERENCES["prodigy"](d0=1e-3)
    alone = REFERENCES["prodigy"](d0=1e-3)
    x_a, x_b = X0.copy(), np.array([1.0, -2.0])
    for k in range(3):
        a, b = both.step([G * (k + 1), np.array([0.5, 0.5])], [x_a, x_b])
        (ea,) = alone.step([G * (k + 1)], [x_a])
        x_a, x_b = a, b
    assert both.d != alone.d


def test_dadapt_adamw_first_step_is_d0_lr_and_the_second_estimates_d_by_hand():
    lr, d0, b1, b2, eps, wd = 2.0, 1e-6, 0.9, 0.999, 1e-8, 0.1
    c = math.sqrt(b2)
    opt = REFERENCES["dadapt_adamw"](learning_rate=lr, d0=d0, weight_decay=wd)
    g1, x0 = np.array([2.0, -1.0]), np.array([1.0, 1.0])
    (x1,) = opt.step([g1], [x0])
    dlr1 = d0 * lr * math.sqrt(1 - b2) / (1 - b1)  # (1 - b1) dlr1 / sqrt(1 - b2) = d0 lr
    close(x1, x0 - wd * dlr1 * x0 - d0 * lr * g1 / (np.abs(g1) + eps / math.sqrt(1 - b2)))
    assert opt.d == d0 and opt.r == 0.0  # q_1 = 0: nothing is estimated on the first step
    g2 = np.array([1.0, -1.0])
    opt.step([g2], [x1])
    dlr2 = d0 * lr * math.sqrt(1 - b2**2) / (1 - b1**2)
    s1 = (1 - c) * dlr1 * g1
    r = (1 - c) * dlr2 * float(g2 @ (s1 / (math.sqrt(1 - b2) * np.abs(g1) + eps)))
    s2 = c * s1 + (1 - c) * dlr2 * g2
    assert opt.r == pytest.approx(r, rel=1e-12)
    assert opt.d == pytest.approx(max(d0, r / ((1 - c) * np.abs(s2).sum())), rel=1e-12)
    opt = REFERENCES["dadapt_adamw"](d0=d0)
    x = x0
    for _ in range(100):  # on |x|^2 / 2 from x0, d grows towards the distance to 0
        (x,) = opt.step([x], [x])
    assert 1000 * d0 < opt.d < 2 * np.linalg.norm(x0)


def test_shampoo_first_step_on_a_vector_is_full_matrix_adagrad():
    """L = g g^T, P = (g g^T + eps I)^(-1/2): P g = g / sqrt(|g|^2 + eps) (g an eigenvector)."""
    g, x0, lr, eps = np.array([3.0, -4.0, 12.0]), np.array([1.0, 2.0, 3.0]), 0.1, 1e-3
    opt = REFERENCES["shampoo"](learning_rate=lr, beta_1=0.0, graft="none", epsilon=eps)
    (x1,) = opt.step([g], [x0])
    close(x1, x0 - lr * g / math.sqrt(169 + eps))


def test_shampoo_first_step_on_a_matrix_is_the_polar_factor():
    """L^(-1/4) G R^(-1/4) = U S^(-1/2) S S^(-1/2) V^T = U V^T (G = U S V^T, eps -> 0): the
    orthogonalised gradient; the SGD graft gives it G's norm, Adagrad's sqrt(count)."""
    rng = np.random.default_rng(0)
    G, x0 = rng.normal(size=(3, 5)), np.zeros((3, 5))
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    for graft, norm in (("none", math.sqrt(3)), ("sgd", np.linalg.norm(G)),
                        ("adagrad", math.sqrt(15))):
        opt = REFERENCES["shampoo"](learning_rate=1.0, beta_1=0.0, graft=graft, epsilon=1e-14)
        (x1,) = opt.step([G], [x0])
        close(-x1, U @ Vt * norm / math.sqrt(3), rtol=1e-6, atol=1e-9)


def test_shampoo_sums_its_statistics_and_refreshes_the_roots_every_f_steps():
    g, x0 = np.array([1.0, 0.0]), np.zeros(2)
    opt = REFERENCES["shampoo"](learning_rate=1.0, beta_1=0.0, graft="none", epsilon=1.0,
                                preconditioning_frequency=2)
    (x1,) = opt.step([g], [x0])  # L = diag(1, 0): P = diag(2, 1)^(-1/2)
    close(x1, [-1 / math.sqrt(2), 0.0])
    (x2,) = opt.step([g], [x1])  # L = diag(2, 0), but P is kept from step 1
    close(x2 - x1, [-1 / math.sqrt(2), 0.0])
    close(opt.state[0]["l0"], np.diag([2.0, 0.0]))
    (x3,) = opt.step([g], [x2])  # step 3 = 1 + f: P = diag(4, 1)^(-1/2)
    close(x3 - x2, [-0.5, 0.0])


def test_soap_second_step_on_a_repeated_matrix_gradient_is_the_polar_factor():
    """Step 1 only sets Q_L = U, Q_R = V (G = U S V^T); with b1 = b2 = 0 step 2 is
    sign(U^T G V) = sign(S) = I rotated back: U V^T, the orthogonalised gradient. (U^T G V's
    off-diagonal rounding, about 1e-15, over epsilon stays far below the tolerance.)"""
    rng = np.random.default_rng(0)
    G, x0 = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    opt = REFERENCES["soap"](learning_rate=1.0, beta_1=0.0, beta_2=0.0, epsilon=1e-7,
                             weight_decay=0.0)
    (x1,) = opt.step([G], [x0])
    close(x1, x0)
    (x2,) = opt.step([G], [x1])
    close(x1 - x2, U @ Vt, rtol=1e-6, atol=1e-6)


def test_soap_without_preconditioned_axes_is_adam_from_its_second_step():
    """No axis no longer than max_preconditioner_dim: Q = I, so each step s = t - 1 is Adam's
    step s; weight decay then takes lr * wd of the stepped x."""
    rng = np.random.default_rng(1)
    grads, x0 = [rng.normal(size=(2, 3)) for _ in range(6)], rng.normal(size=(2, 3))
    lr, wd = 0.1, 0.2
    soap = REFERENCES["soap"](learning_rate=lr, max_preconditioner_dim=1, weight_decay=wd)
    adam = REFERENCES["adam"](learning_rate=lr, beta_1=0.95, beta_2=0.95, epsilon=1e-8,
                              epsilon_hat=True)  # eps added to sqrt(v), as Keras
    (x,) = soap.step([grads[0]], [x0])
    close(x, x0)
    for g in grads[1:]:
        (y,) = adam.step([g], [x])
        (x,) = soap.step([g], [x])
        close(x, y - lr * wd * y)


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
