"""coreopt: gradient-based optimizers from TensorFlow Core ops.

Importing `coreopt` is cheap: the optimizers, the wrappers and the registry
functions (`coreopt.get`, `coreopt.names`, ...) are loaded, with TensorFlow, on
first use, and so are the subpackages (`coreopt.compat`, `coreopt.lab`,
`coreopt.functions`, `coreopt.plots`, `coreopt.report`, `coreopt.train`, ...)
(PEP 562). The command line's `--help` and `--version` never import TensorFlow.

    >>> import coreopt
    >>> "adam" in coreopt.names()
    True
    >>> coreopt.compat.from_keras.__name__
    'from_keras'
"""

import importlib as _importlib
import os as _os
import threading as _threading

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

# The registry functions and base class, from `coreopt.core`; the optimizers and
# wrappers are whatever `coreopt.optimizers.__all__` and `coreopt.wrappers.__all__` list.
_CORE_NAMES = ("Optimizer", "entry", "from_config", "get", "names", "register")
_REGISTRY = ("core", "optimizers", "wrappers")  # imported in the registry's order
_api: dict = {}
_local = _threading.local()  # per thread: depth of registry imports, loading


def _load_api() -> dict:
    """Imports the registry, the optimizers and the wrappers (in the registry's order,
    which `coreopt list` shows); returns {public name: object}. Runs once."""
    if _api or getattr(_local, "loading", False):
        return _api  # loaded, or being loaded by this thread (an import inside the load)
    _local.loading = True
    try:
        core, optimizers, wrappers = (_importlib.import_module(f"{__name__}.{m}")
                                      for m in _REGISTRY)
        names = {n: getattr(core, n) for n in _CORE_NAMES}
        for module in (optimizers, wrappers):
            names.update((n, getattr(module, n)) for n in module.__all__)
        names["__all__"] = [*_CORE_NAMES, *optimizers.__all__, *wrappers.__all__]
    finally:
        _local.loading = False
    globals().update(names)
    _api.update(names)
    return _api


def _submodule(name: str):
    """`coreopt.<name>` imported, or None when there is no such subpackage."""
    full = f"{__name__}.{name}"
    try:
        return _importlib.import_module(full)
    except ModuleNotFoundError as error:
        if error.name != full:
            raise  # a dependency of the subpackage is missing: say which
        return None


def __getattr__(name: str):
    """The lazy attributes: a subpackage, or a name of the public API."""
    if name.startswith("_") and name != "__all__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _submodule(name) if name.isidentifier() else None
    if module is not None:
        return module
    api = _load_api()
    if name in api:
        return api[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    """The module's names, the public API and the subpackages."""
    import pkgutil

    subpackages = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    return sorted({*globals(), *_load_api(), *subpackages})
