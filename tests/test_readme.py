"""Every fenced code block of README.md runs as written and shows what is true.

- ```python blocks run in a fresh namespace, in a temporary directory. A block that shows
  results is in doctest form (`>>> ` lines followed by the output) and runs under `doctest`;
  every other block is executed as it stands.
- ```bash and ```console blocks: each command line (`\\` continuations joined, `#` comments
  stripped; in a console block only the `$ ` lines) runs through bash with the venv's
  `coreopt` first on PATH, in one working directory shared by all shell blocks, in README
  order. It must exit with the code its comment states (`# ... exit 1 ...`), else 0.
  Commands with `--help` or `--version` must write nothing on stderr (no TensorFlow log
  line), and no command may write a TensorFlow log line there.
- A console block's output is checked against the real output: its lines are cut into
  chunks at the `...` lines (the elisions of an abridged output); each chunk must appear as
  consecutive lines of the command's stdout, in order, the first chunk on the first lines
  unless the output starts with `...`, the last on the last lines unless it ends with `...`.
- The files the commands name (`my_optimizers.py`, `my_package/opt.py`, the guide's
  `seed_reference.py`) are written into the working directory first. A command that reads
  a results folder no earlier command of this run wrote (`coreopt plot sweep/ ...` run on
  its own) first runs the README command that writes it (`... --out sweep/`).
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.testing.seed import SEED

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the venv's bin: its python and its `coreopt`

# Lines starting with these are not run: `make` lines are the set-up commands and the make
# targets (each one creates the venv and installs coreopt, then runs a long job or the test
# suite itself), and `pip install` changes the environment the tests run in.
NOT_RUN = ("make", "pip install")

# The slow tier: a shell block with one of these commands is marked slow (measured on 2
# shared cores; each command also starts TensorFlow, 3-4 s; the whole slow tier took about
# 2 minutes). Every other block runs in the default tier, about 31 s in all.
SLOW_COMMANDS = {
    "coreopt check ": "6-9 s each: 13 checks, MirroredStrategy on two CPUs included",
    "coreopt sweep ": "13 s: 12,288 runs of the lab's sweep",
    "coreopt report ": "7 s, after the 13 s sweep whose folder it reads",
    "coreopt train ": "18-29 s: 30 epochs of three optimizers on digits",
    "coreopt bench ": "about 90 s: 5 problems x 5 optimizers, 16 rates and 3 seeds each",
    "coreopt lr-find ": "10-19 s: a 100-step ramp on digits",
    "coreopt verify ": "9-18 s: 20 steps on 8 problems in two dtypes, and the report",
}

# A reference in another library: the command runs only where that library is importable.
LIBRARY_REFERENCE = re.compile(r"\b(torch|optax|jax):")
TF_LOG_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] |[IWEF]\d{4} \d\d:\d\d:\d\d|"
    r"WARNING: All log messages|To enable the following instructions)", re.M)
EXIT_CODE = re.compile(r"\bexit (\d+)\b")

MY_OPTIMIZERS = '''\
"""Optimizers written as in the guide: a tf.Module with apply_gradients(grads, vars)."""

import tensorflow as tf


def compute_dtype(var):
    """float16 and bfloat16 variables are stepped in float32."""
    return tf.float32 if var.dtype in (tf.float16, tf.bfloat16) else var.dtype


class MyAdam(tf.Module):
    """Adam with epsilon added to sqrt(v) before the bias correction (Keras's form)."""

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.m, self.v, self.index = [], [], {}  # slots, and each variable's place in them

    def build(self, vars):
        for var in vars:
            if var.ref() not in self.index:
                self.index[var.ref()] = len(self.m)
                zeros = tf.zeros(var.shape, compute_dtype(var))
                self.m.append(tf.Variable(zeros, trainable=False))
                self.v.append(tf.Variable(zeros, trainable=False))

    def apply_gradients(self, grads, vars):
        grads, vars = list(grads), list(vars)
        self.build(vars)
        self.step.assign_add(1)
        for g, var in zip(grads, vars):
            if g is None:
                continue
            dtype = compute_dtype(var)
            i, t, g = self.index[var.ref()], tf.cast(self.step, dtype), tf.cast(g, dtype)
            m, v = self.m[i], self.v[i]
            m.assign(self.beta_1 * m + (1 - self.beta_1) * g)
            v.assign(self.beta_2 * v + (1 - self.beta_2) * tf.square(g))
            alpha = self.learning_rate * tf.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
            x = tf.cast(var, dtype) - alpha * m / (tf.sqrt(v) + self.epsilon)
            var.assign(tf.cast(x, var.dtype))


class MyRMSprop(tf.Module):
    """RMSprop as torch.optim writes it: x -= lr g / (sqrt(v) + eps), v the mean of g^2."""

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8):
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.square_avg, self.index = [], {}

    def apply_gradients(self, grads, vars):
        for g, var in zip(grads, vars):
            if var.ref() not in self.index:
                self.index[var.ref()] = len(self.square_avg)
                self.square_avg.append(tf.Variable(tf.zeros_like(var), trainable=False))
            v = self.square_avg[self.index[var.ref()]]
            v.assign(self.alpha * v + (1 - self.alpha) * tf.square(g))
            var.assign_sub(self.lr * g / (tf.sqrt(v) + self.eps))
