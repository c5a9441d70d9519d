"""`Wrapper`: an optimizer made of another one plus a transformation.

A wrapper shares its inner optimizer's state (step counter, learning rate,
slots) and changes the list-level pure step: it may transform the gradients
(clipping) or the parameters (weight decay) before handing them on. Wrappers
nest, and the outermost acts first::

    opt = ClipByNorm(DecoupledWeightDecay(Adam(), 0.01), 1.0)
"""

from __future__ import annotations

import contextlib

import tensorflow as tf

from coreopt.core.optimizer import Optimizer


class Wrapper(Optimizer):
    """Base class of wrappers; subclasses override `update` and call the inner one."""

    def __init__(self, inner, hyperparameters=None, options=None, *, name=None):
        if not isinstance(inner, Optimizer):
            raise TypeError(
                f"`inner` must be a coreopt optimizer; received {type(inner).__name__}."
            )
        tf.Module.__init__(self, name=name or type(self).__name__)
        self.inner = inner
        self._hyper = dict(hyperparameters or {})
        self._options = dict(options or {})
        self.jit_compile = inner.jit_compile
        self._compiled = tf.function(self._step, jit_compile=self.jit_compile, autograph=False)

    # The state is the inner optimizer's.
    @property
    def iterations(self):
        return self.inner.iterations

    @property
    def built(self) -> bool:
        return self.inner.built

    @property
    def learning_rate(self):
        return self.inner.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner.learning_rate = value

    def current_learning_rate(self):
        return self.inner.current_learning_rate()

    def init_slots(self, x):
        return self.inner.init_slots(x)

    def build(self, variables):
        self.inner.build(variables)

    def _slots_for(self, variable):
        return self.inner._slots_for(variable)

    def options(self) -> dict:
        return {**self.inner.options(), **self._options}

    def hyperparameter_names(self) -> tuple[str, ...]:
        return (*self._hyper, *self.inner.hyperparameter_names())

    @contextlib.contextmanager
    def with_hyperparameters(self, values: dict):
        own = {k: v for k, v in values.items() if k in self._hyper}
        rest = {k: v for k, v in values.items() if k not in self._hyper}
        with Optimizer.with_hyperparameters(self, own), self.inner.with_hyperparameters(rest):
            yield self

    def update(self, grads, params, slots, t, learning_rate):
        return self.inner.update(grads, params, slots, t, learning_rate)

    def get_config(self) -> dict:
        return {"inner": self.inner, **self._own_config()}

    def __repr__(self):
        body = "".join(f", {k}={v!r}" for k, v in self._own_config().items())
        return f"{type(self).__name__}({self.inner!r}{body})"
