"""`Result` and `Card`: the report card of `coreopt.testing.check`, as plain records.

No TensorFlow here: a card saved by `coreopt check` loads, prints and goes
into a report anywhere (`Card.load`, `str(card)`, `to_markdown`, `to_html`).

Example:
    >>> from coreopt.testing.card import Card, Result
    >>> card = Card("MyAdam", [Result("per_variable_state", "pass", "each variable ends "
    ...     "exactly where it ends alone.", {"max_difference": 0.0})])
    >>> card.ok, card["per_variable_state"].verdict
    (True, 'pass')
    >>> Card.from_dict(card.to_dict()) == card
    True
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import pathlib
import textwrap

PASS, FAIL, NA = "pass", "fail", "n/a"
VERDICTS = (PASS, FAIL, NA)

# Every check `check()` runs, in order: name -> the title shown in tables.
TITLES = {
    "per_variable_state": "per-variable state",
    "order_independence": "order independence",
    "tf_function": "tf.function",
    "xla": "XLA (jit_compile=True)",
    "retrace": "retrace",
    "checkpoint": "checkpoint",
    "none_gradient": "None gradient",
    "indexed_slices": "IndexedSlices gradient",
    "dtypes": "dtypes",
    "nonfinite_gradient": "NaN/Inf gradient",
    "mirrored": "MirroredStrategy",
    "reference": "reference",
    "step_time": "step time",
}


def plain(value):
    """`value` as JSON data: NumPy scalars as Python ones, a non-finite float as its text
    ("nan", "inf", "-inf"), tuples as lists, dict keys as strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()  # a NumPy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@dataclasses.dataclass
class Result:
    """One check's outcome.

    Attributes:
        name: the check's name (a key of `TITLES`).
        verdict: "pass", "fail" or "n/a".
        sentence: one plain sentence that says what was seen.
        evidence: the numbers behind it (JSON data).
        seconds: how long the check took.
    """

    name: str
    verdict: str
    sentence: str
    evidence: dict = dataclasses.field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"`verdict` must be one of {VERDICTS}; received {self.verdict!r}.")
        self.evidence = plain(dict(self.evidence))

    @property
    def title(self) -> str:
        return TITLES.get(self.name, self.name)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def __repr__(self):
        return f"Result({self.name!r}, {self.verdict!r}, {self.sentence!r})"


class JsonRecord:
    """`to_json`, `save` and `load` of a record with `to_dict` and `from_dict` (Card, Diff)."""

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    def save(self, path) -> pathlib.Path:
        """Writes the record as JSON to `path` (atomically); returns the path."""
        from coreopt import files

        path = pathlib.Path(path)
        files.write_text(path, self.to_json())
        return path

    @classmethod
    def load(cls, path):
        return cls.from_dict(json.loads(pathlib.Path(path).read_text()))


@dataclasses.dataclass
class Card(JsonRecord):
    """The report card of one optimizer: a `Result` per check.

    Attributes:
        subject: what was checked ("adam", "seed_reference.Momentum", ...).
        results: the `Result`s, in the order the checks ran.
        settings: how it was checked (steps, dtypes, time limit).
        versions: TensorFlow's and coreopt's versions.
    """

    subject: str
    results: list = dataclasses.field(default_factory=list)
    settings: dict = dataclasses.field(default_factory=dict)
    versions: dict = dataclasses.field(default_factory=dict)

    def __getitem__(self, name: str) -> Result:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no check {name!r} on this card; it has {self.names()}")

    def names(self) -> list[str]:
        return [r.name for r in self.results]

    def verdicts(self) -> dict:
        """{check name: verdict}."""
        return {r.name: r.verdict for r in self.results}

    def failures(self) -> list[Result]:
        return [r for r in self.results if r.verdict == FAIL]

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.failures()

    def counts(self) -> dict:
        return {v: sum(r.verdict == v for r in self.results) for v in VERDICTS}

    # ---------------------------------------------------------------- files
    def to_dict(self) -> dict:
        return {"subject": self.subject, "settings": plain(self.settings),
                "versions": plain(self.versions), "results": [r.to_dict() for r in self.results]}

    @classmethod
    def from_dict(cls, data: dict) -> Card:
        return cls(data["subject"], [Result(**r) for r in data.get("results", [])],
                   dict(data.get("settings", {})), dict(data.get("versions", {})))


    def write(self, directory) -> tuple[pathlib.Path, pathlib.Path]:
        """Writes DIRECTORY/card.json and DIRECTORY/card.md (made if missing)."""
        from coreopt import files

        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        text = directory / "card.md"
        files.write_text(text, self.to_markdown(level=1))
        return self.save(directory / "card.json"), text

    # ------------------------------------------------------------- showing
    def summary(self) -> str:
        c = self.counts()
        return f"{c[FAIL]} fail, {c[PASS]} pass, {c[NA]} n/a"

    def __str__(self):
        width = max([len(r.title) for r in self.results] + [5])
        lines = [f"coreopt check: {self.subject}", f"{'check':<{width}}  verdict  sentence"]
        indent = " " * (width + 11)
        for r in self.results:
            shown = r.verdict.upper() if r.verdict == FAIL else r.verdict
            body = textwrap.wrap(r.sentence, 100 - len(indent)) or [""]
            lines.append(f"{r.title:<{width}}  {shown:<7}  {body[0]}")
            lines += [indent + more for more in body[1:]]
        lines.append(self.summary())
        return "\n".join(lines)

    def to_markdown(self, level: int = 2) -> str:
        """A Markdown section: heading, summary, the table of checks with their evidence."""
        lines = [f"{'#' * level} coreopt check: {self.subject}", "", self.summary(), "",
                 "| check | verdict | sentence | evidence |", "|---|---|---|---|"]
        for r in self.results:
            cells = (r.title, f"**{r.verdict}**" if r.verdict == FAIL else r.verdict,
                     r.sentence, _evidence_text(r.evidence))
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines) + "\n"

    def to_html(self, level: int = 2) -> str:
        """An HTML section (a fragment for a report page): heading, summary, the table."""
        esc = html.escape
        rows = "".join(
            f"<tr class=\"{r.verdict.replace('/', '')}\"><td>{esc(r.title)}</td>"
            f"<td>{esc(r.verdict)}</td><td>{esc(r.sentence)}</td>"
            f"<td><code>{esc(_evidence_text(r.evidence))}</code></td></tr>"
            for r in self.results)
        return (f"<section class=\"coreopt-check\"><h{level}>coreopt check: {esc(self.subject)}"
                f"</h{level}><p>{esc(self.summary())}</p><table><thead><tr><th>check</th>"
                "<th>verdict</th><th>sentence</th><th>evidence</th></tr></thead>"
                f"<tbody>{rows}</tbody></table></section>\n")

    def __repr__(self):
        return f"Card({self.subject!r}, {self.summary()})"


def _evidence_text(evidence: dict) -> str:
    """`key=value` pairs, numbers in 4 significant digits."""
    def show(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, dict):
            return "{" + _evidence_text(v) + "}"
        return str(v)

    return ", ".join(f"{k}={show(v)}" for k, v in evidence.items())


def passed(sentence: str, **evidence) -> Result:
    """A pass, for a check to return (the runner fills in its name and time)."""
    return Result("", PASS, sentence, evidence)


def failed(sentence: str, **evidence) -> Result:
    return Result("", FAIL, sentence, evidence)


def not_applicable(sentence: str, **evidence) -> Result:
    return Result("", NA, sentence, evidence)
