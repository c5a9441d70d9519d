"""Small guide-style optimizers, each right or wrong in one known way, for the checks' tests.

Also a user's module for `coreopt check` (loaded by file path), so nothing
here is imported at module level but TensorFlow.
"""

from __future__ import annotations

import threading
import types

import tensorflow as tf

RELEASE = threading.Event()  # lets `Slow` finish


class PlainGD(tf.Module):
    """The guide's gradient descent, but a None gradient is skipped."""

    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            if g is not None:
                v.assign_sub(self.learning_rate * g)


class ReversedGD(PlainGD):
    """Steps the variables last to first; a None gradient raises after others moved."""

    def apply_gradients(self, grads, vars):
        for g, v in reversed(list(zip(grads, vars))):
            v.assign_sub(self.learning_rate * g)


class NoneAsZero(PlainGD):
    """A None gradient counts as zero, and weight decay still moves its variable."""

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            v.assign_sub(self.learning_rate * ((0.0 if g is None else g) + 0.1 * v))


class LazySparse(PlainGD):
    """Weight decay on every row for dense gradients, only on the rows of sparse ones."""

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            if isinstance(g, tf.IndexedSlices):
                rows = g.values + 0.1 * tf.gather(v, g.indices)
                v.scatter_sub(tf.IndexedSlices(self.learning_rate * rows, g.indices))
            else:
                v.assign_sub(self.learning_rate * (g + 0.1 * v))


class Accumulating(PlainGD):
    """Steps every second call with the sum of the last two gradients."""

    def __init__(self, learning_rate=0.1):
        super().__init__(learning_rate)
        self.sums, self.calls = {}, 0

    def apply_gradients(self, grads, vars):
        self.calls += 1
        for g, v in zip(grads, vars):
            key = v.name.split(":")[0]
            if key not in self.sums:
                self.sums[key] = tf.Variable(tf.zeros_like(v), trainable=False)
            self.sums[key].assign_add(g)
            if self.calls % 2 == 0:
                v.assign_sub(self.learning_rate * self.sums[key])
                self.sums[key].assign(tf.zeros_like(v))


class HiddenMomentum(PlainGD):
    """Skips the move on a non-finite gradient, but its velocity takes it in anyway."""

    def __init__(self, learning_rate=0.1):
        super().__init__(learning_rate)
        self._memory = types.SimpleNamespace(velocity={})

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            key = v.name.split(":")[0]
            velocity = 0.9 * self._memory.velocity.get(key, 0.0) + g
            self._memory.velocity[key] = velocity
            if bool(tf.reduce_all(tf.math.is_finite(g))):
                v.assign_sub(self.learning_rate * velocity)


class LazyMomentum(PlainGD):
    """Momentum whose velocity variables are made on the first call (it has no `build`)."""

    def __init__(self, learning_rate=0.1):
        super().__init__(learning_rate)
        self.velocity = {}

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            key = v.name.split(":")[0]
            if key not in self.velocity:
                self.velocity[key] = tf.Variable(tf.zeros_like(v), trainable=False)
            self.velocity[key].assign(0.9 * self.velocity[key] + g)
            v.assign_sub(self.learning_rate * self.velocity[key])


class SkipNonFinite(tf.Module):
    """Skips a step whose gradients are not all finite; its rate is `step_size`."""

    def __init__(self, step_size=0.1):
        self.step_size = step_size

    def apply_gradients(self, grads, vars):
        if all(bool(tf.reduce_all(tf.math.is_finite(g))) for g in grads):
            for g, v in zip(grads, vars):
                v.assign_sub(self.step_size * g)


class FloatRate(tf.Module):
    """`learning_rate` is a property that keeps a float: a traced step bakes it in."""

    def __init__(self, learning_rate=0.1):
        self._rate = float(learning_rate)

    @property
    def learning_rate(self):
        return self._rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._rate = float(value)

    def apply_gradients(self, grads, vars):
        for g, v in zip(grads, vars):
            v.assign_sub(self._rate * g)


class HalfSaved(tf.Module):
    """Momentum whose step counter is a tracked variable, and whose velocity is not."""

    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate
        self.steps = tf.Variable(0, trainable=False)
        self._memory = types.SimpleNamespace(velocity={})  # not tracked by tf.Module

    def apply_gradients(self, grads, vars):
        self.steps.assign_add(1)
        for g, v in zip(grads, vars):
            key = v.name.split(":")[0]
            velocity = 0.9 * self._memory.velocity.get(key, 0.0) + g
            self._memory.velocity[key] = velocity
            v.assign_sub(self.learning_rate * velocity)


