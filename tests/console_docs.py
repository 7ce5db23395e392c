"""Executed documentation: every ``console`` block in README.md and docs/ is run and compared.

Sybil finds the blocks (fenced, or invisible in an HTML comment); this module runs them.
A block is a terminal session: ``$ `` lines are commands (a trailing ``\\`` continues one,
and a ``<<'EOF'`` here-document runs to its ``EOF`` line), the lines after a command are
what it prints, stdout and stderr together. A command that should fail ends with
``# exit N``; any other non-zero exit fails the example.

Each document runs in a shell of its own in a fresh folder, which is its home and, in the
output, ``/home/jo``. Variables, ``export`` and ``cd`` carry from one command to the next,
as in a terminal. ``bvflow`` is a wrapper that runs the real CLI at the document's clock:
``<!-- clock: 2027-01-04 09:00 -->`` sets it (UK time, frozen until the next such line), so
that the output is the same on every run. The wrapper lives in the test folder; bvflow
itself never reads a clock override.

Expected output may use ``<...>`` for any text (a hash that differs on every run). With
``BVFLOW_DOCS_ACCEPT=1`` a run rewrites each block that differs with what the commands
printed, for a person to review in ``git diff`` before committing.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import CodeBlockParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer

ROOT = Path(__file__).resolve().parent.parent
HOME = "/home/jo"
SHOWN_ROOT = "/path/to/bvflow"
EXIT = re.compile(r"\s+# exit (\d+)\s*$")
HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
ACCEPT = os.environ.get("BVFLOW_DOCS_ACCEPT") == "1"
WILDCARD = "<...>"
# The login is read from the operating system, not the environment (bvflow.identity): the
# docs show the one who ran them as "jo", the width of a padded column kept.
LOGIN = re.compile(rf"\b{re.escape(pwd.getpwuid(os.getuid()).pw_name)}\b( {{2,}})?")


@dataclass
class Command:
    line: str
    """As shown, without the ``$ `` prompt (continuations and here-documents included)."""
    expected: str
    exit_code: int = 0


@dataclass
class Session:
    """One document's shell: its folder, its saved state and its clock."""

    home: Path
    clock: datetime = field(default_factory=lambda: datetime(2027, 1, 4, 9, 0,
                                                             tzinfo=ZoneInfo("Europe/London")))
    rewrites: list[tuple[int, int, str]] = field(default_factory=list)
    path: Path | None = None

    @property
    def state(self) -> Path:
        return self.home / ".shell-state"

    @property
    def bin(self) -> Path:
        return self.home / ".bin"

    def start(self) -> None:
        self.bin.mkdir(parents=True)
        self.state.write_text(f"cd {shlex.quote(str(self.home))}\n", encoding="utf-8")
        self.set_clock(self.clock)

    def set_clock(self, when: datetime) -> None:
        """The ``bvflow`` the document's shell finds: the real CLI, frozen at ``when``."""
        self.clock = when
        wrapper = self.bin / "bvflow"
        wrapper.write_text(
            f"#!{sys.executable}\n"
            "import sys\nimport time_machine\n"
            f"with time_machine.travel({when.isoformat()!r}, tick=False):\n"
            "    from bvflow.cli import main\n"
            "    main(prog_name='bvflow')\n",
            encoding="utf-8",
        )
        wrapper.chmod(0o755)

    def run(self, command: str) -> tuple[int, str]:
        script = (
            "set -a\n"
            f". {shlex.quote(str(self.state))}\n"
            f"{command}\n"
            "__rc=$?\n"
            f"{{ export -p; printf 'cd %q\\n' \"$PWD\"; }} > {shlex.quote(str(self.state))}\n"
            "exit $__rc\n"
        )
        env = {
            "PATH": f"{self.bin}:{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LOGNAME": "jo.bloggs",
            "USER": "jo.bloggs",
            "LANG": "C.UTF-8",
            "COLUMNS": "100",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "TMPDIR": str(self.home / "tmp"),
            # The checkout, for a page that copies its files ("cp -r $CHECKOUT/workflows .").
            "CHECKOUT": str(ROOT),
        }
        (self.home / "tmp").mkdir(exist_ok=True)
        done = subprocess.run(["bash", "-c", script], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace",
                              timeout=300)
        return done.returncode, self.shown(done.stdout)

    def shown(self, output: str) -> str:
        """The output as the docs show it: the folder as /home/jo, the checkout generic."""
        # A terminal shows neither a CSV's byte order mark nor its CR line endings.
        output = output.replace("\ufeff", "").replace("\r\n", "\n")
        output = re.sub(r"bvflow-demo-\w+", "bvflow-demo-abcd1234", output)
        output = output.replace(str(self.home / "tmp"), "/tmp")
        output = output.replace(str(self.home), HOME)
        output = output.replace(str(ROOT), SHOWN_ROOT)
        return LOGIN.sub(lambda m: "jo" + " " * (len(m.group(0)) - 2) if m.group(1) else "jo",
                         output)


