"""A short training of each problem reaches its target (the docstrings' measured runs).

Each run takes about a second. The loop is the base contract's: `tf.Variable`s
from `init(0)`, epoch e's order `np.random.default_rng(0 + e).permutation(n)` in
batches of `batch_size`, the validation metric after every epoch, stopping at
the first one at the target.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.train import problems

# name: (optimizer, learning rate, epoch by which the docstring's run reaches the target)
RUNS = {
    "digits-mlp": ("adam", 1.6e-3, 30),
    "digits-cnn": ("adam", 3e-3, 5),
    "wine-logreg": ("gd", 1e-1, 2),
    "diabetes-mlp": ("adam", 1e-2, 5),
    "digits-autoencoder": ("adam", 1e-2, 6),
    "noisy-quadratic": ("adam", 1e-1, 8),
}


def train(problem, optimizer, epochs, seed=0):
    """The validation metric after each epoch, stopping at the first at the target."""
    variables = [tf.Variable(p) for p in problem.init(seed)]
    optimizer.build(variables)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = problem.loss(variables, x, y)
        optimizer.apply_gradients(tape.gradient(loss, variables), variables)

    d, metrics = problem.data, []
    for epoch in range(epochs):
        order = np.random.default_rng(seed + epoch).permutation(len(d.x_train))
        for start in range(0, len(order), problem.batch_size):
            rows = order[start:start + problem.batch_size]
            step(tf.constant(d.x_train[rows]), tf.constant(d.y_train[rows]))
        metrics.append(float(problem.metric(variables, d.x_valid, d.y_valid)))
        if problem.reached(metrics[-1]):
            break
    return metrics


def test_every_registered_problem_has_a_target_run():
    missing = set(problems.names()) - set(RUNS)
    assert not missing, f"add a run for {sorted(missing)} to tests/train/problems/test_targets.py"


@pytest.mark.parametrize("name", problems.names())
def test_a_short_training_reaches_the_target(name):
    problem = problems.get(name)
    optimizer, learning_rate, epochs = RUNS[name]
    metrics = train(problem, coreopt.get(optimizer, learning_rate=learning_rate), epochs)
    assert problem.reached(metrics[-1]), (name, metrics, problem.target)
    assert not problem.reached(metrics[0]) or epochs == 1
