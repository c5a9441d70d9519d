"""A torch.optim optimizer stepping TensorFlow variables: `from_torch(torch.optim.X, **kwargs)`.

It exists to compare against: `coreopt.testing.verify` uses it as a reference,
so that a coreopt (or anybody's) optimizer can be checked against torch.optim
itself rather than against a transcription of it. Each call of
`apply_gradients(grads, vars)`

1. copies each variable's value into its torch parameter (one per variable,
   created on the first call, of the same dtype: float32 -> torch.float32,
   float64 -> torch.float64),
2. sets the parameter's `.grad` from the gradient,
3. calls the torch optimizer's `step()`,
4. assigns the parameters back to the variables.

It steps eagerly, on the CPU, through NumPy: it is a reference, not a fast path.

Example:
    The lines after the first need torch; without it, the first skips the rest
    (`pytest.importorskip`), as in coreopt's CI, whose default environment has no torch.

    >>> import pytest; torch = pytest.importorskip("torch")
    >>> import tensorflow as tf
    >>> from coreopt.compat import from_torch
    >>> opt = from_torch(torch.optim.SGD, lr=0.5)
    >>> opt
    TorchOptimizer(torch.optim.SGD, lr=0.5)
    >>> x = tf.Variable([1.0, 2.0])
    >>> opt.apply_gradients([tf.constant([1.0, -2.0])], [x])
    >>> x.numpy()
    array([0.5, 3. ], dtype=float32)

Install torch with `pip install torch==2.13.0` (the CPU build where the
package index offers it, as on coreopt's CI machines) or `pip install
"coreopt[torch]"`; a plain `pip install torch` pulls the multi-GB CUDA build.

References:
    torch.optim (docs, "How to use an optimizer"): an optimizer is constructed
    from an iterable of the tensors to optimize; `step()` updates the tensors
    whose `.grad` is set.

Notes:
    - torch keeps scalar state (Adam's `step`, NAdam's `mu_product`) in float64
      only when its default dtype is float64 (`_get_scalar_dtype` in
      torch/optim/optimizer.py). So that a float64 variable gets float64 state,
      as under `torch.set_default_dtype(torch.float64)` (how coreopt's reference
      data, references/torch_runs.py, was made), the adapter sets torch's
      default dtype to the widest dtype of its variables while it builds and
      steps the optimizer, and puts the previous one back afterwards (a
      process-wide setting: do not step torch in another thread meanwhile).
    - torch skips a parameter whose `.grad` is None; here a None gradient is an
      error, as is a variable the first call did not pass (torch fixes its
      parameter groups when the optimizer is built). Both are raised before
      any variable changes.
    - `foreach` and `fused` are torch's own kwargs: pass them like any other.
      On the CPU torch defaults to the single-tensor loop (`foreach=False`).
"""

from __future__ import annotations

import contextlib
import functools
import sys

from coreopt.compat._eager import EagerAdapter

INSTALL = "pip install torch==2.13.0"


def _import_torch():
    """`torch`, or an ImportError that says what to install."""
    try:
        import torch
        import torch.optim
    except ImportError as error:
        raise ImportError(
            "coreopt.compat.from_torch needs PyTorch, which is not installed: "
            f"`{INSTALL}` (the CPU build where your package index offers it) or "
            "`pip install \"coreopt[torch]\"`. Avoid a plain `pip install torch`: it pulls "
            "the multi-GB CUDA build.") from error
    return torch


