"""Conversions from other libraries' optimizers.

    from_keras(keras_optimizer)     the coreopt optimizer with the same trajectory
                                    (coreopt.compat.keras)
    from_torch(torch.optim.X, ...)  a torch.optim optimizer stepping TensorFlow
                                    variables (coreopt.compat.torch; needs torch)
    from_optax(transformation)      an optax transformation stepping TensorFlow
                                    variables (coreopt.compat.optax; needs optax)
    from_model_garden(config)       the coreopt optimizer of a Model Garden
                                    optimization config (coreopt.compat.model_garden)

The last two exist to compare against (`coreopt.testing.verify`): they step
eagerly, through NumPy, one copy per variable.

Example:
    >>> import coreopt.compat
    >>> coreopt.compat.from_keras.__name__
    'from_keras'
"""

from coreopt.compat.keras import MicroStepSchedule, NoArgumentSchedule, from_keras

_LAZY = {"from_torch": "torch", "from_optax": "optax", "from_model_garden": "model_garden"}

__all__ = ["MicroStepSchedule", "NoArgumentSchedule", "from_keras", "from_model_garden",
           "from_optax", "from_torch"]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