class Slow(PlainGD):
    """Waits (up to 30 s) for `RELEASE` before every step."""

    def apply_gradients(self, grads, vars):
        RELEASE.wait(30)
        super().apply_gradients(grads, vars)


class NotAnOptimizer:
    """Has no apply_gradients."""


def make_broken():
    """A factory that cannot make its optimizer."""
    raise RuntimeError("no GPU here, cannot build the optimizer")


def make_plain(learning_rate=0.1):
    """A factory of PlainGD."""
    return PlainGD(learning_rate)


class _Moments(tf.Module):
    """Adam's moments per variable (by name), made on the first call; `verify()`'s toys."""

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon, self.t = epsilon, 0
        self.m, self.v = {}, {}

    def moments(self, g, var):
        """The updated (m, v) variables of `var`."""
        key = var.name.split(":")[0]
        if key not in self.m:
            self.m[key] = tf.Variable(tf.zeros_like(var), trainable=False)
            self.v[key] = tf.Variable(tf.zeros_like(var), trainable=False)
        self.m[key].assign(self.beta_1 * self.m[key] + (1 - self.beta_1) * g)
        self.v[key].assign(self.beta_2 * self.v[key] + (1 - self.beta_2) * tf.square(g))
        return self.m[key], self.v[key]


class KerasFormAdam(_Moments):
    """Adam as Keras writes it: epsilon added to sqrt(v) before the bias correction."""

    def apply_gradients(self, grads, vars):
        self.t += 1
        for g, var in zip(grads, vars):
            m, v = self.moments(g, var)
            alpha = self.learning_rate * (1 - self.beta_2**self.t) ** 0.5 / (
                1 - self.beta_1**self.t)
            var.assign_sub(alpha * m / (tf.sqrt(v) + self.epsilon))


class TwiceCorrectedAdam(_Moments):
    """Adam whose corrected first moment is written back to its state, then corrected again."""

    def apply_gradients(self, grads, vars):
        self.t += 1
        for g, var in zip(grads, vars):
            m, v = self.moments(g, var)
            m.assign(m / (1 - self.beta_1**self.t))  # the bug: the state keeps m-hat
            m_hat = m / (1 - self.beta_1**self.t)
            v_hat = v / (1 - self.beta_2**self.t)
            var.assign_sub(self.learning_rate * m_hat / (tf.sqrt(v_hat) + self.epsilon))


class TwiceCorrectedUpdateAdam(_Moments):
    """Adam whose update divides m-hat by the bias correction once more (the state is right)."""

    def apply_gradients(self, grads, vars):
        self.t += 1
        for g, var in zip(grads, vars):
            m, v = self.moments(g, var)
            m_hat = m / (1 - self.beta_1**self.t) / (1 - self.beta_1**self.t)
            v_hat = v / (1 - self.beta_2**self.t)
            var.assign_sub(self.learning_rate * m_hat / (tf.sqrt(v_hat) + self.epsilon))


class TorchFormRMSprop(tf.Module):
    """RMSprop with momentum as torch.optim.RMSprop writes it (torch/optim/rmsprop.py):
    v = alpha v + (1 - alpha) g^2; b = mu b + g / (sqrt(v) + eps); x -= lr b."""

    def __init__(self, lr=1e-3, alpha=0.9, eps=1e-7, momentum=0.9):
        self.lr, self.alpha, self.eps, self.momentum = lr, alpha, eps, momentum
        self.square_avg, self.buffer = {}, {}

    def apply_gradients(self, grads, vars):
        for g, var in zip(grads, vars):
            key = var.name.split(":")[0]
            if key not in self.square_avg:
                self.square_avg[key] = tf.Variable(tf.zeros_like(var), trainable=False)
                self.buffer[key] = tf.Variable(tf.zeros_like(var), trainable=False)
            v = self.square_avg[key]
            v.assign(self.alpha * v + (1 - self.alpha) * tf.square(g))
            b = self.buffer[key]
            b.assign(self.momentum * b + g / (tf.sqrt(v) + self.eps))
            var.assign_sub(self.lr * b)


class Hangs(PlainGD):
    """Its second step waits (up to 30 s) for `RELEASE`."""

    def __init__(self, learning_rate=0.1):
        super().__init__(learning_rate)
        self.calls = 0

    def apply_gradients(self, grads, vars):
        self.calls += 1
        if self.calls == 2:
            RELEASE.wait(30)
        super().apply_gradients(grads, vars)


class StepCounter(PlainGD):
    """Counts its steps in the class attribute `steps` (so a test sees that none ran)."""

    steps = 0

    def apply_gradients(self, grads, vars):
        type(self).steps += 1
        super().apply_gradients(grads, vars)