def commands(source: str) -> list[Command]:
    """The commands of a block, each with the output shown after it."""
    result: list[Command] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            raise ValueError(f"a console block must start with a '$ ' command, not {line!r}")
        parts = [line[2:]]
        i += 1
        while parts[-1].endswith("\\") and i < len(lines):
            parts.append(lines[i])
            i += 1
        heredoc = HEREDOC.search(parts[0])
        if heredoc is not None:
            while i < len(lines):
                parts.append(lines[i])
                i += 1
                if parts[-1] == heredoc.group(1):
                    break
        output: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        text = "\n".join(parts)
        code = EXIT.search(parts[-1])
        result.append(Command(text, "\n".join(output), int(code.group(1)) if code else 0))
    return result


def matches(expected: str, actual: str) -> bool:
    """Equal but for trailing spaces, where ``<...>`` in the expected text matches any text
    (bvflow's own messages say ``--title ...``, so doctest's bare ``...`` would hide them)."""
    want = "\n".join(line.rstrip() for line in expected.strip("\n").splitlines())
    got = "\n".join(line.rstrip() for line in actual.strip("\n").splitlines())
    pattern = ".*?".join(re.escape(part) for part in want.split(WILDCARD))
    return re.fullmatch(pattern, got, re.S) is not None


def session(example: Example) -> Session:
    found = example.namespace.get("session")
    if not isinstance(found, Session):
        raise TypeError("the document has no shell (is the Sybil setup missing?)")
    return found


def evaluate_console(example: Example) -> str | None:
    shell = session(example)
    shell.path = Path(example.path)
    problems: list[str] = []
    shown: list[str] = []
    for command in commands(example.parsed):
        code, output = shell.run(command.line)
        shown.append("$ " + command.line + ("\n" + output.rstrip("\n") if output.strip() else ""))
        if code != command.exit_code:
            problems.append(f"$ {command.line}\nexited {code}, not {command.exit_code}:\n{output}")
        elif not matches(command.expected, output):
            problems.append(f"$ {command.line}\nexpected:\n{command.expected}\ngot:\n{output}")
    # Invisible blocks are setup, written by hand (their output sent to /dev/null), and
    # never rewritten.
    invisible = example.document.text[example.region.start:].startswith("<!--")
    if ACCEPT and problems and not invisible and not any("\nexited " in p for p in problems):
        # The block's lines run from after its opening line to the start of its closing
        # line; each keeps the fence's indent (a block may sit in a list item).
        region = example.region
        whole = example.document.text[region.start : region.end]
        start = region.start + region.lexemes["source"].offset
        end = region.start + whole.rstrip("\n").rfind("\n") + 1
        indent = whole[: len(whole) - len(whole.lstrip(" "))]
        new = "".join((indent + line if line else "") + "\n"
                      for line in "\n".join(shown).splitlines())
        shell.rewrites.append((start, end - start, new))
        return None
    return "\n\n".join(problems) or None


def evaluate_clock(example: Example) -> None:
    when = datetime.fromisoformat(str(example.parsed)).replace(tzinfo=ZoneInfo("Europe/London"))
    session(example).set_clock(when)


class ConsoleParser(CodeBlockParser):
    """``console`` blocks, shown or invisible (``<!-- invisible-code-block: console``)."""

    language = "console"

    def evaluate(self, example: Example) -> str | None:
        return evaluate_console(example)


class ClockParser:
    """``<!-- clock: YYYY-MM-DD HH:MM -->``: the time the following commands run at."""

    def __init__(self) -> None:
        self.lexer = DirectiveInHTMLCommentLexer(directive="clock")

    def __call__(self, document: Document) -> Iterable[Region]:
        for region in self.lexer(document):
            region.parsed = str(region.lexemes["arguments"]).strip()
            region.evaluator = evaluate_clock
            yield region


def setup(namespace: dict[str, Any]) -> None:
    home = Path(tempfile.mkdtemp(prefix="bvflow-docs-"))
    shell = Session(home)
    shell.start()
    namespace["session"] = shell


def teardown(namespace: dict[str, Any]) -> None:
    shell = namespace["session"]
    assert isinstance(shell, Session)
    if shell.rewrites and shell.path is not None:
        rewrite(shell.path, shell.rewrites)
    subprocess.run(["rm", "-rf", str(shell.home)], check=False)


def rewrite(path: Path, rewrites: list[tuple[int, int, str]]) -> None:
    text = path.read_text(encoding="utf-8")
    for start, length, new in sorted(rewrites, reverse=True):
        text = text[:start] + new + text[start + length :]
    path.write_text(text, encoding="utf-8")



# --- the pytest plugin (``-p tests.console_docs`` in pyproject.toml) ------------------------
# A plugin rather than a conftest.py at the root, which would shadow tests/conftest.py for
# the test modules that import from it.

SYBIL = Sybil(
    parsers=[ClockParser(), ConsoleParser()],
    path=str(ROOT),
    patterns=["README.md", "docs/*.md"],
    setup=setup,
    teardown=teardown,
)
pytest_collect_file = SYBIL.pytest()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """The pages test the documentation, not a database backend: the PostgreSQL run leaves
    them out (they are deselected, not skipped, and run in the SQLite run)."""
    if os.environ.get("BVFLOW_TEST_DATABASE_URL"):
        pages = [item for item in items if item.path.suffix == ".md"]
        if pages:
            config.hook.pytest_deselected(items=pages)
            items[:] = [item for item in items if item.path.suffix != ".md"]
