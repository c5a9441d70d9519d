"""What `verify()` compares: reference specs read from text, and sides that make fresh copies.

A spec names one optimizer with literal keyword arguments:

    adam                              coreopt's registered optimizer (or a chain, ema:adam)
    adam(epsilon_hat=true)            with its options
    keras:Adam(learning_rate=0.01)    keras.optimizers.Adam(learning_rate=0.01)
    torch:RMSprop(lr=0.01, alpha=0.9) torch.optim.RMSprop through coreopt.compat.from_torch
    optax:adam(learning_rate=0.01)    optax.adam(...) through coreopt.compat.from_optax
    oracle:adam(epsilon_hat=true)     coreopt's float64 NumPy oracle (coreopt.testing.oracle)

Values are literals only: numbers (1e-3, -2, inf, nan), true/false (any case), None,
quoted strings, and tuples or lists of them. Nothing is evaluated: the text is read by
the small parser below, which points at the character it cannot read.

Example:
    >>> parse("adam(epsilon_hat=true, beta_1=0.8)")
    Spec('coreopt', [('adam', {'epsilon_hat': True, 'beta_1': 0.8})])
    >>> parse("keras:Adam(learning_rate=1e-2, amsgrad=True)").text()
    'keras:Adam(learning_rate=0.01, amsgrad=True)'
    >>> parse("adam(beta_1=0.9 0.8)")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    coreopt.testing.references.SpecError: cannot read the reference spec: expected ',' or ')',
    found '0.8' at character 16:
        adam(beta_1=0.9 0.8)
                        ^
"""

from __future__ import annotations

import dataclasses
import difflib
import re

PREFIXES = ("coreopt", "keras", "torch", "optax", "oracle")
# What to install for each library that is not a dependency (pyproject's extras).
PACKAGES = {"torch": ("torch", "torch"), "optax": ("jax", "optax")}  # prefix -> (extra, module)
# pyproject.toml's extras (tests/testing/test_verify.py checks that they agree), for an
# install whose metadata does not list them.
PINS = {"torch": ["torch==2.13.0"], "jax": ["jax", "jaxlib", "optax"]}
_TOKEN = re.compile(r"\s*(?:(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
                    r"|(?P<name>[-+]?[A-Za-z_][A-Za-z_0-9]*)|(?P<str>'[^']*'|\"[^\"]*\")"
                    r"|(?P<punct>[():,=\[\]]))")
