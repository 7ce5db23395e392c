"""The lazy command group: ``bvflow --help`` imports no command module, yet lists exactly
what the commands themselves say, and every command is reachable (BRIEF: start-up)."""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

import bvflow.cli
from bvflow.cli import COMMANDS, main


def _eager() -> dict[str, click.Command]:
    """Every command every bvflow.cli module declares, imported."""
    found: dict[str, click.Command] = {}
    for info in pkgutil.iter_modules(bvflow.cli.__path__):
        module = importlib.import_module(f"bvflow.cli.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            assert command.name is not None
            found[command.name] = command
    return found


def test_the_table_names_every_command_with_its_own_help() -> None:
    eager = _eager()
    assert sorted(COMMANDS) == sorted(eager)
    for name, (module, attribute, first) in COMMANDS.items():
        command = getattr(importlib.import_module(f"bvflow.cli.{module}"), attribute)
        assert command is eager[name]
        paragraph = " ".join((command.help or "").partition("\n\n")[0].split())
        assert first == paragraph, f"update COMMANDS[{name!r}] in bvflow/cli/__init__.py"


def test_help_is_what_the_eager_tree_prints() -> None:
    eager = click.Group(name="bvflow", commands=_eager(), params=main.params, help=main.help,
                        epilog=main.epilog)
    lazy_help = CliRunner().invoke(main, ["--help"], prog_name="bvflow").stdout
    eager_help = CliRunner().invoke(eager, ["--help"], prog_name="bvflow").stdout
    assert lazy_help == eager_help
    assert "Commands:" in lazy_help
    assert "accept-notice" not in lazy_help  # only the top level is listed


def test_help_imports_no_command_module() -> None:
    code = ("import sys\nfrom click.testing import CliRunner\nfrom bvflow.cli import main\n"
            "CliRunner().invoke(main, ['--help'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('bvflow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['bvflow', 'bvflow.cli', 'bvflow.cli._base', 'bvflow.errors']"


def test_a_group_that_corrections_extend_has_its_corrections() -> None:
    for name in ("activity", "agreement", "evidence", "party", "review"):
        group = main.get_command(click.Context(main), name)
        assert isinstance(group, click.Group)
        assert {"amend", "withdraw", "update"} & set(group.commands), name
    assert main.get_command(click.Context(main), "no-such-command") is None
    unknown = CliRunner().invoke(main, ["reveiw"])
    assert unknown.exit_code == 2
    assert "No such command 'reveiw'" in unknown.stderr


def test_reads_and_a_sweep_without_meetings_import_neither_holidays_nor_icalendar(
        tmp_path: Path) -> None:
    """The calendar in force comes from the database, and invitations only where a meeting
    is sent: neither library is paid for by a command that does not need it."""
    db = str(tmp_path / "bvflow.db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "init", "--authority", "Exampleshire County "
                                "Council", "--nation", "england"]).exit_code == 0
    created = runner.invoke(main, ["--db", db, "review", "create", "Refuse collection",
                                   "--service", "Waste", "--coordinator",
                                   "jo@exampleshire.gov.uk"])
    ref = created.stdout.strip()
    for args in (["review", "show", ref], ["audit", "log", "--review", ref], ["sweep"]):
        code = ("import sys\nfrom bvflow.cli import main\n"
                f"try:\n    main({['--db', db, *args]!r})\nexcept SystemExit as e:\n"
                "    assert not e.code, e.code\n"
                "print('LOADED', sorted(m for m in ('holidays', 'icalendar') "
                "if m in sys.modules))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=tmp_path).stdout
        assert out.splitlines()[-1] == "LOADED []", (args, out)
    # The sweep did deliver (the review's opening notice), without an invitation library.
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM outbox").fetchall() == [("sent",)]