'''

MY_PACKAGE_OPT = '''\
"""A factory: make_adam(**kwargs) returns a new optimizer."""

from my_optimizers import MyAdam


def make_adam(learning_rate=1e-3):
    return MyAdam(learning_rate=learning_rate)
'''


@dataclass
class Command:
    line: int
    code: str  # what runs
    comment: str = ""
    output: list = field(default_factory=list)  # console blocks: the lines shown under it


@dataclass
class Block:
    lang: str
    line: int  # of its first line of code
    text: str

    @property
    def id(self) -> str:
        first = next((s.strip() for s in self.text.splitlines() if s.strip()), "")
        if self.lang != "python":
            first = split_comment(first.removeprefix("$ "))[0]
        return f"L{self.line}:{first[:48].strip()}"


def blocks(path=README) -> list[Block]:
    """The fenced python, bash and console blocks of `path`, in order."""
    found, lines, i = [], path.read_text().splitlines(), 0
    while i < len(lines):
        m = re.fullmatch(r"```(python|bash|console)\s*", lines[i])
        if m:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            found.append(Block(m.group(1), i + 2, "\n".join(lines[i + 1:end]) + "\n"))
            i = end
        i += 1
    return found


def split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of a shell line: a `#` outside quotes, at the start or after a space."""
    quote = None
    for k, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or line[k - 1].isspace()):
            return line[:k].rstrip(), line[k + 1:].strip()
    return line.rstrip(), ""


def commands(block: Block) -> list[Command]:
    """The command lines of a shell block (continuations joined, comments split off)."""
    found, lines, i = [], block.text.splitlines(), 0
    while i < len(lines):
        line, number = lines[i], block.line + i
        i += 1
        if block.lang == "console":
            if not line.startswith("$ "):
                if found:
                    found[-1].output.append(line)
                continue
            line = line[2:]
        code, comment = split_comment(line)
        while code.endswith("\\") and i < len(lines):
            more, extra = split_comment(lines[i])
            code, comment, i = code[:-1].rstrip() + " " + more.strip(), comment or extra, i + 1
        if code.strip():
            found.append(Command(number, code.strip(), comment))
    return found


def tier(block: Block):
    """The block's pytest marks: slow when one of its commands is in SLOW_COMMANDS."""
    if block.lang == "python":
        return []
    slow = any(c.code.startswith(tuple(SLOW_COMMANDS)) for c in commands(block))
    return [pytest.mark.slow] if slow else []


BLOCKS = blocks()
SHELL_COMMANDS = [c for b in BLOCKS if b.lang != "python" for c in commands(b)]


# --- python blocks -------------------------------------------------------------------------


def run_python(block: Block):
    source = block.text
    if any(line.startswith(">>> ") for line in source.splitlines()):
        test = doctest.DocTestParser().get_doctest(
            source, {"__name__": "__readme__"}, block.id, str(README), block.line - 1)
        lines = []
        runner = doctest.DocTestRunner(
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        result = runner.run(test, out=lines.append, clear_globs=True)
        assert result.failed == 0, "".join(lines)
    else:
        padded = "\n" * (block.line - 1) + source  # a traceback names the README's line
        exec(compile(padded, str(README), "exec"), {"__name__": "__readme__"})


# --- shell blocks --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One working directory for every shell block, with the files the commands name."""
    where = tmp_path_factory.mktemp("readme")
    (where / "my_optimizers.py").write_text(MY_OPTIMIZERS)
    (where / "my_package").mkdir()
    (where / "my_package" / "__init__.py").write_text("")
    (where / "my_package" / "opt.py").write_text(MY_PACKAGE_OPT)
    if SEED.is_file():
        shutil.copy(SEED, where / "seed_reference.py")
    return where


def environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # As a user's shell has it: the command line itself must hide TensorFlow's log lines.
    for name in ("TF_CPP_MIN_LOG_LEVEL", "COREOPT_VERBOSE", "PYTHONPATH"):
        env.pop(name, None)
    return env


def why_not_run(command: Command) -> str | None:
    """The reason a command is not run here, or None."""
    if command.code.startswith(NOT_RUN):
        return "a set-up command or make target"
    library = LIBRARY_REFERENCE.search(command.code)
    if library:
        needed = ("jax", "optax") if library.group(1) in ("optax", "jax") else ("torch",)
        missing = [n for n in needed if importlib.util.find_spec(n) is None]
        if missing:
            return f"needs {', '.join(missing)}, which is not installed"
    if "seed_reference.py" in command.code and not SEED.is_file():
        return f"the guide's code is not here: {SEED}"
    return None


def inputs(command: Command) -> list[str]:
    """The results folders a command reads: arguments ending in `/`, not after --out."""
    words = shlex.split(command.code)
    return [w for k, w in enumerate(words[2:], 2) if w.endswith("/") and words[k - 1] != "--out"]


def producer(folder: str) -> Command | None:
    """The README command that writes `folder` (its `--out`)."""
    for c in SHELL_COMMANDS:
        words = shlex.split(c.code)
        if any(a == "--out" and b == folder for a, b in zip(words, words[1:])):
            return c
    return None


def execute(command: Command, where: Path) -> subprocess.CompletedProcess:
    for folder in inputs(command):
        maker = producer(folder)
        if not (where / folder).exists() and maker is not None:
            execute(maker, where)  # the README command that writes it, run first
    start = time.perf_counter()
    done = subprocess.run(["bash", "-c", command.code], cwd=where, env=environment(),
                          capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    print(f"README.md:{command.line}: {command.code}  ({seconds:.1f} s, exit {done.returncode})")
    match = EXIT_CODE.search(command.comment)
    expected = int(match.group(1)) if match else 0
    assert done.returncode == expected, (
        f"README.md:{command.line}: `{command.code}` exited {done.returncode}, the README "
        f"says {expected}\n--- stdout:\n{done.stdout[-4000:]}\n--- stderr:\n{done.stderr[-4000:]}")
    words = shlex.split(command.code)
    if "--help" in words or "--version" in words:
        assert done.stderr == "", f"`{command.code}` wrote on stderr:\n{done.stderr}"
    log = TF_LOG_LINE.search(done.stderr)
    assert log is None, f"`{command.code}` let a TensorFlow log line through:\n{done.stderr}"
    return done


def chunks(shown: list[str]) -> tuple[list[list[str]], bool, bool]:
    """The shown output cut at its `...` lines, and whether it is open at the start, end."""
    parts, current = [], []
    for line in shown:
        if line.strip() == "...":
            parts.append(current)
            current = []
        else:
            current.append(line.rstrip())
    parts.append(current)
    open_start, open_end = not parts[0], not parts[-1]
    return [p for p in parts if p], open_start, open_end


def check_output(command: Command, stdout: str):
    """The console block's lines under `command` appear in its real stdout (see above)."""
    parts, open_start, open_end = chunks(command.output)
    real = [line.rstrip() for line in stdout.splitlines()]
    at = 0
    for n, part in enumerate(parts):
        starts = [k for k in range(at, len(real) - len(part) + 1) if real[k:k + len(part)] == part]
        if n == 0 and not open_start:
            starts = [k for k in starts if k == 0]
        if n == len(parts) - 1 and not open_end:
            starts = [k for k in starts if k + len(part) == len(real)]
        assert starts, (
            f"README.md:{command.line}: the output shown under `{command.code}` is not what it "
            f"prints; these lines (after line {at} of its output) are not found"
            + (" at its start" if n == 0 and not open_start else "")
            + (" at its end" if n == len(parts) - 1 and not open_end else "")
            + ":\n" + "\n".join(part) + "\n--- its output:\n" + stdout)
        at = starts[0] + len(part)


def run_shell(block: Block, where: Path):
    assert (BIN / "coreopt").exists(), f"no coreopt beside {sys.executable}"
    ran, not_run = 0, []
    for command in commands(block):
        reason = why_not_run(command)
        if reason:
            not_run.append(f"`{command.code}` ({reason})")
            continue
        done = execute(command, where)
        if command.output:
            check_output(command, done.stdout)
        ran += 1
    if not_run:
        pytest.skip(f"ran {ran} command(s); not run: " + "; ".join(not_run))


@pytest.mark.parametrize(
    "block", [pytest.param(b, id=b.id, marks=tier(b)) for b in BLOCKS])
def test_readme_block(block, tmp_path, monkeypatch, request):
    if block.lang == "python":
        monkeypatch.chdir(tmp_path)
        run_python(block)
    else:
        run_shell(block, request.getfixturevalue("workdir"))


def test_every_block_is_found():
    """The README's fenced blocks are python, bash or console, and each one is collected."""
    fences = [line for line in README.read_text().splitlines() if line.startswith("```")]
    openings = fences[::2]
    assert all(f in ("```python", "```bash", "```console") for f in openings), openings
    assert len(BLOCKS) == len(openings)


def test_console_output_check_fails_on_drift():
    """The output check tolerates `...` elisions and fails on a line that is not printed."""
    printed = "head\na\nb\nc\ntail\n"
    check_output(Command(1, "x", output=["head", "...", "b", "...", "tail"]), printed)
    check_output(Command(1, "x", output=["head", "a", "..."]), printed)
    for shown in (["head", "b", "..."], ["a", "..."], ["...", "b"], ["head", "...", "z"]):
        with pytest.raises(AssertionError):
            check_output(Command(1, "x", output=shown), printed)
