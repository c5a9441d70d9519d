"""`Diff`: what `coreopt.testing.verify` found, as a plain record (no TensorFlow).

The relative error at step t, over all parameters of one dtype together, is

    err_t = ||x_cand(t) - x_ref(t)||_2 / max(||x_ref(t)||_2, floor)

(floor 1e-3, for parameters near zero), the measure of tests/parity. The two
agree in a dtype when err_t <= rtol at every step. A `Diff` keeps the curve of
err_t per dtype, the first step past the tolerance with the worst coordinate
there, the errors a side raised, and the explainer's findings; it saves to
JSON, prints as a sentence and a table, and writes a figure and an HTML report.

Example:
    >>> from coreopt.testing.diff import Diff
    >>> d = Diff("MyAdam", "adam", steps=2, rtol={"float64": 1e-12},
    ...          curves={"float64": [0.0, 3e-8]}, first={"float64": {
    ...              "step": 2, "variable": "matrix", "shape": [3, 2], "index": [1, 0],
    ...              "candidate": 0.25, "reference": 0.2500001, "error": 3e-8}})
    >>> d.ok
    False
    >>> print(d.sentence)  # doctest: +NORMALIZE_WHITESPACE
    MyAdam differs from adam: in float64 the relative error first exceeds 1e-12 at step 2
    (3e-08), in variable 'matrix' (3, 2) at index (1, 0): candidate 0.25, reference 0.2500001.
    >>> Diff.from_dict(d.to_dict()) == d
    True
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import textwrap

from coreopt.testing.card import JsonRecord, plain

FLOOR = 1e-3


def _number(value) -> float:
    """A float back from JSON ("inf", "nan" are kept as text there)."""
    return float(value) if value is not None else math.nan


def shape_text(shape) -> str:
    shape = tuple(shape)
    return f"({shape[0]},)" if len(shape) == 1 else str(shape)


@dataclasses.dataclass
class Diff(JsonRecord):
    """The comparison of a candidate with a reference (see the module docstring).

    Attributes:
        candidate, reference: their names.
        steps: steps asked for.
        rtol: {dtype: tolerance}.
        curves: {dtype: [err_1, err_2, ...]}, the steps both sides took.
        first: {dtype: the first step past the tolerance: step, variable, shape, index,
            candidate, reference, error}; dtypes that agree are absent.
        errors: {dtype: what stopped a side there (an error, the time limit)}.
        explanation: the explainer's record ("sentence", "matches", "tried", ...), or {}.
        settings, versions: how it was run; TensorFlow's and coreopt's versions.
    """

    candidate: str
    reference: str
    steps: int = 0
    rtol: dict = dataclasses.field(default_factory=dict)
    curves: dict = dataclasses.field(default_factory=dict)
    first: dict = dataclasses.field(default_factory=dict)
    errors: dict = dataclasses.field(default_factory=dict)
    explanation: dict = dataclasses.field(default_factory=dict)
    settings: dict = dataclasses.field(default_factory=dict)
    versions: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.curves = {k: [_number(e) for e in v] for k, v in self.curves.items()}

    def __repr__(self):
        return (f"Diff({self.candidate!r}, {self.reference!r}, "
                f"{'ok' if self.ok else 'differs'}, steps={self.steps})")

    @property
    def ok(self) -> bool:
        """True when every dtype agrees at every step and nothing stopped a side."""
        return not self.first and not self.errors

    @property
    def dtypes(self) -> list:
        return list(self.rtol)

    def max_error(self, dtype: str) -> float:
        return max(self.curves.get(dtype) or [0.0])

    # -------------------------------------------------------------- words
    def _part(self, dtype: str) -> str:
        tol = self.rtol[dtype]
        if dtype in self.errors:
            said = self.errors[dtype]
            return f"in {dtype} {said}" if said.startswith("the ") else f"{dtype} {said}"
        if dtype in self.first:
            f = self.first[dtype]
            return (f"in {dtype} the relative error first exceeds {tol:g} at step {f['step']} "
                    f"({_number(f['error']):.3g}), in variable '{f['variable']}' "
                    f"{shape_text(f['shape'])} at index {tuple(f['index'])}: candidate "
                    f"{_number(f['candidate']):.10g}, reference {_number(f['reference']):.10g}")
        return f"{dtype} agrees (max {self.max_error(dtype):.2g} <= {tol:g})"

    @property
    def sentence(self) -> str:
        """What was found, in plain words with the numbers (the explainer's words last)."""
        if self.ok:
            text = (f"{self.candidate} matches {self.reference} over {self.steps} steps: "
                    + "; ".join(self._part(d) for d in self.dtypes) + ".")
        else:
            bad = [d for d in self.dtypes if d in self.first or d in self.errors]
            good = [d for d in self.dtypes if d not in bad]
            text = (f"{self.candidate} differs from {self.reference}: "
                    + "; ".join(self._part(d) for d in bad + good) + ".")
        said = self.explanation.get("sentence")
        return f"{text} {said}" if said else text

    def table(self) -> str:
        """The relative error per step, one column per dtype; "!" marks a step past rtol."""
        header = "step  " + "  ".join(f"{d:>12}" for d in self.dtypes)
        rows = [header]
        for t in range(max([len(c) for c in self.curves.values()] + [0])):
            cells = []
            for d in self.dtypes:
                curve = self.curves.get(d, [])
                if t >= len(curve):
                    cells.append(f"{'-':>12}")
                    continue
                mark = "!" if curve[t] > self.rtol[d] or math.isnan(curve[t]) else " "
                cells.append(f"{curve[t]:>11.3g}{mark}")
            rows.append(f"{t + 1:>4}  " + "  ".join(cells))
        tolerances = ", ".join(f"{d} {self.rtol[d]:g}" for d in self.dtypes)
        rows.append(f"relative error ||x_cand - x_ref|| / max(||x_ref||, {FLOOR:g}); "
                    f"tolerance: {tolerances}")
        return "\n".join(rows)

    def __str__(self):
        verdict = "match" if self.ok else "DIFFERS"
        body = textwrap.fill(self.sentence, 100)
        return (f"coreopt verify: {self.candidate} against {self.reference}: {verdict}\n"
                f"{body}\n\n{self.table()}")

    # -------------------------------------------------------------- files
    def to_dict(self) -> dict:
        return {**plain(dataclasses.asdict(self)), "ok": self.ok, "sentence": self.sentence}

    @classmethod
    def from_dict(cls, data: dict) -> Diff:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


    def write(self, directory) -> list:
        """DIRECTORY/diff.json, verify.png and report.html (+ report.md); their paths."""
        import pandas as pd

        from coreopt.plots import verify as figure
        from coreopt.report import Report, Section

        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        data = self.save(directory / "diff.json")
        png = figure.save_diff(self, directory / "verify.png")
        frame = pd.DataFrame({"step": range(1, 1 + max(map(len, self.curves.values()),
                                                        default=0))})
        for d in self.dtypes:
            curve = self.curves.get(d, [])
            frame[f"{d} error"] = curve + [math.nan] * (len(frame) - len(curve))
        verdict = "matches" if self.ok else "differs from"
        sections = [Section("Verdict", self.sentence),
                    Section("Relative error per step", table=frame,
                            figures=[(png, f"{self.candidate} against {self.reference}")])]
        report = Report(f"coreopt verify: {self.candidate} {verdict} {self.reference}",
                        config=plain({**self.settings, "rtol": self.rtol}),
                        versions=self.versions, sections=sections)
        page, text = report.write(directory)
        return [data, png, page, text]
