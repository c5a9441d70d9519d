"""Name tables with aliases and "did you mean" errors, shared by the registries.

Used by the optimizer registry (`coreopt.core.registry`) and the test-function
registry (`coreopt.functions.registry`); it depends on nothing.

Example:
    >>> table = NameTable("fruit")
    >>> table.add("apple", 1, aliases=("pomme",))
    >>> table.get("Pomme"), table.names()
    (1, ['apple'])
"""

from __future__ import annotations

import difflib


class NameTable:
    """Names (and aliases) to values, in registration order.

    Args:
        kind: what the names name, for messages ("optimizer").
        separators: characters read as "_" when looking a name up ("-").
    """

    def __init__(self, kind: str, separators: str = ""):
        self.kind, self._separators = kind, separators
        self._values: dict = {}
        self._aliases: dict = {}

    def __repr__(self):
        return f"NameTable({self.kind!r}, {len(self._values)} names)"

    def add(self, name: str, value, aliases=()):
        """Registers `value` under `name` and `aliases`; a name may be taken once."""
        for key in (name, *aliases):
            if key in self._aliases:
                raise ValueError(f"{self.kind} name {key!r} is already registered")
        self._values[name] = value
        for key in (name, *aliases):
            self._aliases[key] = name

    def names(self) -> list[str]:
        """The registered names (aliases not included), in registration order."""
        return list(self._values)

    def get(self, name: str):
        """The value of `name` or one of its aliases (case and separators ignored).

        Raises:
            ValueError: for an unknown name, with the closest registered names.
        """
        key = str(name).strip().lower()
        for sep in self._separators:
            key = key.replace(sep, "_")
        if key not in self._aliases:
            close = difflib.get_close_matches(key, list(self._aliases), n=3, cutoff=0.5)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(
                f"Unknown {self.kind} {name!r}.{hint} Registered: {', '.join(self.names())}."
            )
        return self._values[self._aliases[key]]
