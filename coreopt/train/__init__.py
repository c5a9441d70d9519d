"""Training real models with coreopt optimizers: MLP, data, loop, problems, populations,
Keras adapter, tf.distribute.

    >>> from coreopt.train import MLP, Trainer, load
    >>> load("digits").classes
    10
"""

from coreopt.train.data import Split, load
from coreopt.train.loop import Trainer
from coreopt.train.lr_find import LRFindResult, lr_find
from coreopt.train.model import MLP
from coreopt.train.population import PopulationResult, population

__all__ = ["LRFindResult", "MLP", "PopulationResult", "Split", "Trainer", "load", "lr_find",
           "population"]
