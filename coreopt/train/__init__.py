"""Training real models with coreopt optimizers: MLP, data, loop, Keras adapter, tf.distribute.

    >>> from coreopt.train import MLP, Trainer, load
    >>> load("digits").classes
    10
"""

from coreopt.train.data import Split, load
from coreopt.train.loop import Trainer
from coreopt.train.model import MLP

__all__ = ["MLP", "Split", "Trainer", "load"]
