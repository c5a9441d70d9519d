"""`load("MODULE:NAME")`: a user's class or factory, from a module name or a .py file.

MODULE is a dotted module name (importable from the current directory too)
or a path to a `.py` file (its folder goes on `sys.path`, as when it is run
as a script; a file already imported is not imported again). While the
module is imported, `sys.argv` is `[its path]`, so module-level code that
reads the command line does not see the command's own arguments. Every
failure is a `ValueError` naming the module and why.

Example:
    >>> import pathlib, tempfile
    >>> from coreopt.testing.loader import load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "my_opts.py"
    >>> _ = path.write_text("class Plain:\\n    def apply_gradients(self, grads, vars): ...\\n")
    >>> load(f"{path}:Plain").__name__
    'Plain'
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import pathlib
import sys
import zlib


def split(target: str) -> tuple[str, str]:
    """"pkg.mod:Name" or "path/file.py:Name" -> (module, name); ValueError otherwise."""
    module, sep, name = str(target).rpartition(":")
    if not sep or not module or not name.isidentifier():
        raise ValueError(f"expected MODULE:NAME (my_opts:MyAdam, or path/to/file.py:MyAdam); "
                         f"received {target!r}.")
    return module, name


@contextlib.contextmanager
def _argv(first: str):
    saved = sys.argv
    sys.argv = [first]
    try:
        yield
    finally:
        sys.argv = saved


def _module_name(path: pathlib.Path) -> str:
    """The file's stem, unless another module holds it: then stem_<CRC-32 of the path>."""
    held = sys.modules.get(path.stem)
    if held is None or _same_file(held, path):
        return path.stem
    return f"{path.stem}_{zlib.crc32(str(path).encode()):08x}"


def _same_file(module, path: pathlib.Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and pathlib.Path(file).resolve() == path


def _from_file(path: pathlib.Path):
    """The module of the .py file at `path`, imported once (as `import` would)."""
    if not path.is_file():
        raise ValueError(f"cannot import {str(path)!r}: no such file.")
    path = path.resolve()
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    name = _module_name(path)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _argv(str(path)):
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _from_name(dotted: str):
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    with _argv(dotted):
        return importlib.import_module(dotted)


def import_module(module: str):
    """The module `module` (a dotted name or a .py path); ValueError saying why it failed."""
    is_file = module.endswith(".py") or os.sep in module or "/" in module
    try:
        return _from_file(pathlib.Path(module)) if is_file else _from_name(module)
    except ValueError as error:
        if str(error).startswith("cannot import"):
            raise
        raise ValueError(f"cannot import {module!r}: {type(error).__name__}: {error}") from error
    except (Exception, SystemExit) as error:
        raise ValueError(f"cannot import {module!r}: {type(error).__name__}: {error}") from error


def load(target: str):
    """The attribute NAME of MODULE, from "MODULE:NAME"."""
    module_name, name = split(target)
    module = import_module(module_name)
    if not hasattr(module, name):
        public = sorted(k for k, v in vars(module).items()
                        if not k.startswith("_") and callable(v)
                        and getattr(v, "__module__", None) == module.__name__)
        raise ValueError(f"module {module_name!r} has no attribute {name!r}; it defines "
                         f"{', '.join(public) or 'no classes or functions'}.")
    return getattr(module, name)
