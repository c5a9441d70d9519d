"""What `check()` is given, made into fresh copies; the problem every check steps on.

`Subject.of(obj)` accepts a registered name or chain ("adam", "ema:adam"), a
coreopt optimizer (copies are rebuilt from its config), or a class or
zero-argument factory of objects with `apply_gradients(grads, vars)`. An
instance of anything else cannot be copied: its `why_no_copies` says so, and
every check that needs fresh copies is not applicable.

The problem: named variables ("a", "b", shape (3, 2)) and a gradient field
that differs per variable and depends on the variable's value,

    g_k(x, t) = s_k (x - c_k) + 0.2 cos(3x) + n_k(t),

with fixed noise n_k(t) keyed by the variable's name (so the order of `vars`
never changes what a variable sees). It is the gradient of
    loss = sum_k sum(s_k (x - c_k)^2 / 2 + 0.2/3 sin(3x) + n_k(t) x),
which `minimize(loss_fn, vars)` gets for optimizers that need the loss (SAM).
"""

from __future__ import annotations

import functools
import threading
import zlib

import numpy as np
import tensorflow as tf

SHAPE = (3, 2)
FIELD = {"a": (1.0, 0.5), "b": (3.0, -1.0), "e": (2.0, 0.25)}  # name -> (s, c)
# Registered optimizers whose step joins the variables on purpose (per-variable state is not
# asked of them): name -> why, or a function of the optimizer returning why ("" if it does not).
COUPLED = {
    "clip_by_global_norm": "rescales every gradient by one joint norm",
    "sam": "perturbs every variable along the joint gradient, scaled by one norm",
    "adam_weight_decay": lambda opt: (
        "clips every gradient by one joint norm (gradient_clip_norm > 0)"
        if opt.own_config().get("gradient_clip_norm", 0) else ""),
}


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


def initial(name: str, shape=SHAPE) -> np.ndarray:
    """The starting values of variable `name`: small (so that bfloat16 steps show)."""
    return np.random.default_rng(_key(name)).uniform(-0.06, 0.06, size=shape)


def noise(name: str, shape, t: int) -> np.ndarray:
    return np.random.default_rng([_key(name), t]).normal(scale=0.3, size=shape)


def name_of(variable) -> str:
    return variable.name.split(":")[0]


def make_variables(names=("a", "b"), dtype=tf.float32, shape=SHAPE) -> list:
    return [tf.Variable(initial(n, shape), dtype=dtype, name=n) for n in names]


class Field:
    """The gradient field over `variables`, and its loss closure (one per field)."""

    def __init__(self, variables, scale: float = 1.0):
        self.variables, self.scale = list(variables), scale
        self.noise = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)
                      for v in self.variables]

        def loss_fn():
            total = []
            for v, n in zip(self.variables, self.noise):
                s, c = FIELD[name_of(v)]
                x = tf.convert_to_tensor(v)
                total.append(tf.reduce_sum(s * tf.square(x - c) / 2 + 0.2 / 3 * tf.sin(3 * x)
                                           + n * x) * scale)
            return tf.add_n(total)

        self.loss_fn = loss_fn

    def set(self, t: int):
        """The noise of step `t`, into the variables `loss_fn` reads."""
        for v, n in zip(self.variables, self.noise):
            n.assign(tf.cast(noise(name_of(v), v.shape, t), v.dtype))

    def grads(self, variables, t: int) -> list:
        """The gradients of `variables` (any order, any subset) at their values, step `t`."""
        out = []
        for v in variables:
            s, c = FIELD[name_of(v)]
            x = tf.convert_to_tensor(v)
            g = s * (x - c) + 0.2 * tf.cos(3 * x) + tf.cast(noise(name_of(v), v.shape, t), v.dtype)
            out.append(g * tf.cast(self.scale, v.dtype))
        return out


def prepare(opt, variables):
    """Calls `opt.build(variables)` when it has one (coreopt and Keras build explicitly)."""
    build = getattr(opt, "build", None)
    if callable(build):
        build(list(variables))


def values(variables) -> list:
    return [np.asarray(v.numpy(), np.float64) for v in variables]


