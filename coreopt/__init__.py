"""coreopt: gradient-based optimizers from TensorFlow Core ops.

    >>> import coreopt
    >>> "adam" in coreopt.names()
    True
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from coreopt.core import Optimizer, entry, from_config, get, names, register  # noqa: E402
from coreopt.optimizers import *  # noqa: E402,F403
from coreopt.optimizers import __all__ as _optimizers  # noqa: E402
from coreopt.wrappers import *  # noqa: E402,F403
from coreopt.wrappers import __all__ as _wrappers  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Optimizer", "entry", "from_config", "get", "names", "register", *_optimizers,
           *_wrappers]
