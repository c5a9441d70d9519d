"""The loss of TensorFlow's guide "Optimizers with Core APIs": 2x^4 + 3x^3 + 2.

References:
    TensorFlow guide "Optimizers with Core APIs" (tensorflow.org/guide/core/optimizers_core).
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.functions.base import TestFunction, elementwise
from coreopt.functions.registry import Param, register


def _quartic(x):
    # The guide's expression, with the same pow operations.
    return tf.reduce_sum(elementwise(lambda x: 2 * x**4 + 3 * x**3 + 2, x), axis=-1)


@register("seed_quartic", aliases=("quartic",), dim=Param.fixed(1))
def seed_quartic(dim: int) -> TestFunction:
    """The guide's loss f(x) = 2x^4 + 3x^3 + 2.

    f'(x) = x^2 (8x + 9): a global minimum at x = -9/8 and a stationary
    inflection (saddle) point at 0, where gradient descent can stall. The guide
    starts at x = 2 on [-2, 2].
    """
    minimum = 2 * (9 / 8) ** 4 - 3 * (9 / 8) ** 3 + 2  # 1909/2048, exact in binary
    return TestFunction("seed_quartic", _quartic, dim, params={"dim": dim},
                        domain=[[-2.0, 2.0]], minimizers=[[-9 / 8]], minimum=minimum,
                        stationary={"saddle": [[0.0]]}, start=[2.0],
                        tags=("1-d", "guide", "nonconvex"), description="f(x) = 2x^4 + 3x^3 + 2")
