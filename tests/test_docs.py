"""Meta-tests: the documentation matches the code it documents.

Every command has help with an example and appears in the generated CLI reference; every
``bvflow …`` line in the docs names real commands and options; every shipped workflow
validates; every table and code example in docs/counting.md is recomputed with bvflow's own
calendar; docs/architecture.md has a line for every module; and the site builds in strict mode.
"""

from __future__ import annotations

import doctest
import html
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import click
import pytest

from bvflow.cli import main
from bvflow.domain.calendar import LONDON, NATIONS, WorkingCalendar
from bvflow.domain.definition import STAGE_KEYS, TOP_KEYS
from bvflow.domain.notice import STATUTORY_NOTICE, rule_for
from bvflow.domain.reminders import KEYS as REMINDER_KEYS
from bvflow.domain.timetable import StageTiming, stage_timing
from bvflow.resources import data_dir
from bvflow.workflow_files import read_path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
COUNTING = (DOCS / "counting.md").read_text(encoding="utf-8")
DAY = re.compile(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}")
NONE = "—"


# --- the commands --------------------------------------------------------------------------


def _walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path), command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(main, ("bvflow",)))
LEAVES = {path: cmd for path, cmd in COMMANDS.items() if not isinstance(cmd, click.Group)}


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=sorted(COMMANDS))
def test_every_command_has_help_with_an_example(path: str) -> None:
    help_text = COMMANDS[path].help or ""
    if path != "bvflow" and isinstance(COMMANDS[path], click.Group):
        # A group's help is its one-line summary; its subcommands carry the examples.
        assert help_text.strip(), f"{path} has no help"
        return
    assert "Example" in help_text, f"{path}: help should open with an example"


def _examples(help_text: str) -> list[str]:
    """The ``bvflow …`` lines of a help text's Example block."""
    lines = help_text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("Example")), None)
    if start is None:
        return []
    return [line.strip() for line in lines[start + 1 :] if line.strip().startswith("bvflow ")]


def _names(param: click.Parameter) -> list[str]:
    """An option's names, both halves of a ``--x/--y`` flag (``--local``, ``--no-x``) included."""
    return [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]


def _option(command: click.Command, token: str) -> click.Parameter | None:
    name = token.split("=", 1)[0]
    return next((p for p in command.params if name in _names(p)), None)


def _takes_value(param: click.Parameter, token: str) -> bool:
    return not getattr(param, "is_flag", False) and "=" not in token


