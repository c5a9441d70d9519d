"""`coreopt.cli.literals`: library constants read from source agree with the modules."""

from __future__ import annotations

from coreopt.cli import literals
from coreopt.report import figures
from coreopt.train import compare


def test_the_literals_read_are_the_modules_values():
    assert literals.literal("coreopt.train.compare", "DEFAULT_RATES") == compare.DEFAULT_RATES
    assert literals.literal("coreopt.report.figures", "KINDS") == figures.KINDS
