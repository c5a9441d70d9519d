"""Test functions named with their dimensions, as the command line names them.

A name comes with a dimension (`("rosenbrock", 5)`) or without one
(`("himmelblau", None)`); an N-D function named without one takes the
`dim` given for all of them, else its own.

Example:
    >>> [f.dim for f in build([("rosenbrock", 5), ("rosenbrock", None), ("booth", None)],
    ...                       dim=3)]
    [5, 3, 2]
    >>> takes_dim("rosenbrock"), takes_dim("booth")
    (True, False)
"""

from __future__ import annotations


def takes_dim(name) -> bool:
    """The function `name` accepts more than one dimension (an N-D function)."""
    from coreopt import functions

    param = functions.entry(name).params.get("dim")
    return param is not None and param.high != param.low


def build(named, dim=None) -> list:
    """The test functions of `named`, (name, dimension or None) pairs, built.

    Raises:
        ValueError: `dim` given while no function named takes a dimension, or a
            function's own error (an unknown name, a dimension out of range).
    """
    from coreopt import functions

    if dim is not None and not any(takes_dim(name) for name, _ in named):
        shown = ", ".join(name for name, _ in named)
        raise ValueError(f"--dim: no function given takes a dimension ({shown}); "
                         "see `coreopt list` for the N-D ones.")
    built = []
    for name, own in named:
        if own is None and takes_dim(name):
            own = dim
        built.append(functions.get(name) if own is None else functions.get(name, dim=own))
    return built