def _check_command_line(line: str) -> None:
    """Every word of a ``bvflow …`` line names a real command or one of its options."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens: list[str] = []
    for token in lexer:
        if token in {"|", ">", ">>", "&&", ";"}:
            break
        tokens.append(token)
    assert tokens[0] == "bvflow", line
    command: click.Command = main
    words = iter(tokens[1:])
    for token in words:
        if token == "--help":
            return
        if token.startswith("--"):
            param = _option(command, token)
            assert param is not None, f"{line!r}: {command.name} has no option {token}"
            if _takes_value(param, token):
                next(words, None)
        elif isinstance(command, click.Group):
            sub = command.commands.get(token)
            assert sub is not None, f"{line!r}: no command {token!r} under {command.name}"
            command = sub
    assert not isinstance(command, click.Group), f"{line!r} names a group, not a command"


HELP_EXAMPLES = [
    (path, example) for path, cmd in COMMANDS.items() for example in _examples(cmd.help or "")
]


@pytest.mark.parametrize(
    ("path", "example"), HELP_EXAMPLES, ids=[f"{p}: {e}" for p, e in HELP_EXAMPLES]
)
def test_help_examples_name_real_commands_and_options(path: str, example: str) -> None:
    _check_command_line(example)


def _doc_command_lines() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("$ bvflow "):
                found.append((page.name, line[2:]))
    return found


DOC_LINES = _doc_command_lines()


def test_both_halves_of_a_paired_flag_are_accepted() -> None:
    _check_command_line("bvflow pi add BV-2027-001 BV86 --name Cost --lower-is-better --local")
    _check_command_line("bvflow pi add BV-2027-001 BV82a --name Recycled --higher-is-better")
    with pytest.raises(AssertionError, match="no option --lower-is-worse"):
        _check_command_line("bvflow pi add BV-2027-001 BV86 --name Cost --lower-is-worse")


def test_the_docs_show_commands() -> None:
    assert len(DOC_LINES) > 40


INLINE = re.compile(r"`(bvflow [a-z][^`]*)`")


def _inline_spans() -> list[tuple[str, str]]:
    return sorted({(page.name, span) for page in DOCS.glob("*.md")
                   for span in INLINE.findall(page.read_text(encoding="utf-8"))})


INLINE_SPANS = _inline_spans()


def _check_span(span: str) -> None:
    """The command words of an inline `bvflow ...` name real commands: `bvflow improvement
    add|list|update` may list several, a group alone is fine, a word that is neither a
    subcommand nor an option or placeholder is not (`bvflow notify sweep`)."""
    command: click.Command = main
    for word in span.split()[1:]:
        if not isinstance(command, click.Group):
            return
        names = word.split("|")
        if all(n in command.commands for n in names):
            command = command.commands[names[0]]
            continue
        assert not word[0].islower() or "=" in word or "." in word, \
            f"{span!r}: no command {word!r} under {command.name}"
        return


def test_a_span_naming_no_command_is_found() -> None:
    _check_span("bvflow improvement add|list|update")
    with pytest.raises(AssertionError, match="no command 'sweep' under notify"):
        _check_span("bvflow notify sweep")


@pytest.mark.parametrize(("page", "span"), INLINE_SPANS,
                         ids=[f"{p}: {x}" for p, x in INLINE_SPANS])
def test_commands_named_in_the_text_are_real(page: str, span: str) -> None:
    _check_span(span)


@pytest.mark.parametrize(("page", "line"), DOC_LINES, ids=[f"{p}: {x}" for p, x in DOC_LINES])
def test_commands_in_the_docs_are_real(page: str, line: str) -> None:
    _check_command_line(line)


# --- the built site ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once for this module with ``mkdocs build --strict``."""
    out = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def cli_reference(site: Path) -> str:
    return html.unescape((site / "cli" / "index.html").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_site_builds_strictly_with_every_page(site: Path) -> None:
    for page in ("getting-started", "lifecycle", "counting", "workflow-file", "cli"):
        assert (site / page / "index.html").is_file(), page
    assert (site / "index.html").is_file()
    assert not (site / "hooks").exists(), "the mkdocs hook must not be published"


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(COMMANDS), ids=sorted(COMMANDS))
def test_every_command_is_in_the_generated_cli_reference(path: str, cli_reference: str) -> None:
    name = path.rsplit(" ", 1)[-1]
    assert re.search(rf"<h\d id=\"{re.escape(name)}(_\d+)?\"", cli_reference), name
    assert f"{path} [OPTIONS]" in cli_reference, f"no usage line for {path}"


@pytest.mark.slow
def test_the_cli_reference_shows_no_internal_values(cli_reference: str) -> None:
    assert "Sentinel" not in cli_reference
    assert "<function" not in cli_reference
    assert "\b" not in cli_reference
    assert '<code class="language-shell">bvflow review advance' in cli_reference


# --- workflows -----------------------------------------------------------------------------


SHIPPED = sorted(
    {p.name: p for p in data_dir("workflows").iterdir() if p.suffix in (".yaml", ".yml")}
)


def test_workflows_are_shipped() -> None:
    assert "best-value.yaml" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED, ids=SHIPPED)
def test_every_shipped_workflow_validates(name: str) -> None:
    found = read_path(data_dir("workflows") / name)
    assert found.definition.name == Path(name).stem
    assert any(stage.final for stage in found.definition.stages)


