"""Trains the digits MLP for the distribution tests; run as a script in a subprocess.

    python tests/train/worker.py {none|mirrored|mirrored-sam|keras-mirrored|multiworker} \
        OUT.npz [TIMEOUT]

"mirrored" splits the CPU into two logical devices first ("mirrored-sam"
then trains with the SAM chain `SAM_CHAIN`, stepped by `minimize`;
"keras-mirrored" trains a Keras model by `model.fit` with the adapter);
"multiworker" reads its cluster from TF_CONFIG. Writes the final weights and
step counter.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import tensorflow as tf

import coreopt
from coreopt.train import data, distribute, loop, model

SIZES = [64, 32, 10]
BATCH = 64
EPOCHS = 2
SAM_CHAIN = "sam(rho=0.1):momentum(learning_rate=0.05, momentum=0.9)"


def train(strategy=None, optimizer="adam", learning_rate=1e-2):
    """Final weights, the optimizer's step, and whether all local copies agree.

    `learning_rate` None: the one `optimizer` names.
    """
    split = data.load("digits")
    scope = strategy.scope() if strategy is not None else _Null()
    with scope:
        mlp = model.MLP(SIZES, seed=0)
        rate = {} if learning_rate is None else {"learning_rate": learning_rate}
        opt = coreopt.get(optimizer, **rate)
    trainer = loop.Trainer(mlp, opt, split, batch_size=BATCH, seed=1, strategy=strategy,
                           verbose=0)
    trainer.fit(EPOCHS)
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    local = len(_copies(strategy, mlp.trainable_variables[0]))
    slots = [s for v in mlp.trainable_variables for s in tf.nest.flatten(opt.slot_variables(v))]
    # Slots live beside the variables (mirrored under the scope), and all copies agree.
    copies_equal = all(len(_copies(strategy, s)) == local for s in slots) and all(
        all(np.array_equal(c.numpy(), v.numpy()) for c in _copies(strategy, v))
        for v in [*mlp.trainable_variables, *slots]
    ) and (strategy is None or local * _workers() == replicas)
    return [v.numpy() for v in mlp.trainable_variables], int(opt.iterations.numpy()), copies_equal


def keras_fit(strategy=None):
    """Final weights of a Keras MLP trained by `model.fit` with the Keras adapter."""
    import keras
    import tensorflow as tf

    from coreopt.train.keras_adapter import KerasOptimizer

    split = data.load("digits")
    with (strategy or tf.distribute.get_strategy()).scope():
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                                keras.layers.Dense(10)])
        net.compile(optimizer=KerasOptimizer(coreopt.Adam(0.01)), jit_compile=False,
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    net.fit(split.x_train, split.y_train, batch_size=BATCH, epochs=EPOCHS, shuffle=False,
            verbose=0)
    return [v.numpy() for v in net.trainable_variables], int(net.optimizer.iterations.numpy())


def _workers():
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    return max(1, len(config.get("cluster", {}).get("worker", [])))


def _copies(strategy, variable):
    return strategy.experimental_local_results(variable) if strategy is not None else [variable]


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main(argv):
    kind, out = argv[0], argv[1]
    timeout = float(argv[2]) if len(argv) > 2 else 60.0
    if kind in ("mirrored", "mirrored-sam", "keras-mirrored"):
        distribute.split_logical_cpus(2)
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        if kind == "keras-mirrored":
            weights, steps = keras_fit(strategy)
            np.savez(out, *weights, steps=steps, replicas=2, copies_equal=True)
            return 0
    else:
        strategy = distribute.make_strategy(kind, timeout_s=timeout)
    sam = kind == "mirrored-sam"
    weights, steps, copies_equal = train(strategy, *((SAM_CHAIN, None) if sam else ()))
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    np.savez(out, *weights, steps=steps, replicas=replicas, copies_equal=copies_equal)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
