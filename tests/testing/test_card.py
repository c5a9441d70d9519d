"""The `Card` and `Result` records: JSON, the plain-text table, Markdown, HTML; no TensorFlow."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from coreopt.testing.card import FAIL, NA, PASS, TITLES, Card, Result, plain


def _card():
    return Card("seed.Momentum <mine>", [
        Result("per_variable_state", FAIL, "Variable a ends 0.0297 away | far.",
               {"max_difference": np.float32(0.0297), "variable": "a"}, 1.5),
        Result("retrace", PASS, "Traced once.", {"traces": np.int64(1), "inf": float("inf")}),
        Result("mirrored", NA, "It needs two logical CPUs."),
    ], {"steps": 8, "dtypes": ["float32"]}, {"tensorflow": "2.21.0"})


def test_evidence_is_plain_json_data():
    card = _card()
    evidence = card["per_variable_state"].evidence
    assert type(evidence["max_difference"]) is float
    assert card["retrace"].evidence == {"traces": 1, "inf": "inf"}
    assert plain({1: (np.float64("nan"), None, True)}) == {"1": ["nan", None, True]}
    json.dumps(card.to_dict(), allow_nan=False)


def test_round_trip_through_a_json_file(tmp_path):
    card = _card()
    assert Card.from_dict(json.loads(card.to_json())) == card
    path = card.save(tmp_path / "card.json")
    assert Card.load(path) == card
    written = card.write(tmp_path / "out")
    assert [p.name for p in written] == ["card.json", "card.md"]
    assert Card.load(written[0]) == card and written[1].read_text().startswith("# coreopt check")


def test_verdicts_failures_and_lookup():
    card = _card()
    assert card.verdicts() == {"per_variable_state": FAIL, "retrace": PASS, "mirrored": NA}
    assert [r.name for r in card.failures()] == ["per_variable_state"] and not card.ok
    assert card.counts() == {PASS: 1, FAIL: 1, NA: 1}
    with pytest.raises(KeyError, match="no check 'xla'"):
        card["xla"]
    with pytest.raises(ValueError, match="verdict"):
        Result("xla", "maybe", "?")


def test_plain_text_table_lists_check_verdict_sentence():
    lines = str(_card()).splitlines()
    assert lines[0] == "coreopt check: seed.Momentum <mine>"
    assert lines[1].split() == ["check", "verdict", "sentence"]
    assert lines[2].split()[:3] == ["per-variable", "state", "FAIL"]
    assert "retrace" in lines[3] and " pass " in lines[3]
    assert lines[-1] == "1 fail, 1 pass, 1 n/a"


def test_long_sentences_wrap_under_their_column():
    card = Card("x", [Result("dtypes", FAIL, "word " * 60)])
    lines = str(card).splitlines()[2:-1]
    assert len(lines) > 2 and all(len(line) <= 100 for line in lines)
    column = lines[0].index("word")
    assert all(line.index("word") == column for line in lines)


def test_markdown_and_html_sections():
    card = _card()
    text = card.to_markdown()
    assert text.startswith("## coreopt check: seed.Momentum <mine>\n")
    assert "| per-variable state | **fail** | Variable a ends 0.0297 away \\| far. |" in text
    assert "max_difference=0.0297, variable=a" in text
    page = card.to_html(level=3)
    assert page.startswith('<section class="coreopt-check"><h3>coreopt check: seed.Momentum '
                           "&lt;mine&gt;</h3>")
    assert '<tr class="fail"><td>per-variable state</td><td>fail</td>' in page
    assert '<tr class="na">' in page and page.count("<tr") == 4


def test_repr_shows_subject_and_counts():
    card = _card()
    assert repr(card) == "Card('seed.Momentum <mine>', 1 fail, 1 pass, 1 n/a)"
    assert repr(card["retrace"]) == "Result('retrace', 'pass', 'Traced once.')"
    assert card["mirrored"].title == TITLES["mirrored"] == "MirroredStrategy"
    assert math.isclose(card["per_variable_state"].seconds, 1.5)


def test_cards_load_without_tensorflow(tmp_path):
    path = _card().save(tmp_path / "card.json")
    script = (f"import sys; from coreopt.testing import Card; c = Card.load({str(path)!r}); "
              "print(c.summary(), 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "1 fail, 1 pass, 1 n/a False", done.stderr
