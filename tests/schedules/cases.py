"""Example schedules, each with its reference formula and the steps to compare at.

`CASES[name]` lists (schedule, reference, steps) for the registry name
`name`; the tests iterate over `schedules.names()` and fail for a name
missing here. The steps run from 0 past each schedule's end and include
every boundary, offset and phase end with its neighbours (and, where the
formula differs there, a fractional step: a schedule takes float steps too).
"""

from __future__ import annotations

import math

from coreopt import schedules as S
from tests.schedules import reference as R


def grid(*marks, stop=None):
    """Steps 0 .. stop (default: past the last mark), each mark +-1, and a far step."""
    stop = stop if stop is not None else int(max(marks, default=10) * 1.3) + 5
    near = {math.floor(m) + d for m in marks for d in (-1, 0, 1, 2)}
    return sorted({s for s in range(stop + 1)} | {s for s in near if s >= 0} | {10**6})


def _holding_step_cosine(boundaries, values, offset):
    """Upstream's step cosine where finite; `values[-1]` where upstream is NaN."""
    upstream = R.mg_step_cosine(boundaries, values, offset)

    def f(step):
        v = upstream(step)
        if math.isnan(v):
            assert step - offset >= boundaries[-1] or len(values) == 1, step
            return values[-1]
        return v
    return f


def _polynomial_cycle_before_offset(offset, **kw):
    """Keras's cycling formula at s >= 0; the non-cycling formula at s < 0 (documented)."""
    cycling = R.keras_polynomial(cycle=True, **kw)
    plain = R.keras_polynomial(cycle=False, **kw)
    return lambda step: cycling(step - offset) if step >= offset else plain(step - offset)


def _one_cycle(schedule, phases):
    """torch's values up to step T - 1; the last phase's end value after (documented)."""
    torch = R.torch_one_cycle(phases, schedule.anneal_strategy, schedule.total_steps)
    return lambda s: torch(s) if s <= schedule.total_steps - 1 else phases[-1][2]


def _lr_cycle(**kw):
    schedule = S.OneCycle(**kw)
    phases = R.torch_lr_phases(kw["peak"], kw["total_steps"], kw.get("pct_start", 0.3),
                               kw.get("div_factor", 25.0), kw.get("final_div_factor", 1e4),
                               kw.get("three_phase", False))
    return schedule, _one_cycle(schedule, phases), grid(*[p[0] for p in phases])


def _momentum_cycle(**kw):
    schedule = S.OneCycleMomentum(**kw)
    phases = R.torch_momentum_phases(kw.get("base_momentum", 0.85),
                                     kw.get("max_momentum", 0.95), kw["total_steps"],
                                     kw.get("pct_start", 0.3), kw.get("three_phase", False))
    return schedule, _one_cycle(schedule, phases), grid(*[p[0] for p in phases])


_COS = dict(initial=0.4, decay_steps=50, alpha=0.1)
_POLY = dict(initial=1.0, decay_steps=20, end=0.1, power=2.0)
_PL = dict(initial=1.0, total_decay_steps=100, power=-1.0, linear_decay_fraction=0.5)

