"""Clipping wrappers: rows of the common suite, with their NumPy oracles."""

from __future__ import annotations

from coreopt.testing import oracle as reference
from tests.wrappers.cases import WrapperCase


class Clipped:
    """Clip the gradients (coreopt.testing.oracle's clip functions), then the inner step."""

    def __init__(self, inner, clip, **config):
        self.inner, self.clip, self.config = inner, clip, config

    def step(self, grads, params, grad_fn=None):
        return self.inner.step(self.clip(grads, *self.config.values()), params)


def _oracle(clip):
    return lambda inner, **config: Clipped(inner, clip, **config)


CASES = {
    "clip_by_value": WrapperCase(({"clipvalue": 0.2},), _oracle(reference.clip_by_value)),
    "clip_by_norm": WrapperCase(({"clipnorm": 0.5},), _oracle(reference.clip_by_norm),
                                inners=("momentum",)),
    "clip_by_global_norm": WrapperCase(({"global_clipnorm": 0.7},),
                                       _oracle(reference.clip_by_global_norm),
                                       inners=("lamb",)),
}
