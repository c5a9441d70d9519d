"""A multilayer perceptron written with TensorFlow Core APIs.

Math:
    h_0 = x,  h_l = relu(h_{l-1} W_l + b_l) for hidden layers l = 1..L-1,
    logits = h_{L-1} W_L + b_L,
    loss = mean over the batch of -log softmax(logits)[label].

Initialization (stated, seeded, stateless): every weight matrix of shape
(fan_in, fan_out) is drawn from He et al.'s uniform distribution
U(-sqrt(6 / fan_in), sqrt(6 / fan_in)) (Glorot's limit sqrt(6 / (fan_in + fan_out))
for the output layer, which has no ReLU), with `tf.random.stateless_uniform` on
the seed (seed, layer index); biases start at zero. The same seed gives the
same weights on every machine, in every process.

Example:
    >>> import tensorflow as tf
    >>> from coreopt.train.model import MLP
    >>> mlp = MLP([64, 32, 10], seed=0)
    >>> mlp
    MLP(sizes=[64, 32, 10], seed=0)
    >>> mlp(tf.zeros([5, 64])).shape
    TensorShape([5, 10])

References:
    He et al., 2015, "Delving Deep into Rectifiers" (the ReLU initialization);
    Glorot & Bengio, 2010, "Understanding the difficulty of training deep
    feedforward neural networks".
"""

from __future__ import annotations

import math

import tensorflow as tf


class Dense(tf.Module):
    """One dense layer `x W + b`, optionally followed by ReLU.

    Args:
        fan_in, fan_out: input and output widths.
        relu: apply ReLU after the affine map.
        seed: a pair of ints for the stateless initializer.
    """

    def __init__(self, fan_in: int, fan_out: int, *, relu: bool, seed: tuple[int, int],
                 name: str | None = None):
        super().__init__(name=name)
        limit = math.sqrt(6.0 / fan_in) if relu else math.sqrt(6.0 / (fan_in + fan_out))
        w = tf.random.stateless_uniform([fan_in, fan_out], seed=seed, minval=-limit,
                                        maxval=limit)
        self.w = tf.Variable(w, name="w")
        self.b = tf.Variable(tf.zeros([fan_out]), name="b")
        self.relu = relu

    def __call__(self, x):
        y = tf.matmul(x, self.w) + self.b
        return tf.nn.relu(y) if self.relu else y

    def __repr__(self):
        return f"Dense({self.w.shape[0]}, {self.w.shape[1]}, relu={self.relu})"


class MLP(tf.Module):
    """A ReLU multilayer perceptron that returns logits.

    Args:
        sizes: layer widths from input to output, e.g. [64, 128, 10]; at least two.
        seed: seeds the initialization (see the module docstring).

    Raises:
        ValueError: for fewer than two sizes or a width below 1.
    """

    def __init__(self, sizes, *, seed: int = 0, name: str | None = None):
        super().__init__(name=name)
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"`sizes` must list at least two positive widths; received {sizes}."
            )
        self.sizes, self.seed = tuple(sizes), int(seed)
        last = len(sizes) - 2
        self.layers = [
            Dense(a, b, relu=i < last, seed=(self.seed, i), name=f"dense_{i}")
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self):
        return f"MLP(sizes={list(self.sizes)}, seed={self.seed})"


def cross_entropy(logits, labels, denominator=None):
    """Softmax cross-entropy summed over the batch and divided by `denominator`.

    With `denominator=None` it is the batch mean; a distributed step passes the
    global batch size, so that summing the replicas' gradients gives the mean.
    """
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    if denominator is None:
        return tf.reduce_mean(losses)
    return tf.reduce_sum(losses) / tf.cast(denominator, losses.dtype)


def accuracy(logits, labels):
    """The share of rows whose largest logit is the label."""
    hits = tf.equal(tf.argmax(logits, axis=-1, output_type=labels.dtype), labels)
    return tf.reduce_mean(tf.cast(hits, tf.float32))
