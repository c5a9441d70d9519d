from __future__ import annotations

import coreopt
from coreopt.cli.main import main


def test_list_prints_every_name_with_a_description(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in coreopt.names():
        line = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert coreopt.entry(name).description in line