def max_difference(first, second) -> float:
    """The largest |a - b| over two lists of arrays; inf where only one side is finite."""
    worst = 0.0
    for a, b in zip(first, second):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        both = np.isfinite(a) & np.isfinite(b)
        if np.any(np.isfinite(a) != np.isfinite(b)):
            return float("inf")
        if np.any(both):
            worst = max(worst, float(np.max(np.abs(a[both] - b[both]))))
    return worst


def scale_of(arrays) -> float:
    finite = [np.max(np.abs(a[np.isfinite(a)])) for a in arrays if np.any(np.isfinite(a))]
    return max([1.0, *map(float, finite)])


def describe_error(error: BaseException, limit: int = 240) -> str:
    text = " ".join(str(error).split())
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Subject:
    """The optimizer under check, as a source of fresh copies, and the settings."""

    def __init__(self, name: str, make=None, *, why_no_copies: str = "",
                 needs_closure: bool = False, coupled: str = "", steps: int = 8,
                 dtypes=("float32",), reference=None):
        self.name, self.make, self.why_no_copies = name, make, why_no_copies
        self.reference_spec = reference  # what the reference checks compare with, or None
        self.needs_closure, self.coupled = needs_closure, coupled
        self.steps, self.dtypes = steps, tuple(dtypes)
        self._memo, self._lock = {}, threading.Lock()

    def __repr__(self):
        return f"Subject({self.name!r}, steps={self.steps})"

    @classmethod
    def of(cls, obj, **settings) -> Subject:
        """The subject for `obj` (see the module docstring); bad input raises here.

        Raises:
            ValueError: an unknown registered name, or a factory that raises.
            TypeError: something that is neither an optimizer nor makes one.
        """
        from coreopt.testing import resolve

        name, make, why = resolve.source(obj)
        if make is None:
            return cls(name, None, why_no_copies=why, **settings)
        sample = resolve.first_copy(name, make)
        return cls(name, make, needs_closure=bool(getattr(sample, "chain_needs_closure", False)),
                   coupled=resolve.coupling(sample), **settings)

    def fresh(self):
        return self.make()

    def step(self, opt, field, variables, t: int):
        """One eager step: `apply_gradients`, or `minimize` for optimizers that need the loss."""
        if self.needs_closure:
            field.set(t)
            opt.minimize(field.loss_fn, variables)
        else:
            opt.apply_gradients(field.grads(variables, t), variables)

    def traced(self, opt, field, variables, jit_compile=False):
        """(step(t), the tf.function): one step as a user's `tf.function` would take it."""
        if self.needs_closure:
            fn = tf.function(lambda: opt.minimize(field.loss_fn, variables),
                             jit_compile=jit_compile)
            return (lambda t: (field.set(t), fn())), fn
        fn = tf.function(lambda grads: opt.apply_gradients(grads, variables),
                         jit_compile=jit_compile)
        return (lambda t: fn(field.grads(variables, t))), fn

    def run(self, names=("a", "b"), dtype=tf.float32, steps=None, order=None, scale=1.0):
        """A fresh copy stepped eagerly; the final values of `names`, in that order.

        `order(t, variables) -> variables` picks the list passed at step t.
        """
        opt, variables = self.fresh(), make_variables(names, dtype)
        field = Field(variables, scale)
        chosen = order or (lambda t, vs: vs)
        prepare(opt, chosen(0, variables))
        for t in range(self.steps if steps is None else steps):
            self.step(opt, field, chosen(t, variables), t)
        return values(variables)

    def reference(self):
        """`run()` on ("a", "b") in float32, computed once (its error, if any, re-raised)."""
        return self.memo("reference", self.run)

    def alone(self, name: str):
        """The final value of variable `name` stepped alone, computed once."""
        return self.memo(f"alone {name}", lambda: self.run(names=(name,))[0])

    def memo(self, key, compute):
        with self._lock:
            if key not in self._memo:
                try:
                    self._memo[key] = (True, compute())
                except Exception as error:  # kept, and raised to every reader
                    self._memo[key] = (False, error)
            ok, value = self._memo[key]
        if not ok:
            raise value
        return value


def factory_name(obj) -> str:
    """A readable name for a class or factory: module.qualname, a partial's keywords."""
    if isinstance(obj, functools.partial):
        args = ", ".join(f"{k}={v!r}" for k, v in obj.keywords.items())
        return f"{factory_name(obj.func)}({args})"
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or type(obj).__name__
    return f"{module}.{qual}" if module and module != "builtins" else qual
