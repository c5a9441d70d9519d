"""Test rows of the wrapper suite, collected from each wrapper's own test module.

Every registered wrapper `name`, defined in `coreopt/wrappers/<module>.py`,
has its row in `tests/wrappers/test_<module>.py` as

    CASES = {"name": WrapperCase(configs=({...}, ...), oracle=SomeReference)}

`oracle(inner_reference, **config)` is a NumPy implementation written from the
paper around an inner oracle from `coreopt.testing.oracle`, with
`step(grads, params, grad_fn=None) -> new params` (all float64 arrays;
`grad_fn(params) -> grads` is the loss closure's gradient, for wrappers that
need it). The common suite
(`tests/wrappers/test_common.py`) runs every row through the contracts.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import coreopt

INNERS = ("adam", "momentum", "lamb", "adafactor")  # the last two reduce over matrices


@dataclasses.dataclass(frozen=True)
class WrapperCase:
    """One wrapper's rows.

    Attributes:
        configs: the wrapper's own hyperparameters (bare names), one dict per row.
        oracle: the NumPy reference, see the module docstring; None where the
            wrapper's own test module checks it against Keras or a closed form.
        inners: inner optimizers (registered names) for the default tier; the
            slow tier runs every name in `INNERS`.
        lab: the batched lab may run it (a test function has no variable names).
    """

    configs: tuple[dict, ...]
    oracle: object = None
    inners: tuple[str, ...] = ("adam",)
    lab: bool = True


def collect() -> dict:
    """{wrapper name: WrapperCase} from every `tests/wrappers/test_*.py`."""
    import tests.wrappers as package

    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("test_") and info.name != "test_common":
            module = importlib.import_module(f"tests.wrappers.{info.name}")
            found.update({k: v for k, v in getattr(module, "CASES", {}).items()
                          if isinstance(v, WrapperCase)})
    return found


def missing(found: dict) -> list[str]:
    """A sentence for every registered wrapper without a row."""
    out = []
    for name in coreopt.names("wrapper"):
        if name not in found:
            module = coreopt.entry(name).cls.__module__.rsplit(".", 1)[-1]
            out.append(f"wrapper {name!r} (coreopt/wrappers/{module}.py) has no test row: add "
                       f"CASES[{name!r}] = WrapperCase(...) to tests/wrappers/test_{module}.py")
    return out
