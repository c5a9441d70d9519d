"""Building blocks the problems share: seeded weights, dense stacks, splits, scaling.

Math:
    A weight of shape (..., fan_in, fan_out) is drawn from U(-a, a) with
    He et al.'s a = sqrt(6 / fan_in) before a ReLU and Glorot & Bengio's
    a = sqrt(6 / (fan_in + fan_out)) otherwise; biases start at zero. Layer `i`
    of a run with seed `s` draws with `tf.random.stateless_uniform(seed=(s, i))`,
    as `coreopt.train.model.MLP` does, so a problem's weights are a pure function
    of the seed.

    A dense stack is h_0 = x, h_l = act(h_{l-1} W_l + b_l), with ReLU between
    layers and no activation after the last.

    Standardising uses the training split only: z = (v - mean_train) / std_train
    (the population standard deviation, ddof = 0), so no validation statistic
    leaks into the inputs.

Example:
    >>> import numpy as np
    >>> from coreopt.train.problems import layers
    >>> params = layers.dense_init([4, 3, 2], seed=0)
    >>> [tuple(p.shape) for p in params]
    [(4, 3), (3,), (3, 2), (2,)]
    >>> tuple(layers.dense_apply(params, np.ones([5, 4], np.float32)).shape)
    (5, 2)
    >>> train, valid = layers.split(10, seed=0, valid_fraction=0.2)
    >>> len(train), len(valid)
    (8, 2)

References:
    He et al., 2015, "Delving Deep into Rectifiers"; Glorot & Bengio, 2010,
    "Understanding the difficulty of training deep feedforward neural networks".
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf


def uniform_weight(shape, *, fan_in: int, fan_out: int, relu: bool, seed) -> tf.Tensor:
    """A float32 weight from U(-a, a): He's `a` before a ReLU, else Glorot's."""
    limit = math.sqrt(6.0 / fan_in) if relu else math.sqrt(6.0 / (fan_in + fan_out))
    return tf.random.stateless_uniform(list(shape), seed=seed, minval=-limit, maxval=limit)


def dense_init(sizes, *, seed: int, first_layer: int = 0) -> list[tf.Tensor]:
    """[W_1, b_1, ..., W_L, b_L] for widths `sizes`; layer i draws with seed (seed, i).

    `first_layer` offsets the layer index, for stacks that follow other layers.
    """
    params, last = [], len(sizes) - 2
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        params.append(uniform_weight([a, b], fan_in=a, fan_out=b, relu=i < last,
                                     seed=(int(seed), first_layer + i)))
        params.append(tf.zeros([b]))
    return params


def dense_apply(params, x):
    """The stack's output (no activation after the last layer)."""
    for i in range(0, len(params), 2):
        x = tf.matmul(x, params[i]) + params[i + 1]
        if i + 2 < len(params):
            x = tf.nn.relu(x)
    return x


def split(n: int, *, seed: int, valid_fraction: float, labels=None):
    """(train, valid) index arrays: a seeded permutation, cut at `valid_fraction`.

    With `labels`, the cut is made per class (stratified): each class's indices
    are permuted with `np.random.default_rng(seed)` in class order and
    round(valid_fraction * class size) of them go to the validation split.
    """
    rng = np.random.default_rng(seed)
    if labels is None:
        order = rng.permutation(n)
        cut = n - int(round(valid_fraction * n))
        return np.sort(order[:cut]), np.sort(order[cut:])
    train, valid = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        k = int(round(valid_fraction * len(members)))
        valid.append(members[:k])
        train.append(members[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(valid))


def standardise(train: np.ndarray, *others: np.ndarray):
    """`train` and `others` scaled by the training split's mean and std (float32)."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return tuple(((a - mean) / std).astype(np.float32) for a in (train, *others))