def from_torch(optimizer, **kwargs) -> TorchOptimizer:
    """A torch.optim optimizer that steps TensorFlow variables (see the module docstring).

    Args:
        optimizer: a `torch.optim.Optimizer` class (`torch.optim.Adam`), or a
            callable `f(params, **kwargs) -> torch.optim.Optimizer` (a lambda,
            `functools.partial(torch.optim.SGD, momentum=0.9)`). Not an instance:
            a torch optimizer is bound to its parameters when it is constructed,
            and the adapter creates them on its first call.
        **kwargs: passed to `optimizer` along with the parameters (`lr=0.01`, ...).

    Returns:
        A `TorchOptimizer`; the torch optimizer is built on the first
        `apply_gradients` call (`.optimizer`, None until then).

    Raises:
        ImportError: torch is not installed (the message says what to install).
        TypeError: `optimizer` is an instance, or not callable.

    Example:
        >>> import pytest; torch = pytest.importorskip("torch")  # skips without torch
        >>> import functools
        >>> from coreopt.compat import from_torch
        >>> from_torch(functools.partial(torch.optim.SGD, momentum=0.9), lr=0.05)
        TorchOptimizer(functools.partial(torch.optim.SGD, momentum=0.9), lr=0.05)
    """
    torch = _import_torch()
    if isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"from_torch needs a torch.optim.Optimizer class or a callable params -> optimizer, "
            f"not an instance ({type(optimizer).__name__}): a torch optimizer is bound to its "
            "parameters when it is built. Pass the class and its kwargs, e.g. "
            "from_torch(torch.optim.Adam, lr=0.01).")
    if not callable(optimizer):
        raise TypeError("from_torch: `optimizer` must be a torch.optim.Optimizer class or a "
                        f"callable params -> optimizer; received {optimizer!r}.")
    return TorchOptimizer(optimizer, kwargs)


class TorchOptimizer(EagerAdapter):
    """A torch.optim optimizer stepping TensorFlow variables; made by `from_torch`.

    Attributes:
        name: "torch.optim.Adam" for a class, else a description of the callable.
        optimizer: the torch optimizer (None before the first call); change its
            `param_groups[i]["lr"]` to change the learning rate, as in torch.
        iterations: the number of steps taken.
    """

    library = "torch"

    def __init__(self, factory, kwargs: dict):
        super().__init__(_describe(factory))
        self.factory, self.kwargs = factory, dict(kwargs)
        self.optimizer = None
        self._params = None

    def _build(self, values):
        torch = _import_torch()
        with _default_dtype(torch, values):
            params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in values]
            opt = self.factory(params, **self.kwargs)
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError(f"from_torch: {self.name} returned {type(opt).__name__}, not a "
                            "torch.optim.Optimizer.")
        held = {id(p) for group in opt.param_groups for p in group["params"]}
        if any(id(p) not in held for p in params):
            raise ValueError(f"from_torch: the optimizer {self.name} built does not hold the "
                             "parameters it was given.")
        self._params, self.optimizer = params, opt

    def _step(self, values, grads, extra):
        torch = _import_torch()
        with torch.no_grad():
            for param, value, grad in zip(self._params, values, grads):
                param.copy_(torch.from_numpy(value.copy()))
                param.grad = torch.from_numpy(grad.copy())
        with _default_dtype(torch, values):
            self.optimizer.step()
        return [p.detach().numpy().copy() for p in self._params]

    def __repr__(self):
        args = [_describe(self.factory)] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"TorchOptimizer({', '.join(args)})"


@contextlib.contextmanager
def _default_dtype(torch, values):
    """torch's default dtype set to the widest of `values`' dtypes, restored on exit."""
    widest = torch.float64 if any(v.dtype.itemsize == 8 for v in values) else torch.float32
    before = torch.get_default_dtype()
    torch.set_default_dtype(widest)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def _describe(factory) -> str:
    """`torch.optim.Adam` for torch's class, a partial's function and arguments, else its name."""
    if isinstance(factory, functools.partial):
        parts = [_describe(factory.func)] + [repr(a) for a in factory.args]
        parts += [f"{k}={v!r}" for k, v in factory.keywords.items()]
        return f"functools.partial({', '.join(parts)})"
    if isinstance(factory, type):
        optim = sys.modules.get("torch.optim")
        if getattr(optim, factory.__name__, None) is factory:
            return f"torch.optim.{factory.__name__}"
        return f"{factory.__module__}.{factory.__qualname__}"
    return getattr(factory, "__qualname__", None) or repr(factory)
