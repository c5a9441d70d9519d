"""The digits MLP: `coreopt train digits`'s model as a problem.

scikit-learn's 8x8 digits (1,797 images, scaled to [0, 1]) split 80/20 with seed 0,
exactly as `coreopt.train.data.load("digits")`; a 64-128-10 ReLU MLP with
`coreopt.train.model.MLP`'s initialization (He uniform, Glorot for the output
layer, biases zero); softmax cross-entropy; validation accuracy.

Target: 0.97 validation accuracy. Adam at its tuned rate (the range test's valley,
about 1.6e-3) reaches 0.986 in 30 epochs and momentum and Lion pass 0.97 too,
while plain gradient descent at 1e-2 stays below it: the target separates
configurations that train well from those that do not, without requiring the
best run.

Example:
    >>> from coreopt.train import problems
    >>> problem = problems.get("digits-mlp")
    >>> [tuple(p.shape) for p in problem.init(seed=0)]
    [(64, 128), (128,), (128, 10), (10,)]
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.train import data as data_lib
from coreopt.train.model import MLP, accuracy, cross_entropy
from coreopt.train.problems.base import Data, Problem


class DigitsMLP(Problem):
    """The digits MLP (see the module docstring).

    Args:
        hidden: the hidden layers' widths.
    """

    name = "digits-mlp"
    metric_name = "accuracy"
    higher_is_better = True
    target = 0.97
    batch_size = 32
    epochs = 30

    def __init__(self, hidden=(128,)):
        super().__init__()
        self.hidden = tuple(int(h) for h in hidden)

    def load(self) -> Data:
        split = data_lib.load("digits")
        return Data(split.x_train, split.y_train, split.x_test, split.y_test)

    def init(self, seed: int) -> list[tf.Tensor]:
        mlp = MLP([64, *self.hidden, 10], seed=seed)
        return [tf.convert_to_tensor(v) for layer in mlp.layers for v in (layer.w, layer.b)]

    def logits(self, params, x):
        for i in range(0, len(params), 2):
            x = tf.matmul(x, params[i]) + params[i + 1]
            if i + 2 < len(params):
                x = tf.nn.relu(x)
        return x

    def loss(self, params, x, y):
        return cross_entropy(self.logits(params, x), y)

    def metric(self, params, x, y):
        return accuracy(self.logits(params, x), y)