def test_the_workflow_reference_names_every_key() -> None:
    reference = (DOCS / "workflow-file.md").read_text(encoding="utf-8")
    for key in TOP_KEYS | STAGE_KEYS | REMINDER_KEYS:
        assert f"| `{key}` |" in reference, f"docs/workflow-file.md does not describe {key}"


# --- docs/counting.md ----------------------------------------------------------------------


def _tables(markdown: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every Markdown table as (header cells, rows of cells)."""
    tables: list[tuple[list[str], list[list[str]]]] = []
    block: list[list[str]] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif block:
            tables.append((block[0], block[2:]))
            block = []
    return tables


def _day(text: str) -> date:
    """A date written as on the page ('Wed 16 Dec 2026'); the weekday must be right too."""
    day = datetime.strptime(text, "%a %d %b %Y").date()
    assert _show(day) == text, f"{text!r} should read {_show(day)!r}"
    return day


def _show(day: date | None) -> str:
    return NONE if day is None else f"{day:%a} {day.day} {day:%b %Y}"


def _nation(text: str) -> str:
    return text.lower().replace(" ", "-")


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def _timing(
    nation: str, entered: str, today: str, other: str, **periods: int | None
) -> StageTiming:
    """``stage_timing`` for a row: entered at 10:00, judged at 15:00 (London)."""
    closures: frozenset[date] = frozenset()
    suspensions: list[tuple[datetime, datetime | None]] = []
    if other.startswith("closed "):
        closures = frozenset(_day(d) for d in DAY.findall(other))
    elif other.startswith("suspended "):
        start, end = (_day(d) for d in DAY.findall(other))
        suspensions = [(_at(start, 12), _at(end, 12))]
    else:
        assert other == NONE, other
    calendar = WorkingCalendar(_nation(nation), closures)
    return stage_timing(
        calendar,
        _at(_day(entered), 10),
        _at(_day(today), 15),
        periods.get("min_days") or 0,
        periods.get("target_days"),
        suspensions,
    )


def _check_periods(header: list[str], row: list[str]) -> None:
    nation, entered, n, other, due, earliest = row
    when = _timing(nation, entered, entered, other, min_days=int(n), target_days=int(n))
    assert _show(when.target) == due, f"due date for {row}"
    assert _show(when.earliest) == earliest, f"earliest advance for {row}"


def _check_clear_days(header: list[str], row: list[str]) -> None:
    nation, entered, today, other, clear = row
    assert _timing(nation, entered, today, other).clear_days == int(clear), row


def _check_overdue(header: list[str], row: list[str]) -> None:
    nation, entered, target, today, overdue = row
    when = _timing(nation, entered, today, NONE, target_days=int(target))
    assert when.overdue == (overdue == "yes"), row


def _check_day(calendar: WorkingCalendar, day: date, cell: str) -> None:
    holiday = calendar.bank_holiday(day)
    if cell == "working day":
        assert calendar.is_working_day(day), (calendar.nation, day)
    elif cell.startswith("weekend"):
        assert day.weekday() >= 5, day
        named = cell.removeprefix("weekend").strip(" ()")
        assert (holiday or "") == named, (calendar.nation, day, holiday)
    else:
        assert day.weekday() < 5, day
        assert holiday == cell, (calendar.nation, day, holiday)


def _check_holidays(header: list[str], row: list[str]) -> None:
    day = _day(row[0])
    for nation, cell in zip(header[1:], row[1:], strict=True):
        _check_day(WorkingCalendar(_nation(nation)), day, cell)


def _check_day_by_day(header: list[str], row: list[str]) -> None:
    entered = _day(header[0].removeprefix("Stage entered "))
    day = _day(row[0])
    for nation, cell in zip(header[1:], row[1:], strict=True):
        calendar = WorkingCalendar(_nation(nation))
        if cell.isdigit():
            assert calendar.nth_counting_day(entered, int(cell)) == day, (nation, row)
        elif cell == "weekend":
            assert day.weekday() >= 5, row
        else:
            _check_day(calendar, day, cell)


def _check_notice(header: list[str], row: list[str]) -> None:
    """A worked example of a meeting's notice, recomputed with bvflow's own rule."""
    nation, meeting, delivered, needed, earliest, working = row
    kind = meeting.removesuffix(" (key decision)").replace(" ", "_")
    counting = "working" if needed.endswith("working days") else "calendar"
    rule = rule_for(kind, _nation(nation), 5, counting, "(key decision)" in meeting)
    assert f"{rule.days} {rule.unit}" == needed, row
    calendar = WorkingCalendar(_nation(nation))
    first = rule.earliest(calendar, _day(delivered))
    assert _show(first) == earliest, row
    while not calendar.is_working_day(first):
        first += timedelta(days=1)
    assert _show(first) == working, row


def _check_law(header: list[str], row: list[str]) -> None:
    """The law table names each nation's days and the Act its citation names."""
    nation, days, where, _words = row
    rule = STATUTORY_NOTICE[_nation(nation)]
    assert days.startswith(f"{rule.clear_days} "), row
    act = re.split(r" s+\.| Sch ", rule.citation)[0]
    assert act in where, (act, where)


def _check_subdivisions(header: list[str], row: list[str]) -> None:
    nation, subdivision = (re.findall(r"`([^`]+)`", cell) for cell in row)
    assert subdivision == ["GB", NATIONS[nation[0]]], row


Checker = Callable[[list[str], list[str]], None]


def _checker(header: list[str]) -> Checker:
    """Which check applies to a table of docs/counting.md, by its header."""
    if header[:3] == ["Nation", "Stage entered", "N"]:
        return _check_periods
    if header[-1] == "Clear working days":
        return _check_clear_days
    if header[-1] == "Overdue":
        return _check_overdue
    if header[0] == "Date":
        return _check_holidays
    if header[0].startswith("Stage entered "):
        return _check_day_by_day
    if header[0] == "`--nation`":
        return _check_subdivisions
    if header[:2] == ["Nation", "Meeting"]:
        return _check_notice
    if header[:2] == ["Nation", "Lawful notice"]:
        return _check_law
    raise AssertionError(f"docs/counting.md has a table this test does not check: {header}")


COUNTING_ROWS = [(header, row) for header, rows in _tables(COUNTING) for row in rows]


def test_counting_has_worked_examples_for_england_and_scotland() -> None:
    assert len(COUNTING_ROWS) > 60
    nations = {row[0] for header, row in COUNTING_ROWS if header[0] == "Nation"}
    assert {"England", "Scotland"} <= nations


@pytest.mark.parametrize(
    ("header", "row"), COUNTING_ROWS, ids=[f"{h[0]}: {' | '.join(r)}" for h, r in COUNTING_ROWS]
)
def test_counting_examples_match_the_calendar(header: list[str], row: list[str]) -> None:
    _checker(header)(header, row)


def _pycon_blocks(markdown: str) -> list[str]:
    return re.findall(r"```pycon\n(.*?)```", markdown, flags=re.S)


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_python_examples_in_the_docs_run(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(verbose=False)
    for i, block in enumerate(_pycon_blocks(text)):
        test = parser.get_doctest(block, {}, f"{page}[{i}]", page, 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_counting_has_python_examples() -> None:
    assert _pycon_blocks(COUNTING)


# --- docs/architecture.md ------------------------------------------------------------------


MODULES = sorted(
    str(path.relative_to(ROOT))
    for path in (ROOT / "bvflow").rglob("*.py")
    if "versions" not in path.parts
)


@pytest.mark.parametrize("module", MODULES, ids=MODULES)
def test_architecture_has_a_line_for_every_module(module: str) -> None:
    architecture = (DOCS / "architecture.md").read_text(encoding="utf-8")
    assert f"`{module}`" in architecture, f"docs/architecture.md has no line for {module}"
