"""Meta-tests: the involvement guides match the code they document.

docs/involvement.md names every method of involvement, role, agreement item and category
(and its tables list exactly those), its notice table matches the defaults, and every
``bvflow …`` command it shows is a real command with real options. Both guides are in the
site's navigation.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml

from bvflow.cli import main
from bvflow.domain.involvement import (
    AGREEMENT_ITEMS,
    CATEGORIES,
    DEFAULT_NOTICE_DAYS,
    DISCLOSURES,
    METHODS,
    ROLES,
)
from bvflow.domain.notice import STATUTORY_NOTICE

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "involvement.md").read_text(encoding="utf-8")
MEMBERS_GUIDE = (ROOT / "docs" / "working-party.md").read_text(encoding="utf-8")

NAMED = [
    *(("method", m) for m in METHODS),
    *(("role", r) for r in ROLES),
    *(("agreement item", i) for i in AGREEMENT_ITEMS),
    *(("category", c) for c in CATEGORIES),
    *(("disclosure level", d) for d in DISCLOSURES),
]


@pytest.mark.parametrize(("what", "name"), NAMED, ids=[f"{w}: {n}" for w, n in NAMED])
def test_the_guide_names_every_value(what: str, name: str) -> None:
    assert f"`{name}`" in GUIDE, f"docs/involvement.md does not name the {what} {name}"


def _first_column(header: str) -> list[str]:
    """The backquoted first cells of the Markdown table whose header starts ``| header |``."""
    lines = GUIDE.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    cells = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells.append(line.strip("|").split("|")[0].strip())
    return [cell.strip("`") for cell in cells]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("method", list(METHODS)),
        ("category", list(CATEGORIES)),
        ("role", list(ROLES)),
        ("item", list(AGREEMENT_ITEMS)),
        ("level", list(DISCLOSURES)),
    ],
)
def test_the_guide_tables_list_exactly_the_real_values(header: str, expected: list[str]) -> None:
    assert sorted(_first_column(header)) == sorted(expected)


def test_the_notice_table_matches_the_rules() -> None:
    rows = [
        [cell.strip() for cell in row.strip("|").split("|")]
        for row in GUIDE.splitlines()
        if re.match(r"^\| (England|Wales|Scotland|Northern Ireland) \|", row)
    ]
    nations = [nation.lower().replace(" ", "-") for nation, _, _ in rows]
    assert {n: int(r[1]) for n, r in zip(nations, rows, strict=True)} == {
        n: rule.clear_days for n, rule in STATUTORY_NOTICE.items()}
    assert {n: int(r[2]) for n, r in zip(nations, rows, strict=True)} == DEFAULT_NOTICE_DAYS


# --- command lines -------------------------------------------------------------------------


def _walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path), command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(main, ("bvflow",)))


def _tokens(line: str) -> list[str]:
    """The words of a shell line, up to the first pipe or redirection."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found: list[str] = []
    for token in lexer:
        if token in {"|", ">", ">>", "&&", ";"}:
            break
        found.append(token)
    return found


def _names(param: click.Parameter) -> list[str]:
    """An option's names, the ``--no-…`` side of a ``--x/--no-x`` flag included."""
    return [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]


def _check_command_line(line: str) -> None:
    """Every word of a ``bvflow …`` line names a real command or one of its options."""
    tokens = _tokens(line)
    assert tokens[0] == "bvflow", line
    command: click.Command = main
    words = iter(tokens[1:])
    for token in words:
        if token == "--help":
            return
        if token.startswith("--"):
            name = token.split("=", 1)[0]
            param = next((p for p in command.params if name in _names(p)), None)
            assert param is not None, f"{line!r}: {command.name} has no option {name}"
            if not getattr(param, "is_flag", False) and "=" not in token:
                next(words, None)
        elif isinstance(command, click.Group):
            sub = command.commands.get(token)
            assert sub is not None, f"{line!r}: no command {token!r} under {command.name}"
            command = sub
    assert not isinstance(command, click.Group), f"{line!r} names a group, not a command"


def _code_blocks(markdown: str) -> Iterator[str]:
    yield from re.findall(r"^```[a-z]*\n(.*?)^```", markdown, flags=re.S | re.M)


def _command_lines(markdown: str) -> list[str]:
    """``$ bvflow …`` lines of console blocks and ``bvflow …`` lines of shell blocks."""
    found = []
    for block in _code_blocks(markdown):
        for line in block.splitlines():
            if line.startswith("$ bvflow "):
                found.append(line[2:])
            elif line.startswith("bvflow "):
                found.append(line)
    return found


GUIDE_LINES = _command_lines(GUIDE)


def test_the_guide_shows_every_involvement_command() -> None:
    shown = {" ".join(_tokens(line)[:3]) for line in GUIDE_LINES}
    for group in ("party", "activity", "meeting", "proposal", "agreement"):
        command = COMMANDS[f"bvflow {group}"]
        assert isinstance(command, click.Group)
        for name in command.commands:
            assert f"bvflow {group} {name}" in shown, f"no example of bvflow {group} {name}"


@pytest.mark.parametrize("line", GUIDE_LINES, ids=GUIDE_LINES)
def test_command_lines_in_the_guide_are_real(line: str) -> None:
    _check_command_line(line)


def _inline_commands(markdown: str) -> list[str]:
    """``bvflow …`` in inline code outside code blocks."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    return re.findall(r"`(bvflow [^`]+)`", prose)


INLINE = sorted(set(_inline_commands(GUIDE)))


@pytest.mark.parametrize("text", INLINE, ids=INLINE)
def test_commands_named_in_the_text_are_real(text: str) -> None:
    """The words before the first option or placeholder name a real command or group."""
    words = []
    for word in text.split():
        if word.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        words.append(word)
    assert " ".join(words) in COMMANDS, f"{text!r} does not name a bvflow command"
    if len(words) < len(text.split()) and not isinstance(COMMANDS[" ".join(words)], click.Group):
        _check_command_line(" ".join(w for w in text.split() if w not in ("…", "...")))


def test_the_members_guide_needs_no_commands() -> None:
    assert "$ bvflow" not in MEMBERS_GUIDE


def test_both_guides_are_in_the_site_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = [next(iter(entry.values())) for entry in config["nav"]]
    assert "involvement.md" in pages
    assert "working-party.md" in pages
