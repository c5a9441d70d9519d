"""`coreopt list`, the help of every command, and the values its flags accept."""

from __future__ import annotations

import pytest

import coreopt
from coreopt.cli import lab, show
from coreopt.cli.main import main, parser
from coreopt.report import figures


def test_list_prints_every_name_with_a_description(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in coreopt.names():
        line = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert coreopt.entry(name).description in line


def _subparsers():
    action = next(a for a in parser()._actions if a.dest == "command")
    return action.choices


def _options(p):
    return [a for a in p._actions if a.option_strings and a.dest not in ("help", "version")]


def test_every_option_is_documented_and_shows_its_default():
    for command, p in _subparsers().items():
        formatter = p.formatter_class(prog=p.prog)
        for action in _options(p):
            assert action.help, f"coreopt {command} {action.option_strings[0]} has no help"
            if action.nargs != 0 and not action.required:  # a flag is off unless given
                shown = formatter._get_help_string(action) % vars(action)
                assert "(default" in shown, f"coreopt {command} {action.option_strings[0]}"


def test_help_shows_the_accepted_forms_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for form in ("A:B:N, N log-spaced rates from A to B (1e-4:1:16)", '--init "-1.2,1;0,0"',
                 "sam:momentum, ema(momentum=0.999):adam", "rosenbrock:5",
                 "(default: gd,momentum,adam)", "(default: 2000)"):
        assert form in text, form


def test_plot_kinds_are_read_without_the_figures_module():
    assert show.kinds_in_source() == figures.KINDS == show.figure_kinds()


def test_values_of_the_lab_flags_are_parsed():
    args = parser().parse_args(["run", "rosenbrock:5", "--init", "-1.2,1;0,0", "--lr",
                                "1e-4:1:3", "--dim", "4"])
    assert args.function == ("rosenbrock", 5) and args.dim == 4
    assert args.init == [[-1.2, 1.0], [0.0, 0.0]]
    assert [round(v, 12) for v in args.lr] == [1e-4, 1e-2, 1.0]
    assert lab.function_names("rosenbrock:3, himmelblau") == [("rosenbrock", 3),
                                                               ("himmelblau", None)]
    assert parser().parse_args(["sweep", "beale", "--seeds", "0,2"]).seeds == [0, 2]


def test_an_n_d_function_takes_its_dimension(capsys):
    assert main(["run", "rosenbrock:3", "--optimizers", "gd", "--lr", "1e-4",
                 "--max-iters", "3"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert "rosenbrock" in line and "-1.2, 1, -1.2" in line  # the 3-D default start
    assert main(["stable-lr", "quadratic", "--dim", "3", "--optimizers", "gd",
                 "--rtol", "0.1", "--max-iters", "200"]) == 0


def test_a_dimension_for_a_fixed_dimension_function_is_refused(capsys):
    with pytest.raises(SystemExit) as done:
        main(["run", "himmelblau", "--dim", "3"])
    assert done.value.code == 2
    assert "--dim: no function given takes a dimension" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["run", "rosenbrock:three"])
    assert done.value.code == 2 and "NAME:DIM" in capsys.readouterr().err