_WORDS = {"true": True, "false": False, "none": None, "null": None, "inf": float("inf"),
          "+inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}


class SpecError(ValueError):
    """A spec that cannot be read; the message shows the text with a caret under the place."""

    def __init__(self, text: str, position: int, what: str):
        self.text, self.position = text, position
        super().__init__(f"cannot read the reference spec: {what} at character {position}:\n"
                         f"    {text}\n    {' ' * position}^")


class MissingPackage(ImportError, ValueError):
    """A reference whose library is not installed (an ImportError, and a ValueError for
    the command line's bad-input exit)."""


@dataclasses.dataclass
class Spec:
    """A parsed spec: the library, and the parts of a chain [(name, kwargs)], outermost first."""

    library: str
    parts: list
    source: str = ""
    positions: list = dataclasses.field(default_factory=list)  # where each part's name starts

    def __repr__(self):
        return f"Spec({self.library!r}, {self.parts!r})"

    def text(self, changes: dict | None = None) -> str:
        """The spec written back (coreopt's `changes`, flat names, applied to the parts)."""
        changes = changes or {}
        out = []
        for i, (name, kwargs) in enumerate(self.parts):
            inner = i == len(self.parts) - 1
            mark = "" if inner else f"{name}."
            merged = {**kwargs, **{k[len(mark):]: v for k, v in changes.items()
                                   if (k.startswith(mark) if mark else "." not in k)}}
            body = ", ".join(f"{k}={v!r}" for k, v in merged.items())
            out.append(f"{name}({body})" if body else name)
        prefix = "" if self.library == "coreopt" else f"{self.library}:"
        return prefix + ":".join(out)

    def flat(self) -> dict:
        """The chain's keyword arguments by flat name ("ema.momentum" for a wrapper's)."""
        last = len(self.parts) - 1
        return {(k if i == last else f"{name}.{k}"): v
                for i, (name, kwargs) in enumerate(self.parts) for k, v in kwargs.items()}

    @property
    def chain(self) -> str:
        return ":".join(name for name, _ in self.parts)


class _Reader:
    """Tokens of a spec, each with where it starts."""

    def __init__(self, text: str):
        self.text, self.tokens, pos = text, [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match:
                start = len(text) - len(text[pos:].lstrip())
                raise SpecError(text, start, f"unexpected {text[start]!r}")
            kind = match.lastgroup
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            pos = match.end()
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", len(self.text))

    def take(self, *expected):
        kind, token, where = self.peek()
        if expected and token not in expected and kind not in expected:
            shown = " or ".join("a name" if e == "name" else repr(e) for e in expected)
            found = "the end" if kind == "end" else repr(token)
            raise SpecError(self.text, where, f"expected {shown}, found {found}")
        self.i += 1
        return kind, token, where


def parse(text: str) -> Spec:
    """The `Spec` of `text` (see the module docstring); `SpecError` points at a bad character."""
    text = str(text)
    reader = _Reader(text)
    if reader.peek()[0] == "end":
        raise SpecError(text, 0, "expected an optimizer name")
    library, parts, positions = "coreopt", [], []
    first = reader.peek()
    if (first[0] == "name" and first[1] in PREFIXES and reader.i + 1 < len(reader.tokens)
            and reader.tokens[reader.i + 1][1] == ":"):
        library = reader.take()[1]
        reader.take(":")
    while True:
        kind, name, where = reader.take("name")
        parts.append((name, _arguments(reader) if reader.peek()[1] == "(" else {}))
        positions.append(where)
        if reader.peek()[0] == "end":
            break
        reader.take(":")
    if library != "coreopt" and len(parts) > 1:
        raise SpecError(text, positions[1], f"a {library} reference is one optimizer, not a "
                        "chain")
    return Spec(library, parts, text, positions)


def _arguments(reader: _Reader) -> dict:
    reader.take("(")
    kwargs = {}
    while reader.peek()[1] != ")":
        kind, key, where = reader.take("name")
        if reader.peek()[1] != "=":
            reader.take("=")
        reader.take("=")
        if key in kwargs:
            raise SpecError(reader.text, where, f"{key!r} is given twice")
        kwargs[key] = _value(reader)
        if reader.peek()[1] != ")":
            reader.take(",", ")")
    reader.take(")")
    return kwargs


def _value(reader: _Reader):
    kind, token, where = reader.peek()
    if token in ("(", "["):
        reader.take()
        close = ")" if token == "(" else "]"
        items = []
        while reader.peek()[1] != close:
            items.append(_value(reader))
            if reader.peek()[1] != close:
                reader.take(",", close)
        reader.take(close)
        return tuple(items) if close == ")" else list(items)
    reader.take()
    if kind == "num":
        return float(token) if any(c in token for c in ".eE") else int(token)
    if kind == "str":
        return token[1:-1]
    if kind == "name" and token.lower() in _WORDS:
        return _WORDS[token.lower()]
    what = "the end" if kind == "end" else repr(token)
    raise SpecError(reader.text, where, f"expected a value (a number, true, false, None, a "
                    f"quoted string or a tuple), found {what}")


def require(library: str, spec_text: str = ""):
    """The module of `library` ("torch", "optax"); `MissingPackage` naming what to install."""
    import importlib
    import importlib.metadata

    extra, module = PACKAGES[library]
    try:
        return importlib.import_module(module)
    except ImportError:
        pass
    try:
        pins = [r.split(";")[0].strip() for r in importlib.metadata.requires("coreopt") or ()
                if f'extra == "{extra}"' in r]
    except importlib.metadata.PackageNotFoundError:
        pins = []
    pins = pins or PINS[extra]
    what = f"the reference {spec_text!r}" if spec_text else f"a {library} reference"
    raise MissingPackage(f"{what} needs {module}, which is not installed: pip install "
                         f"{' '.join(pins)} (or pip install 'coreopt[{extra}]').", name=module)


def close_names(name: str, known) -> str:
    """" Did you mean 'adam'?" for the closest of `known` (case ignored), or ""."""
    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.5)
    return f" Did you mean {' or '.join(repr(lower[c]) for c in close)}?" if close else ""


def lookup(module, name: str, kind: str, accept, spec: Spec | None = None):
    """`module.<name>` (case ignored) when `accept` says it is one; ValueError with close
    names otherwise (a caret under the name when the spec is given)."""
    known = {k: getattr(module, k) for k in dir(module) if not k.startswith("_")}
    known = {k: v for k, v in known.items() if accept(v)}
    found = known.get(name) or {k.lower(): v for k, v in known.items()}.get(name.lower())
    if found is not None:
        return found
    where = ""
    if spec is not None and spec.positions:
        where = f":\n    {spec.source}\n    {' ' * spec.positions[0]}^"
    raise ValueError(f"unknown {kind} {name!r}.{close_names(name, known)} It has: "
                     f"{', '.join(sorted(known))}{where}")


@dataclasses.dataclass
class Side:
    """One side of a comparison: its name, its library, and a maker of fresh copies.

    Attributes:
        name: as shown ("adam(epsilon_hat=True)", "toys.KerasAdam").
        library: "coreopt", "keras", "torch", "optax", "oracle" or "object" (anything with
            `apply_gradients(grads, vars)`).
        make: a function of no arguments returning a new optimizer.
        spec: the coreopt chain and its arguments (what the explainer varies), or None.
        needs_closure: it is stepped with `minimize(loss_fn, vars)`.
    """

    name: str
    library: str
    make: object
    spec: Spec | None = None
    needs_closure: bool = False

    def __repr__(self):
        return f"Side({self.name!r}, {self.library!r})"

    def step(self, opt, grads, variables):
        """One step; Keras takes `apply_gradients(zip(grads, vars))`."""
        if self.library == "keras":
            opt.apply_gradients(zip(grads, variables))
        else:
            opt.apply_gradients(grads, variables)


def side(obj, role: str = "reference") -> Side:
    """The `Side` of `obj`: a spec (text), a coreopt, Keras or torch.optim optimizer, an optax
    transformation, or a class or function of no arguments making optimizers. One copy is
    made here, so that bad arguments raise now (ValueError or TypeError, naming `role`)."""
    import coreopt

    if isinstance(obj, Side):
        return obj
    if isinstance(obj, (str, Spec)):
        return _checked(_from_spec(obj if isinstance(obj, Spec) else parse(obj)), role)
    if isinstance(obj, coreopt.Optimizer):
        return _checked(_from_spec(_spec_of(obj)), role)
    module = getattr(type(obj) if not isinstance(obj, type) else obj, "__module__", "") or ""
    if module.startswith("keras") and not isinstance(obj, type):
        made = Side(f"keras:{type(obj).__name__}", "keras",
                    lambda: type(obj).from_config(obj.get_config()))
        return _checked(made, role)
    if module.startswith("torch.optim") and isinstance(obj, type):
        return _checked(_from_spec(Spec("torch", [(obj.__name__, {})], f"torch:{obj.__name__}")),
                        role)
    if module.startswith("optax"):
        return _checked(Side(f"optax:{type(obj).__name__}", "optax",
                             lambda: coreopt.compat.from_optax(obj)), role)
    from coreopt.testing import resolve

    name, make, why = resolve.source(obj)
    if make is None:
        raise TypeError(f"the {role} {name} cannot be copied: {why}")
    return _checked(Side(name, "object", make), role)


def _spec_of(opt) -> Spec:
    """The chain and arguments of a coreopt optimizer (from its flat config)."""
    names, flat = opt.chain_name.split(":"), opt.flat_config()
    parts = [(n, {k.split(".", 1)[1]: v for k, v in flat.items() if k.startswith(f"{n}.")})
             for n in names[:-1]]
    parts.append((names[-1], {k: v for k, v in flat.items() if "." not in k}))
    spec = Spec("coreopt", parts)
    spec.source = spec.text()
    return spec


def _from_spec(spec: Spec) -> Side:
    import coreopt

    if spec.library == "coreopt":
        parts = []
        for (name, kwargs), where in zip(spec.parts, spec.positions or [0] * len(spec.parts)):
            try:
                parts.append((coreopt.entry(name).name, kwargs))
            except ValueError as error:
                raise ValueError(f"{error}\n    {spec.source}\n    {' ' * where}^") from None
        spec = Spec("coreopt", parts, spec.source, spec.positions)
        from coreopt.core import chains

        return Side(spec.text(), "coreopt", lambda: chains.build(spec.chain, spec.flat()), spec)
    (name, kwargs), = spec.parts
    if spec.library == "oracle":
        from coreopt.testing.oracle.adapter import from_oracle

        return Side(spec.text(), "oracle", lambda: from_oracle(name, **kwargs))
    if spec.library == "keras":
        import keras

        cls = lookup(keras.optimizers, name, "Keras optimizer", lambda v: isinstance(v, type)
                     and issubclass(v, keras.optimizers.Optimizer), spec)
        return Side(Spec("keras", [(cls.__name__, kwargs)]).text(), "keras", lambda: cls(**kwargs))
    if spec.library == "torch":
        torch = require("torch", spec.source)
        cls = lookup(torch.optim, name, "torch.optim optimizer", lambda v: isinstance(v, type)
                     and issubclass(v, torch.optim.Optimizer), spec)
        return Side(Spec("torch", [(cls.__name__, kwargs)]).text(), "torch",
                    lambda: coreopt.compat.from_torch(cls, **kwargs))
    optax = require("optax", spec.source)
    fn = lookup(optax, name, "optax transformation",
                lambda v: callable(v) and not isinstance(v, type), spec)
    return Side(spec.text(), "optax", lambda: coreopt.compat.from_optax(fn(**kwargs)))


def _checked(made: Side, role: str) -> Side:
    """`made` after one copy: ValueError when making it raises, TypeError when it cannot step."""
    from coreopt.testing.subject import describe_error

    try:
        sample = made.make()
    except ImportError:
        raise
    except Exception as error:
        raise ValueError(f"the {role} {made.name} cannot be built: "
                         f"{describe_error(error, 400)}") from error
    if not (callable(getattr(sample, "apply_gradients", None))
            or callable(getattr(sample, "minimize", None))):
        raise TypeError(f"the {role} {made.name} made a {type(sample).__name__}, which has no "
                        "apply_gradients(grads, vars) method.")
    made.needs_closure = bool(getattr(sample, "chain_needs_closure", False))
    return made
