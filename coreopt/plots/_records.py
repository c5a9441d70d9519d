"""Reading run records and function descriptions as plain NumPy values (no TensorFlow).

A run may be a `coreopt.lab.records.Run` or its `to_dict()` form; a function is the
`TestFunction.to_dict()` form; a surface is the dict of sampled values the caller made.
"""

from __future__ import annotations

import numpy as np


def field(run, name: str, default=None):
    """`run.name` for a record object, `run[name]` for a dict."""
    if isinstance(run, dict):
        return run.get(name, default)
    return getattr(run, name, default)


def label(run) -> str:
    """"<optimizer> lr=<learning rate>" (just the optimizer when it has no learning rate)."""
    config = field(run, "config") or {}
    name = str(field(run, "optimizer", "run"))
    lr = config.get("learning_rate")
    return name if lr is None else f"{name} lr={lr:g}"


def path_array(run, dim: int) -> np.ndarray:
    """The run's path as float64 `[steps + 1, dim]`; ValueError when missing or misshapen."""
    path = field(run, "path")
    if path is None:
        raise ValueError(f"run {label(run)!r} has no path: run it with its curves kept.")
    arr = np.asarray(path, dtype=np.float64).reshape(len(path), -1)
    if arr.shape[1] != dim:
        raise ValueError(f"run {label(run)!r}: its path has points of dimension {arr.shape[1]}, "
                         f"the function has dim={dim}.")
    return arr


def curve(run, name: str) -> np.ndarray:
    """The run's `loss` or `grad_norm` curve as float64 `[steps + 1]`."""
    values = field(run, name)
    if values is None:
        raise ValueError(f"run {label(run)!r} has no {name!r} curve: run it with curves kept.")
    return np.asarray(values, dtype=np.float64)


def finite_prefix(points: np.ndarray, domain=None) -> int:
    """How many leading points are finite (and, given `domain` `[dim, 2]`, inside it)."""
    points = points.reshape(len(points), -1)
    ok = np.all(np.isfinite(points), axis=1)
    if domain is not None:
        lo, hi = np.asarray(domain, np.float64).T
        with np.errstate(invalid="ignore"):
            ok &= np.all((points >= lo) & (points <= hi), axis=1)
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if len(bad) else len(points)


def check_dim(function: dict, dims: tuple[int, ...], plot: str) -> int:
    """The function's dim; a ValueError naming the plot that fits when it is not in `dims`."""
    dim = int(function["dim"])
    if dim not in dims:
        fits = {1: "plot_function_1d / plot_paths_1d", 2: "plot_contours_2d / plot_paths_2d"}
        hint = fits.get(dim, "plot_curves (gap and gradient norm per iteration)")
        raise ValueError(f"{plot} needs a function of dim {' or '.join(map(str, dims))}; "
                         f"{function.get('name', 'the function')!r} has dim={dim}. "
                         f"Use {hint} instead.")
    return dim


def surface_arrays(surface: dict, keys: tuple[str, ...], plot: str) -> list[np.ndarray]:
    """The surface's arrays for `keys` as float64; ValueError naming the missing keys."""
    missing = [k for k in keys if k not in surface]
    if missing:
        raise ValueError(f"{plot}: `surface` lacks {missing}; it needs {list(keys)}.")
    return [np.asarray(surface[k], dtype=np.float64) for k in keys]


def log_gap(loss: np.ndarray, minimum, eps: float = 1e-12) -> np.ndarray:
    """log(loss - minimum + eps); the smallest sampled loss stands in for an unknown minimum."""
    floor = np.nanmin(loss) if minimum is None else float(minimum)
    return np.log(np.maximum(loss - floor, 0.0) + eps)