CASES = {
    "constant": [(S.Constant(0.3), lambda s: 0.3, grid(5))],
    "stepwise": [
        (S.Stepwise([10, 25, 40], [1.0, 0.5, 0.2, 0.05]),
         R.keras_piecewise([10, 25, 40], [1.0, 0.5, 0.2, 0.05]), grid(10, 25, 40)),
        (S.Stepwise([0, 5], [0.3, 0.2, 0.1], offset=12),
         R.with_offset(R.keras_piecewise([0, 5], [0.3, 0.2, 0.1]), 12), grid(12, 17)),
    ],
    "exponential": [
        (S.Exponential(1.0, 10, 0.5), R.keras_exponential(1.0, 10, 0.5), grid(10, 20)),
        (S.Exponential(2.0, 7, 0.9, staircase=True, offset=5),
         R.with_offset(R.keras_exponential(2.0, 7, 0.9, True), 5), grid(5, 12, 19)),
    ],
    "polynomial": [
        (S.Polynomial(**_POLY), R.keras_polynomial(**_POLY), grid(20)),
        (S.Polynomial(**_POLY, offset=8), R.with_offset(R.keras_polynomial(**_POLY), 8),
         grid(8, 28)),
        (S.Polynomial(**_POLY, cycle=True, offset=6),
         _polynomial_cycle_before_offset(6, **_POLY), grid(6, 26, 46, 66, stop=90)),
    ],
    "cosine": [
        (S.Cosine(**_COS), R.keras_cosine(**_COS), grid(50)),
        (S.Cosine(**_COS, offset=30), R.with_offset(R.keras_cosine(**_COS), 30), grid(30, 80)),
        (S.Cosine(0.1, 40, alpha=0.2, warmup_target=0.9, warmup_steps=15),
         R.keras_cosine(0.1, 40, alpha=0.2, warmup_target=0.9, warmup_steps=15), grid(15, 55)),
    ],
    "cosine_restarts": [
        (S.CosineRestarts(1.0, 10, t_mul=1.0, m_mul=0.8, alpha=0.1),
         R.sgdr_restarts(1.0, 10, 1.0, 0.8, 0.1), grid(10, 20, 30, 40)),
        (S.CosineRestarts(0.5, 8, t_mul=2.0, m_mul=0.5),
         R.sgdr_restarts(0.5, 8, 2.0, 0.5), grid(8, 24, 56, stop=130)),
        (S.CosineRestarts(0.5, 1, t_mul=3.0, m_mul=0.9, alpha=0.1),
         R.sgdr_restarts(0.5, 1, 3.0, 0.9, 0.1), grid(1, 4, 13, 40, 121, stop=130)),
    ],
    "step_cosine_with_offset": [
        (S.StepCosineWithOffset([0, 30, 50], [1.0, 0.5, 0.1]),
         _holding_step_cosine([0, 30, 50], [1.0, 0.5, 0.1], 0), grid(30, 50)),
        (S.StepCosineWithOffset([10, 30], [1.0, 0.5], offset=7),
         _holding_step_cosine([10, 30], [1.0, 0.5], 7), grid(7, 17, 37)),
        (S.StepCosineWithOffset([0], [0.7]), lambda s: 0.7, grid(3)),
    ],
    "power": [(S.Power(1.0, -0.5), R.mg_power(1.0, -0.5), grid(50)),
              (S.Power(0.01, 0.5), R.mg_power(0.01, 0.5), grid(20))],
    "power_linear": [
        (S.PowerLinear(**_PL), R.mg_power_linear(**_PL, offset=0), grid(50, 100)),
        (S.PowerLinear(**_PL, offset=90), R.mg_power_linear(**_PL, offset=90),
         grid(90, 140, 190)),
        (S.PowerLinear(1.0, 100, -1.0, 0.0), R.mg_power_linear(1.0, 100, -1.0, 0.0, 0),
         grid(100)),
    ],
    "power_with_offset": [
        (S.PowerWithOffset(1.0, -0.5, offset=20, pre_offset=0.6),
         R.mg_power_with_offset(1.0, -0.5, 20, 0.6), grid(20, 24)),
        (S.PowerWithOffset(0.1, 1.0, offset=3, pre_offset=2.0),
         R.mg_power_with_offset(0.1, 1.0, 3, 2.0), grid(3, 23) + [3.25, 3.5]),
    ],
    "linear_warmup": [
        (S.LinearWarmup(S.Cosine(**_COS), 20, initial=0.05),
         R.mg_linear_warmup(R.keras_cosine(**_COS), 20, 0.05), grid(20, 50)),
        (S.LinearWarmup(0.3, 10), R.mg_linear_warmup(lambda s: 0.3, 10, 0.0), grid(10)),
        (S.LinearWarmup(S.Stepwise([30], [1.0, 0.1]), 0),
         R.keras_piecewise([30], [1.0, 0.1]), grid(30)),
    ],
    "polynomial_warmup": [
        (S.PolynomialWarmup(S.Polynomial(**_POLY, offset=5), 5, power=2.0),
         R.mg_polynomial_warmup(R.with_offset(R.keras_polynomial(**_POLY), 5), 5, 2.0),
         grid(5, 25)),
        (S.PolynomialWarmup(0.8, 12, power=0.5),
         R.mg_polynomial_warmup(lambda s: 0.8, 12, 0.5), grid(12)),
    ],
    "wsd": [
        (S.WarmupStableDecay(1.0, 100, 10, 20, shape, initial=0.1, final=0.01),
         R.wsd(1.0, 100, 10, 20, shape, 0.1, 0.01), grid(10, 80, 100))
        for shape in ("linear", "cosine", "1-sqrt")
    ] + [(S.WarmupStableDecay(0.5, 40, 0, 0), R.wsd(0.5, 40, 0, 0, "linear", 0.0, 0.0),
          grid(40))],
    "one_cycle": [
        _lr_cycle(peak=1.0, total_steps=100),
        _lr_cycle(peak=0.5, total_steps=73, pct_start=0.25, anneal_strategy="linear",
                  div_factor=10.0, final_div_factor=100.0),
        _lr_cycle(peak=2.0, total_steps=90, pct_start=0.4, three_phase=True),
        _lr_cycle(peak=1.0, total_steps=30, pct_start=0.0),
    ],
    "one_cycle_momentum": [
        _momentum_cycle(total_steps=100),
        _momentum_cycle(total_steps=61, base_momentum=0.8, max_momentum=0.9, pct_start=0.45,
                        anneal_strategy="linear", three_phase=True),
    ],
    "join": [
        (S.Join([S.Polynomial(0.0, 10, end=1.0), S.Cosine(**_COS), 0.05], [10, 60]),
         R.optax_join([R.keras_polynomial(0.0, 10, end=1.0), R.keras_cosine(**_COS),
                       lambda s: 0.05], [10, 60]), grid(10, 60)),
        (S.Join([S.Constant(0.2)], []), lambda s: 0.2, grid(3)),
    ],
}


def examples():
    """(registry name, index, schedule, reference, steps) for every case."""
    return [(name, i, *case) for name, cases in CASES.items() for i, case in enumerate(cases)]
