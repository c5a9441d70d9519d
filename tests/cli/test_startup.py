"""Start-up of the command line and of `import coreopt`, each in a fresh process.

`--help`, `--version` and building the parser import no TensorFlow; a command
that imports it prints none of TensorFlow's log lines unless asked; the
package's subpackages and public names load on first use. No timing here:
`benchmarks/startup.py` measures how long start-up takes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from coreopt.cli import main as cli

QUIET_ENV = ("TF_CPP_MIN_LOG_LEVEL", "COREOPT_VERBOSE")  # as in a fresh shell
HEAVY = ("tensorflow", "keras", "pandas", "matplotlib")  # none of these for --help


def python(*args, env=None, check=True) -> subprocess.CompletedProcess:
    """`python args...` in a fresh process, without the logging settings of the tests."""
    clean = {k: v for k, v in os.environ.items() if k not in QUIET_ENV}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env={**clean, **(env or {})}, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def imported(importtime_stderr: str) -> set:
    """The top-level modules a `python -X importtime` run imported."""
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", importtime_stderr, re.M)
    return {n.split(".")[0] for n in names}


def commands() -> list:
    """Every command of `coreopt`."""
    action = next(a for a in cli.parser()._actions if a.dest == "command")
    return sorted(action.choices)


def test_help_of_every_command_imports_no_tensorflow():
    script = textwrap.dedent(f"""
        import sys
        from coreopt.cli.main import main
        for argv in [["--help"], ["--version"], *[[c, "--help"] for c in {commands()!r}]]:
            try:
                main(argv)
            except SystemExit as done:
                assert done.code == 0, (argv, done.code)
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
    """)
    done = python("-c", script)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "usage: coreopt stable-lr" in done.stdout and done.stderr == ""


def test_python_m_coreopt_help_imports_no_tensorflow():
    done = python("-X", "importtime", "-m", "coreopt", "--help")
    assert done.stdout.startswith("usage: coreopt")
    assert "coreopt" in imported(done.stderr)  # the importtime report was read
    assert not imported(done.stderr) & set(HEAVY)


def test_version_prints_the_version():
    import coreopt

    done = python("-m", "coreopt", "--version")
    assert done.stdout.strip() == f"coreopt {coreopt.__version__}"


@pytest.mark.slow  # by default tests/test_readme.py runs `python -m coreopt list` and checks
def test_list_prints_no_tensorflow_log_line():  # its stderr for TensorFlow's log lines
    done = python("-m", "coreopt", "list")
    assert "seed_quartic" in done.stdout
    assert done.stderr == ""


@pytest.mark.slow
def test_verbose_shows_tensorflow_log_lines():
    """Whatever TensorFlow prints while it loads on this machine, COREOPT_VERBOSE=1 shows."""
    def noise(text):
        return [line for line in text.splitlines() if any(p.search(line) for p in cli.TF_NOISE)]

    shown = noise(python("-m", "coreopt", "list", env={cli.VERBOSE_ENV: "1"}).stderr)
    if not shown:  # none shown: right only if TensorFlow prints none here
        raw = python("-c", "import tensorflow", env={"TF_CPP_MIN_LOG_LEVEL": "0"}).stderr
        assert not noise(raw), "TensorFlow's load-time lines are hidden despite --verbose"
        pytest.skip("this TensorFlow build prints nothing while it loads")


def test_verbose_flag_and_environment_variable(monkeypatch):
    p = cli.parser()
    monkeypatch.delenv(cli.VERBOSE_ENV, raising=False)
    assert not cli.verbose_requested(p.parse_args(["list"]))
    assert cli.verbose_requested(p.parse_args(["--verbose", "list"]))
    assert cli.verbose_requested(p.parse_args(["list", "--verbose"]))
    monkeypatch.setenv(cli.VERBOSE_ENV, "1")
    assert cli.verbose_requested(p.parse_args(["list"]))
    monkeypatch.setenv(cli.VERBOSE_ENV, "0")
    assert not cli.verbose_requested(p.parse_args(["list"]))


def test_stderr_filter_drops_only_the_matching_lines_of_file_descriptor_2(capfd):
    with cli.stderr_without(cli.TF_NOISE):
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are "
                    b"written to STDERR\n")
        os.write(2, b"I0000 00:00:1796165698.615256   10323 port.cc:153] oneDNN custom "
                    b"operations are on.\n")
        os.write(2, b"a line of someone else\n")
        os.write(2, b"F0000 00:00:1.5 10 env.cc:1] a fatal error stays\n")
    assert capfd.readouterr().err == ("a line of someone else\n"
                                      "F0000 00:00:1.5 10 env.cc:1] a fatal error stays\n")


def test_stderr_filter_passes_the_lines_on_when_the_block_fails(capfd):
    with pytest.raises(ImportError), cli.stderr_without(cli.TF_NOISE):
        os.write(2, b"why it failed\n")
        raise ImportError("no module")
    assert capfd.readouterr().err == "why it failed\n"


def test_import_coreopt_is_lazy_and_every_name_resolves():
    script = textwrap.dedent("""
        import sys
        import coreopt
        assert "tensorflow" not in sys.modules, "import coreopt imported TensorFlow"
        assert coreopt.compat.from_keras.__name__ == "from_keras"
        for name in ("lab", "functions", "plots", "report", "train"):
            assert getattr(coreopt, name).__name__ == "coreopt." + name
        import coreopt.optimizers as o, coreopt.wrappers as w
        expected = ["Optimizer", "entry", "from_config", "get", "names", "register",
                    *o.__all__, *w.__all__]
        assert coreopt.__all__ == expected, coreopt.__all__
        assert all(getattr(coreopt, n) is not None for n in expected)
        namespace = {}
        exec("from coreopt import *", namespace)
        assert set(expected) <= set(namespace)
        assert {"lab", "compat", "Adam", "get"} <= set(dir(coreopt))
        try:
            coreopt.no_such_name
        except AttributeError as error:
            assert "no_such_name" in str(error)
        else:
            raise AssertionError("coreopt.no_such_name resolved")
        print("ok")
    """)
    assert python("-c", script).stdout.strip() == "ok"


@pytest.mark.slow
@pytest.mark.parametrize("first", ["from coreopt.lab import grid", "import coreopt.wrappers.sam"])
def test_the_registry_is_full_whatever_is_imported_first(first):
    """Every optimizer, then every wrapper, as when `import coreopt` imported them all."""
    import coreopt

    script = textwrap.dedent(f"""
        {first}
        from coreopt.core import registry
        print(",".join(registry.names("all")))
    """)
    found = python("-c", script).stdout.strip().split(",")
    assert found == coreopt.names("all") == coreopt.names() + coreopt.names("wrapper")
