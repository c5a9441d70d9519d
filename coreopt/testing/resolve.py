"""From what the user passes to `check()` to a name and a maker of fresh copies."""

from __future__ import annotations

from coreopt.testing.subject import COUPLED, describe_error, factory_name

NO_COPIES = ("checks that need fresh copies need a factory: pass the class, or a function "
             "of no arguments that returns a new optimizer, instead of an instance")


def source(obj):
    """(name, make, why): `make()` returns a fresh copy; None (with `why`) when there is none.

    Raises:
        ValueError: an unknown registered name or chain.
        TypeError: neither an optimizer, a name, nor a callable.
    """
    import coreopt

    if isinstance(obj, str):
        coreopt.get(obj)  # an unknown name or a wrapper alone raises here, naming it
        return obj, lambda: coreopt.get(obj), ""
    if isinstance(obj, coreopt.Optimizer):
        return _coreopt_instance(obj)
    if hasattr(obj, "apply_gradients") and not isinstance(obj, type):
        name = f"{factory_name(type(obj))} instance"
        return name, None, f"{NO_COPIES} (received an instance of {type(obj).__name__})."
    if callable(obj):
        return factory_name(obj), obj, ""
    raise TypeError("check() takes an optimizer, a registered name or chain (\"adam\", "
                    "\"ema:adam\"), or a class or function of no arguments that makes objects "
                    f"with apply_gradients(grads, vars); received {type(obj).__name__}.")


def _coreopt_instance(opt):
    """A coreopt optimizer: copies from `from_config(opt.get_config())`."""
    import coreopt

    try:
        config = opt.get_config()
        coreopt.from_config(config)
    except (TypeError, ValueError) as error:
        why = (f"{NO_COPIES}: this {type(opt).__name__} cannot be rebuilt from its config "
               f"({describe_error(error)}).")
        return repr(opt), None, why
    return repr(opt), lambda: coreopt.from_config(config), ""


def first_copy(name: str, make):
    """`make()` once, to see that it works and what it makes.

    Raises:
        ValueError: `make()` raised (its error is in the message).
        TypeError: what it returned has neither `apply_gradients` nor `minimize`.
    """
    try:
        sample = make()
    except Exception as error:
        raise ValueError(f"{name}() raised {describe_error(error, 400)}") from error
    if not (callable(getattr(sample, "apply_gradients", None))
            or callable(getattr(sample, "minimize", None))):
        raise TypeError(f"{name}() returned a {type(sample).__name__}, which has no "
                        "apply_gradients(grads, vars) method.")
    return sample


def coupling(opt) -> str:
    """Why `opt`'s step joins its variables on purpose ("" when it does not): a class
    attribute `couples_variables` (a sentence, or a function of the optimizer), else
    `COUPLED`; a wrapper chain asks each of its parts."""
    while opt is not None:
        name = getattr(opt, "registry_name", None) or type(opt).__name__
        why = getattr(type(opt), "couples_variables", "") or COUPLED.get(name, "")
        why = why(opt) if callable(why) else why
        if why:
            return f"{name} {why}" if isinstance(why, str) else f"{name} couples the variables"
        opt = getattr(opt, "inner", None) if getattr(opt, "wraps", False) else None
    return ""
