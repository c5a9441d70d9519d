"""Training problems that run anywhere (no downloads): a model, a loss, a metric, a target.

    >>> from coreopt.train import problems
    >>> problems.names()  # doctest: +NORMALIZE_WHITESPACE
    ['digits-mlp', 'digits-cnn', 'wine-logreg', 'diabetes-mlp', 'digits-autoencoder',
     'noisy-quadratic']
    >>> problems.get("digits-mlp")
    DigitsMLP(name='digits-mlp', accuracy target 0.97, batch_size=32, epochs=30)

`base.py` states what a problem is; each problem is a module of its own.
"""

from __future__ import annotations

from coreopt.train.problems.base import Data, Problem
from coreopt.train.problems.diabetes_mlp import DiabetesMLP
from coreopt.train.problems.digits_autoencoder import DigitsAutoencoder
from coreopt.train.problems.digits_cnn import DigitsCNN
from coreopt.train.problems.digits_mlp import DigitsMLP
from coreopt.train.problems.noisy_quadratic import NoisyQuadratic
from coreopt.train.problems.wine_logreg import WineLogReg

PROBLEMS = {cls.name: cls for cls in (DigitsMLP, DigitsCNN, WineLogReg, DiabetesMLP,
                                      DigitsAutoencoder, NoisyQuadratic)}


def names() -> list[str]:
    """The registered problems' names."""
    return list(PROBLEMS)


def get(name) -> Problem:
    """A new instance of the problem `name` (a `Problem` is returned as it is).

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if isinstance(name, Problem):
        return name
    if name not in PROBLEMS:
        raise ValueError(f"Unknown problem {name!r}; choose one of {', '.join(PROBLEMS)}.")
    return PROBLEMS[name]()


__all__ = ["PROBLEMS", "Data", "DiabetesMLP", "DigitsAutoencoder", "DigitsCNN", "DigitsMLP",
           "NoisyQuadratic", "Problem", "WineLogReg", "get", "names"]
