"""Bad arguments are refused at construction, the message naming the argument and its range."""

from __future__ import annotations

import math

import pytest
import tensorflow as tf

from coreopt import schedules as S

COS = S.Cosine(0.1, 100)

BAD = [
    # (make, exception, message)
    (lambda: S.Constant(-1.0), ValueError, r"`value` must be a finite number in \[0, inf\)"),
    (lambda: S.Constant("0.1"), TypeError, r"`value` must be a real number"),
    (lambda: S.Cosine(0.1, 0), ValueError, r"`decay_steps` must be an integer in \[1, inf\); "
                                           r"received 0"),
    (lambda: S.Cosine(0.1, -5), ValueError, r"`decay_steps` .* received -5"),
    (lambda: S.Cosine(0.1, 10.5), TypeError, r"`decay_steps` must be an integer"),
    (lambda: S.Cosine(math.inf, 10), ValueError, r"`initial` must be a finite number"),
    (lambda: S.Cosine(math.nan, 10), ValueError, r"`initial` must be a finite number"),
    (lambda: S.Cosine(0.1, 10, alpha=1.5), ValueError, r"`alpha` must be .* in \[0, 1\]"),
    (lambda: S.Cosine(0.1, 10, warmup_steps=5), ValueError, r"`warmup_steps` = 5 needs "
                                                           r"`warmup_target`"),
    (lambda: S.Cosine(0.1, 10, warmup_target=1.0, warmup_steps=-1), ValueError,
     r"`warmup_steps` must be an integer in \[0, inf\)"),
    (lambda: S.Cosine(0.1, 10, offset=2.5), TypeError, r"`offset` must be an integer"),
    (lambda: S.Cosine(0.1, 10, offset=True), TypeError, r"`offset` must be an integer"),
    (lambda: S.Stepwise([10, 10], [1.0, 0.5, 0.1]), ValueError,
     r"`boundaries` must be strictly increasing; received \[10, 10\] \(boundaries\[1\] = 10 "
     r"is not above boundaries\[0\] = 10\)"),
    (lambda: S.Stepwise([20, 10], [1.0, 0.5, 0.1]), ValueError, r"strictly increasing"),
    (lambda: S.Stepwise([-1, 10], [1.0, 0.5, 0.1]), ValueError,
     r"`boundaries\[0\]` must be an integer in \[0, inf\); received -1"),
    (lambda: S.Stepwise([10, 20], [1.0, 0.5]), ValueError,
     r"`values` must have 3 entries \(one more than the 2 boundaries\); received 2"),
    (lambda: S.Stepwise([], [1.0]), ValueError, r"`boundaries` must hold at least one step"),
    (lambda: S.Stepwise(10, [1.0, 0.5]), TypeError, r"`boundaries` must be a list"),
    (lambda: S.Stepwise([10], [1.0, -0.5]), ValueError, r"`values\[1\]` must be"),
    (lambda: S.StepCosineWithOffset([0, 10], [1.0, 0.5, 0.1]), ValueError,
     r"`values` must have 2 entries \(one per boundary: 2 boundaries\); received 3"),
    (lambda: S.Exponential(1.0, 10, 0.0), ValueError, r"`decay_rate` must be .* in \(0, inf\)"),
    (lambda: S.Exponential(1.0, 10, 0.5, staircase=1), TypeError,
     r"`staircase` must be True or False"),
    (lambda: S.Polynomial(1.0, 10, power=-1.0), ValueError, r"`power` must be .* \[0, inf\)"),
    (lambda: S.Polynomial(1.0, 10, end=-0.1), ValueError, r"`end` must be"),
    (lambda: S.CosineRestarts(1.0, 0), ValueError, r"`first_decay_steps` must be an integer in "
                                                   r"\[1, inf\)"),
    (lambda: S.CosineRestarts(1.0, 10, t_mul=0.5), ValueError, r"`t_mul` must be .* \[1, inf\)"),
    (lambda: S.CosineRestarts(1.0, 10, m_mul=-1.0), ValueError, r"`m_mul` must be"),
    (lambda: S.Power(1.0, math.inf), ValueError, r"`power` must be a finite number"),
    (lambda: S.PowerLinear(1.0, -1), ValueError, r"`total_decay_steps` must be an integer in "
                                                 r"\[0, inf\)"),
    (lambda: S.PowerLinear(1.0, 100, linear_decay_fraction=1.5), ValueError,
     r"`linear_decay_fraction` must be .* \[0, 1\]"),
    (lambda: S.PowerWithOffset(1.0, pre_offset=-1.0), ValueError, r"`pre_offset` must be"),
    (lambda: S.LinearWarmup(COS, 101), ValueError,
     r"`warmup_steps` must be in \[0, 100\], the steps of the schedule it warms "
     r"\(Cosine\(initial=0.1, decay_steps=100, alpha=0.0\) ends at step 100\); received 101"),
    (lambda: S.LinearWarmup(S.Cosine(0.1, 100, offset=50), 151), ValueError,
     r"`warmup_steps` must be in \[0, 150\]"),
    (lambda: S.PolynomialWarmup(S.WarmupStableDecay(1.0, 40, 0, 10), 41), ValueError,
     r"`warmup_steps` must be in \[0, 40\]"),
    (lambda: S.LinearWarmup(COS, -1), ValueError, r"`warmup_steps` must be an integer in "
                                                  r"\[0, inf\)"),
    (lambda: S.LinearWarmup("cosine", 10), TypeError,
     r"`after` must be a coreopt.schedules.Schedule or a number"),
    (lambda: S.LinearWarmup(lambda s: 0.1, 10), TypeError, r"`after` must be"),
    (lambda: S.PolynomialWarmup(COS, 10, power=-2.0), ValueError, r"`power` must be"),
    (lambda: S.WarmupStableDecay(1.0, 100, 60, 50), ValueError,
     r"`warmup_steps` \+ `decay_steps` must be in \[0, total_steps = 100\]; received 60 \+ 50"),
    (lambda: S.WarmupStableDecay(1.0, 0, 0, 0), ValueError, r"`total_steps` must be an integer "
                                                            r"in \[1, inf\)"),
    (lambda: S.WarmupStableDecay(1.0, 100, 10, 10, shape="sqrt"), ValueError,
     r"`shape` must be one of 'linear', 'cosine', '1-sqrt'; received 'sqrt'"),
    (lambda: S.OneCycle(1.0, 0), ValueError, r"`total_steps` must be an integer in \[1, inf\)"),
    (lambda: S.OneCycle(1.0, 100, pct_start=1.5), ValueError, r"`pct_start` must be .*\[0, 1\]"),
    (lambda: S.OneCycle(1.0, 100, anneal_strategy="cosine"), ValueError,
     r"`anneal_strategy` must be one of 'cos', 'linear'"),
    (lambda: S.OneCycle(1.0, 100, pct_start=0.6, three_phase=True), ValueError,
     r"with `three_phase`, `pct_start` must be in \[0, 0.5\]"),
    (lambda: S.OneCycle(1.0, 10, pct_start=0.1), ValueError,
     r"`pct_start` \* `total_steps` must not be 1"),
    (lambda: S.OneCycle(1.0, 100, div_factor=0.0), ValueError, r"`div_factor` must be .*"
                                                               r"\(0, inf\)"),
    (lambda: S.OneCycle(1.0, 100, final_div_factor=-1.0), ValueError, r"`final_div_factor`"),
    (lambda: S.OneCycleMomentum(100, base_momentum=1.5), ValueError,
     r"`base_momentum` must be .* \[0, 1\]"),
    (lambda: S.Join([COS, COS], []), ValueError,
     r"`schedules` must have one more entry than `boundaries` \(0 boundaries, so 1 "
     r"schedules\); received 2"),
    (lambda: S.Join([COS, COS, COS], [50, 20]), ValueError, r"`boundaries` must be strictly "
                                                           r"increasing"),
    (lambda: S.Join([COS, "x"], [10]), TypeError, r"`schedules\[1\]` must be a "
                                                  r"coreopt.schedules.Schedule"),
    (lambda: S.Join(COS, []), TypeError, r"`schedules` must be a list"),
]


@pytest.mark.parametrize("make, error, message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("step", [True, tf.constant("3"), tf.constant([True])])
def test_step_must_be_numeric(step):
    with pytest.raises(TypeError, match="step must be"):
        COS(step)


def test_edge_values_accepted():
    """The ends of each range are allowed (and behave)."""
    assert float(S.LinearWarmup(COS, 100)(99)) == pytest.approx(0.0, abs=1e-15)  # to COS(100)
    assert float(S.LinearWarmup(COS, 0)(0)) == pytest.approx(0.1)
    assert float(S.WarmupStableDecay(1.0, 10, 5, 5)(5)) == 1.0
    assert float(S.OneCycle(1.0, 1)(0)) == pytest.approx(1.0 / 25 / 1e4)
    assert float(S.OneCycle(1.0, 10, pct_start=1.0)(9)) == pytest.approx(1.0)
    assert float(S.Cosine(0.1, 10, alpha=1.0)(5)) == pytest.approx(0.1)
    assert float(S.Cosine(0.1, 10, offset=-5)(0)) == pytest.approx(0.05)
