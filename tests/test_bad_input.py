"""Bad input on every command (BRIEF rule 5).

Each case must give one line on stderr starting "Error: " that names the problem, the
documented exit code (1 bad input / not found / no database, 2 usage, 3 conflict, 4 refused
by the workflow), nothing on stdout, no traceback, and leave the database byte-for-byte as it
was (or absent, when there was none).
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from conftest import Cli, Target, snapshot, sqlite_only

# Cases that corrupt, replace or remove the database file itself run on SQLite only; every
# other case runs on PostgreSQL too, each checking that the database is unchanged.
FILE_SETUPS = frozenset({"missing", "no-authority", "directory", "text", "garbage", "empty",
                         "newer"})

REF = "BV-2027-001"
EMAIL = "jo@exampleshire.gov.uk"
HEX64 = "0" * 64

# --- workflow files ------------------------------------------------------------------------

TINY = """\
name: tiny
title: Tiny
stages:
  - name: first
    title: First
  - name: done
    title: Done
    final: true
"""


def _workflow(stage_block: str, head: str = "name: broken\ntitle: Broken\n") -> str:
    return head + "stages:\n" + stage_block


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


def _two_megabytes() -> str:
    return TINY + ("# padding " + "x" * 100 + "\n") * (2 * 1024 * 1024 // 111 + 1)


# key -> (file content, words the error must contain)
WORKFLOWS: dict[str, tuple[str | bytes, tuple[str, ...]]] = {
    "invalid-yaml": ("name: broken\nstages: [\n  - name: first\n    title: [x\n", ("yaml",)),
    "alias-bomb": (_alias_bomb(), ("alias",)),
    "empty-file": ("", ("mapping",)),
    "top-level-list": ("- name: first\n- name: done\n", ("mapping",)),
    "unknown-keys": (
        "name: broken\ntitle: Broken\ncolour: blue\nstages:\n"
        "  - name: first\n    deadline: 3\n  - name: done\n    final: true\n",
        ("unknown key", "colour"),
    ),
    "negative-period": (
        _workflow("  - name: first\n    min_working_days: -5\n  - name: done\n    final: true\n"),
        ("min_working_days", "-5"),
    ),
    "huge-period": (
        _workflow(
            "  - name: first\n    min_working_days: 1000000000\n  - name: done\n    final: true\n"
        ),
        ("min_working_days", "1000000000"),
    ),
    "float-period": (
        _workflow("  - name: first\n    min_working_days: 2.5\n  - name: done\n    final: true\n"),
        ("min_working_days", "2.5"),
    ),
    "bool-period": (
        _workflow(
            "  - name: first\n    target_working_days: yes\n  - name: done\n    final: true\n"
        ),
        ("target_working_days", "true"),
    ),
    "target-before-min": (
        _workflow(
            "  - name: first\n    min_working_days: 10\n    target_working_days: 5\n"
            "  - name: done\n    final: true\n"
        ),
        ("target_working_days", "shorter"),
    ),
    "duplicate-stage": (
        _workflow("  - name: first\n  - name: first\n  - name: done\n    final: true\n"),
        ("duplicate", "first"),
    ),
    "duplicate-yaml-key": (
        _workflow("  - name: first\n    name: second\n  - name: done\n    final: true\n"),
        ("duplicate key", "name"),
    ),
    "unknown-requirement": (
        _workflow(
            "  - name: first\n    requires:\n      - signature: mayor\n"
            "  - name: done\n    final: true\n"
        ),
        ("requirement kind", "signature"),
    ),
    "next-unknown-stage": (
        _workflow("  - name: first\n    next: nowhere\n  - name: done\n    final: true\n"),
        ("unknown stage", "nowhere"),
    ),
    "next-backwards": (
        _workflow(
            "  - name: first\n  - name: second\n    next: first\n  - name: done\n    final: true\n"
        ),
        ("cycle", "first"),
    ),
    "no-final-stage": (_workflow("  - name: first\n  - name: second\n"), ("final",)),
    "unreachable-after-final": (
        _workflow(
            "  - name: first\n  - name: done\n    final: true\n  - name: orphan\n    final: true\n"
        ),
        ("unreachable", "orphan"),
    ),
    "reserved-stage-name": (
        _workflow("  - name: abandoned\n  - name: done\n    final: true\n"),
        ("reserved", "abandoned"),
    ),
    "stage-name-not-identifier": (
        _workflow("  - name: First Stage\n  - name: done\n    final: true\n"),
        ("identifier", "First Stage"),
    ),
    "control-character-title": (
        _workflow('  - name: first\n    title: "Fir\\x07st"\n  - name: done\n    final: true\n'),
        ("title", "printable"),
    ),
    "two-megabytes": (_two_megabytes(), ("larger",)),
    "not-utf8": (TINY.replace("title: Tiny", "title: Caf\xe9").encode("latin-1"), ("utf-8",)),
}

# --- database states -----------------------------------------------------------------------


def _init(cli: Cli, tmp: Path) -> None:
    cli.ok("init", "--authority", "Exampleshire County Council", "--nation", "england")


def _review(cli: Cli, tmp: Path) -> None:
    _init(cli, tmp)
    assert (
        cli.ok(
            "review", "create", "Refuse collection", "--service", "Waste", "--coordinator", EMAIL
        ).stdout.strip()
        == REF
    )


def _suspended(cli: Cli, tmp: Path) -> None:
    _review(cli, tmp)
    cli.ok("review", "suspend", REF, "--reason", "Purdah")


def _abandoned(cli: Cli, tmp: Path) -> None:
    _review(cli, tmp)
    cli.ok("review", "abandon", REF, "--reason", "Service transferred")


def _closed(cli: Cli, tmp: Path) -> None:
    _init(cli, tmp)
    (tmp / "tiny.yaml").write_text(TINY, encoding="utf-8")
    cli.ok(
        "review",
        "create",
        "Tiny",
        "--service",
        "Waste",
        "--coordinator",
        EMAIL,
        "--workflow",
        str(tmp / "tiny.yaml"),
    )
    assert "closed" in cli.ok("review", "advance", REF).stdout


def _closure(cli: Cli, tmp: Path) -> None:
    _init(cli, tmp)
    cli.ok("calendar", "close", "2027-12-29", "--reason", "Christmas closure")


def _no_authority(cli: Cli, tmp: Path) -> None:
    cli.db.write_bytes(b"")
    cli.ok("db", "upgrade")


def _directory(cli: Cli, tmp: Path) -> None:
    cli.db.mkdir()


def _text_file(cli: Cli, tmp: Path) -> None:
    cli.db.write_text("These are the minutes of the working party, not a database.\n")


def _garbage(cli: Cli, tmp: Path) -> None:
    cli.db.write_bytes(random.Random(2027).randbytes(8192))


def _empty_file(cli: Cli, tmp: Path) -> None:
    cli.db.write_bytes(b"")


def _newer_schema(cli: Cli, tmp: Path) -> None:
    _init(cli, tmp)
    conn = sqlite3.connect(cli.db)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()


def _broken_council_folder(cli: Cli, tmp: Path) -> None:
    folder = tmp / "council"
    folder.mkdir()
    (folder / "broken.yaml").write_text(WORKFLOWS["next-backwards"][0], encoding="utf-8")


SETUPS: dict[str, Callable[[Cli, Path], None]] = {
    "missing": lambda cli, tmp: None,
    "init": _init,
    "review": _review,
    "suspended": _suspended,
    "abandoned": _abandoned,
    "closed": _closed,
    "closure": _closure,
    "no-authority": _no_authority,
    "directory": _directory,
    "text": _text_file,
    "garbage": _garbage,
    "empty": _empty_file,
    "newer": _newer_schema,
    "council": lambda cli, tmp: (_init(cli, tmp), _broken_council_folder(cli, tmp)),
}

# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    setup: str
    args: tuple[str, ...]
    code: int
    words: tuple[str, ...]
    workflow: str | None = None
    # ``workflow validate`` lists each problem on its own line before the final "Error:" line.
    lists_problems: bool = False


def case(
    id: str, setup: str, args: tuple[str, ...], code: int, *words: str, workflow: str | None = None
) -> Case:
    return Case(id, setup, args, code, words, workflow)


CREATE = ("review", "create", "Refuse collection", "--service", "Waste", "--coordinator", EMAIL)
LONG = "x" * 2001

CASES: list[Case] = [
    # global options and the database file
    case("db-is-directory", "directory", ("review", "list"), 1, "database"),
    case(
        "db-is-directory-init",
        "directory",
        ("init", "--authority", "Exampleshire", "--nation", "england"),
        1,
        "database",
    ),
    case("db-is-text-file", "text", ("review", "list"), 1, "not a database"),
    case("db-is-random-bytes", "garbage", ("review", "list"), 1, "not a database"),
    case("db-is-empty-file", "empty", ("review", "list"), 1, "not a bvflow database"),
    case("db-missing", "missing", ("review", "list"), 1, "no database"),
    case("db-newer-schema", "newer", ("review", "list"), 1, "9999", "newer"),
    case("db-newer-schema-create", "newer", CREATE, 1, "9999", "newer"),
    case("actor-empty", "init", ("--actor", "", "review", "list"), 1, "--actor", "empty"),
    case(
        "actor-blank",
        "review",
        ("--actor", "   ", "review", "suspend", REF, "--reason", "x"),
        1,
        "--actor",
        "empty",
    ),
    case(
        "actor-control-characters",
        "review",
        ("--actor", "jo\x1b[31m", "review", "suspend", REF, "--reason", "x"),
        1,
        "--actor",
        "control",
    ),
    case(
        "actor-overlong", "init", ("--actor", "a" * 101, "calendar", "list"), 1, "--actor", "limit"
    ),
    case(
        "workflows-folder-is-a-file",
        "init",
        ("--workflows", "{db}", "workflow", "list"),
        1,
        "--workflows",
        "directory",
    ),
    case("unknown-command", "init", ("reveiw", "list"), 2, "reveiw"),
    case("unknown-option", "init", ("review", "list", "--overdoo"), 2, "--overdoo"),
    # init
    case(
        "init-bad-nation",
        "missing",
        ("init", "--authority", "Exampleshire", "--nation", "narnia"),
        1,
        "narnia",
    ),
    case(
        "init-new-db-without-nation",
        "missing",
        ("init", "--authority", "Exampleshire"),
        1,
        "--nation",
    ),
    case(
        "init-empty-authority",
        "missing",
        ("init", "--authority", " ", "--nation", "england"),
        1,
        "authority",
        "empty",
    ),
    case(
        "init-authority-control-characters",
        "init",
        ("init", "--authority", "Example\nshire", "--nation", "england"),
        1,
        "authority",
        "control",
    ),
    case(
        "init-authority-overlong",
        "init",
        ("init", "--authority", "E" * 201),
        1,
        "authority",
        "limit",
    ),
    case(
        "init-directory-does-not-exist",
        "missing",
        (
            "--db",
            "{tmp}/no/such/folder/bvflow.db",
            "init",
            "--authority",
            "Exampleshire",
            "--nation",
            "england",
        ),
        1,
        "does not exist",
    ),
    case(
        "init-on-random-bytes",
        "garbage",
        ("init", "--authority", "Exampleshire", "--nation", "england"),
        1,
        "not a database",
    ),
    case(
        "init-on-text-file",
        "text",
        ("init", "--authority", "Exampleshire", "--nation", "england"),
        1,
        "not a database",
    ),
    case("init-on-newer-schema", "newer", ("init", "--nation", "wales"), 1, "9999"),
    case("init-new-db-bad-sender", "missing", ("init", "--authority", "Exampleshire",
                                               "--nation", "england", "--sender", "jo@"), 1,
         "jo@", "not a valid email address"),
    case("init-sender-no-at", "init", ("init", "--sender", "bestvalue"), 1, "bestvalue", "@"),
    case("init-sender-blank", "init", ("init", "--sender", " "), 1, "email", "empty"),
    case("init-sender-non-ascii-local-part", "init",
         ("init", "--sender", "jösé@exampleshire.gov.uk"), 1, "--sender", "ASCII"),
    case("init-sender-mixed-script", "init", ("init", "--sender", "w\u0430tch@example.org"), 1,
         "mixes", "Cyrillic"),
    case("init-sender-two-addresses", "init",
         ("init", "--sender", "a@exampleshire.gov.uk, b@exampleshire.gov.uk"), 1, "valid"),
    case("init-sender-line-break", "init",
         ("init", "--sender", "a@exampleshire.gov.uk\nBcc: evil@example.org"), 1, "control"),
    # db
    case("db-upgrade-missing", "missing", ("db", "upgrade"), 1, "no database"),
    case("db-current-missing", "missing", ("db", "current"), 1, "no database"),
    case("db-upgrade-random-bytes", "garbage", ("db", "upgrade"), 1, "not a database"),
    case("db-current-random-bytes", "garbage", ("db", "current"), 1, "not a database"),
    case("db-upgrade-newer-schema", "newer", ("db", "upgrade"), 1, "9999"),
    case("db-upgrade-extra-argument", "init", ("db", "upgrade", "head"), 2, "head"),
    # workflow
    case(
        "workflow-show-unknown",
        "missing",
        ("workflow", "show", "best-valu"),
        1,
        "no workflow",
        "best-valu",
    ),
    case(
        "workflow-show-missing-file",
        "missing",
        ("workflow", "show", "{tmp}/gone.yaml"),
        1,
        "gone.yaml",
    ),
    case(
        "workflow-diagram-unknown",
        "missing",
        ("workflow", "diagram", "nosuch"),
        1,
        "no workflow",
        "nosuch",
    ),
    case(
        "workflow-validate-missing-file",
        "missing",
        ("workflow", "validate", "{tmp}/gone.yaml"),
        1,
        "gone.yaml",
    ),
    case(
        "workflow-validate-directory", "missing", ("workflow", "validate", "{tmp}"), 1, "directory"
    ),
    case("workflow-validate-no-argument", "missing", ("workflow", "validate"), 2, "path"),
    case(
        # (workflow list shows a broken file as NOT VALID beside the others; using it fails)
        "workflow-show-broken-council-file",
        "council",
        ("--workflows", "{tmp}/council", "workflow", "show", "broken"),
        1,
        "broken.yaml",
        "cycle",
    ),
    # review create
    case(
        "create-empty-title",
        "init",
        ("review", "create", "", "--service", "Waste", "--coordinator", EMAIL),
        1,
        "title",
        "empty",
    ),
    case(
        "create-overlong-title",
        "init",
        ("review", "create", "T" * 201, "--service", "Waste", "--coordinator", EMAIL),
        1,
        "title",
        "limit",
    ),
    case(
        "create-title-control-characters",
        "init",
        ("review", "create", "Refuse\tcollection", "--service", "Waste", "--coordinator", EMAIL),
        1,
        "title",
        "control",
    ),
    case(
        "create-empty-service",
        "init",
        ("review", "create", "Refuse", "--service", "", "--coordinator", EMAIL),
        1,
        "service",
        "empty",
    ),
    case(
        "create-invalid-email",
        "init",
        ("review", "create", "Refuse", "--service", "Waste", "--coordinator", "jo at exampleshire"),
        1,
        "jo at exampleshire",
        "email",
    ),
    case(
        "create-unknown-workflow",
        "init",
        (*CREATE, "--workflow", "best-valu"),
        1,
        "no workflow",
        "best-valu",
    ),
    case(
        "create-missing-workflow-file",
        "init",
        (*CREATE, "--workflow", "{tmp}/gone.yaml"),
        1,
        "gone.yaml",
    ),
    case(
        "create-missing-service",
        "init",
        ("review", "create", "Refuse", "--coordinator", EMAIL),
        2,
        "--service",
    ),
    case("create-missing-title", "init", ("review", "create"), 2, "title"),
    case("create-missing-database", "missing", CREATE, 1, "no database"),
    case("create-no-authority", "no-authority", CREATE, 1, "authority"),
    # review list / show
    case("list-bad-status", "review", ("review", "list", "--status", "paused"), 1, "paused"),
    case(
        "list-unknown-stage",
        "review",
        ("review", "list", "--stage", "concult"),
        1,
        "stage",
        "concult",
    ),
    case(
        "show-unknown-review",
        "review",
        ("review", "show", "BV-2027-999"),
        1,
        "no review",
        "BV-2027-999",
    ),
    case("show-missing-argument", "review", ("review", "show"), 2, "ref"),
    # review advance
    case("advance-unknown-review", "review", ("review", "advance", "BV-2027-999"), 1, "no review"),
    case(
        "advance-too-early",
        "review",
        ("review", "advance", REF),
        4,
        "cannot advance",
        "working days",
        "scope_statement",
    ),
    case(
        "advance-override-without-reason",
        "review",
        ("review", "advance", REF, "--override-timetable"),
        1,
        "reason",
    ),
    case(
        "advance-override-empty-reason",
        "review",
        ("review", "advance", REF, "--override-timetable", "--reason", "  "),
        1,
        "reason",
    ),
    case(
        "advance-override-reason-control-characters",
        "review",
        ("review", "advance", REF, "--override-timetable", "--reason", "ok\x00"),
        1,
        "reason",
        "control",
    ),
    case(
        "advance-reason-without-override",
        "review",
        ("review", "advance", REF, "--reason", "Members agreed"),
        2,
        "--override-timetable",
    ),
    case(
        "advance-stale-version",
        "review",
        ("review", "advance", REF, "--if-version", "7"),
        3,
        "changed since",
        "version 7",
    ),
    case(
        "advance-version-zero",
        "review",
        ("review", "advance", REF, "--if-version", "0"),
        1,
        "--if-version",
    ),
    case(
        "advance-version-not-a-number",
        "review",
        ("review", "advance", REF, "--if-version", "two"),
        1,
        "--if-version",
        "two",
    ),
    case("advance-closed", "closed", ("review", "advance", REF), 4, "cannot advance", REF),
    case("advance-abandoned", "abandoned", ("review", "advance", REF), 4, "cannot advance", REF),
    case(
        "advance-suspended",
        "suspended",
        ("review", "advance", REF, "--override-timetable", "--reason", "x"),
        4,
        "cannot advance",
        "suspended",
    ),
    # review return
    case(
        "return-missing-reason",
        "review",
        ("review", "return", REF, "--to", "challenge"),
        2,
        "--reason",
    ),
    case("return-missing-to", "review", ("review", "return", REF, "--reason", "x"), 2, "--to"),
    case(
        "return-unknown-stage",
        "review",
        ("review", "return", REF, "--to", "concult", "--reason", "x"),
        1,
        "stage",
        "concult",
    ),
    case(
        "return-from-challenge",
        "review",
        ("review", "return", REF, "--to", "challenge", "--reason", "x"),
        4,
        "cannot return",
        REF,
    ),
    case(
        "return-forwards",
        "review",
        ("review", "return", REF, "--to", "compare", "--reason", "x"),
        4,
        "cannot return",
        REF,
    ),
    case(
        "return-empty-reason",
        "review",
        ("review", "return", REF, "--to", "challenge", "--reason", ""),
        1,
        "reason",
    ),
    case(
        "return-overlong-reason",
        "review",
        ("review", "return", REF, "--to", "challenge", "--reason", LONG),
        1,
        "reason",
        "limit",
    ),
    case(
        "return-unknown-review",
        "review",
        ("review", "return", "BV-2027-999", "--to", "challenge", "--reason", "x"),
        1,
        "no review",
    ),
    case(
        "return-abandoned",
        "abandoned",
        ("review", "return", REF, "--to", "challenge", "--reason", "x"),
        4,
        "cannot return",
        REF,
    ),
    # review suspend / resume / abandon
    case("suspend-missing-reason", "review", ("review", "suspend", REF), 2, "--reason"),
    case(
        "suspend-reason-control-characters",
        "review",
        ("review", "suspend", REF, "--reason", "line one\nline two"),
        1,
        "reason",
        "control",
    ),
    case(
        "suspend-already-suspended",
        "suspended",
        ("review", "suspend", REF, "--reason", "x"),
        4,
        "cannot suspend",
        "suspended",
    ),
    case(
        "suspend-closed",
        "closed",
        ("review", "suspend", REF, "--reason", "x"),
        4,
        "cannot suspend",
        REF,
    ),
    case(
        "suspend-stale-version",
        "review",
        ("review", "suspend", REF, "--reason", "x", "--if-version", "5"),
        3,
        "changed since",
    ),
    case("resume-active", "review", ("review", "resume", REF), 4, "cannot resume", "not suspended"),
    case("resume-abandoned", "abandoned", ("review", "resume", REF), 4, "cannot resume", REF),
    case(
        "resume-unknown-review", "review", ("review", "resume", "nosuch"), 1, "no review", "nosuch"
    ),
    case("abandon-missing-reason", "review", ("review", "abandon", REF), 2, "--reason"),
    case("abandon-empty-reason", "review", ("review", "abandon", REF, "--reason", ""), 1, "reason"),
    case(
        "abandon-abandoned",
        "abandoned",
        ("review", "abandon", REF, "--reason", "x"),
        4,
        "cannot abandon",
        REF,
    ),
    case(
        "abandon-closed",
        "closed",
        ("review", "abandon", REF, "--reason", "x"),
        4,
        "cannot abandon",
        REF,
    ),
    case(
        "abandon-stale-version",
        "suspended",
        ("review", "abandon", REF, "--reason", "x", "--if-version", "1"),
        3,
        "changed since",
    ),
    # evidence
    case(
        "evidence-file-missing",
        "review",
        (
            "evidence",
            "add",
            REF,
            "--kind",
            "scope_statement",
            "--title",
            "Scope",
            "--file",
            "{tmp}/scope.pdf",
        ),
        1,
        "scope.pdf",
    ),
    case(
        "evidence-file-is-directory",
        "review",
        (
            "evidence",
            "add",
            REF,
            "--kind",
            "scope_statement",
            "--title",
            "Scope",
            "--file",
            "{tmp}",
        ),
        1,
        "directory",
    ),
    case(
        "evidence-unknown-kind",
        "review",
        ("evidence", "add", REF, "--kind", "scope_statment", "--title", "Scope"),
        1,
        "evidence kind",
        "scope_statment",
    ),
    case(
        "evidence-missing-kind", "review", ("evidence", "add", REF, "--title", "Scope"), 2, "--kind"
    ),
    case(
        "evidence-empty-title",
        "review",
        ("evidence", "add", REF, "--kind", "scope_statement", "--title", ""),
        1,
        "title",
        "empty",
    ),
    case(
        "evidence-title-control-characters",
        "review",
        ("evidence", "add", REF, "--kind", "scope_statement", "--title", "Sc\x1bope"),
        1,
        "title",
        "control",
    ),
    case(
        "evidence-bad-disclosure",
        "review",
        (
            "evidence",
            "add",
            REF,
            "--kind",
            "scope_statement",
            "--title",
            "Scope",
            "--disclosure",
            "secret",
        ),
        1,
        "secret",
    ),
    case(
        "evidence-unknown-review",
        "review",
        ("evidence", "add", "BV-2027-999", "--kind", "scope_statement", "--title", "Scope"),
        1,
        "no review",
    ),
    case(
        "evidence-abandoned",
        "abandoned",
        ("evidence", "add", REF, "--kind", "scope_statement", "--title", "Scope"),
        4,
        "abandoned",
    ),
    case(
        "evidence-stale-version",
        "review",
        (
            "evidence",
            "add",
            REF,
            "--kind",
            "scope_statement",
            "--title",
            "Scope",
            "--if-version",
            "9",
        ),
        3,
        "changed since",
    ),
    case(
        "evidence-list-unknown-review",
        "review",
        ("evidence", "list", "BV-2027-999"),
        1,
        "no review",
    ),
    case("evidence-list-missing-argument", "review", ("evidence", "list"), 2, "ref"),
    # audit
    case(
        "audit-log-impossible-date",
        "review",
        ("audit", "log", "--since", "2027-02-30"),
        1,
        "--since",
        "2027-02-30",
    ),
    case(
        "audit-log-not-a-date",
        "review",
        ("audit", "log", "--until", "yesterday"),
        1,
        "--until",
        "yesterday",
    ),
    case(
        "audit-log-until-before-since",
        "review",
        ("audit", "log", "--since", "2027-02-01", "--until", "2027-01-01"),
        1,
        "before",
    ),
    case(
        "audit-log-unknown-review",
        "review",
        ("audit", "log", "--review", "BV-2027-999"),
        1,
        "no review",
    ),
    case(
        "audit-verify-bad-checkpoint",
        "review",
        ("audit", "verify", "--checkpoint", "42"),
        1,
        "--checkpoint",
        "SEQ:HASH",
    ),
    case(
        "audit-verify-checkpoint-not-hex",
        "review",
        ("audit", "verify", "--checkpoint", "1:" + "z" * 64),
        1,
        "--checkpoint",
    ),
    case("audit-verify-random-bytes", "garbage", ("audit", "verify"), 1, "not a database"),
    case("audit-checkpoint-missing-db", "missing", ("audit", "checkpoint"), 1, "no database"),
    case("audit-checkpoint-extra-argument", "review", ("audit", "checkpoint", "now"), 2, "now"),
    # calendar
    case(
        "calendar-close-impossible-date",
        "init",
        ("calendar", "close", "2027-02-30", "--reason", "x"),
        1,
        "2027-02-30",
        "YYYY-MM-DD",
    ),
    case(
        "calendar-close-not-a-date",
        "init",
        ("calendar", "close", "29/12/2027", "--reason", "x"),
        1,
        "29/12/2027",
    ),
    case(
        "calendar-close-missing-reason", "init", ("calendar", "close", "2027-12-29"), 2, "--reason"
    ),
    case(
        "calendar-close-empty-reason",
        "init",
        ("calendar", "close", "2027-12-29", "--reason", ""),
        1,
        "reason",
        "empty",
    ),
    case(
        "calendar-close-twice",
        "closure",
        ("calendar", "close", "2027-12-29", "--reason", "Again"),
        1,
        "2027-12-29",
        "already",
    ),
    case(
        "calendar-close-no-authority",
        "no-authority",
        ("calendar", "close", "2027-12-29", "--reason", "x"),
        1,
        "authority",
    ),
    case(
        "calendar-close-missing-db",
        "missing",
        ("calendar", "close", "2027-12-29", "--reason", "x"),
        1,
        "no database",
    ),
    case("calendar-list-text-file", "text", ("calendar", "list"), 1, "not a database"),
    case("calendar-list-extra-argument", "init", ("calendar", "list", "2027"), 2, "2027"),
]

for _key, (_content, _words) in WORKFLOWS.items():
    _plain = isinstance(_content, bytes) or len(_content) > 1_000_000
    CASES.append(
        Case(
            f"validate-{_key}",
            "missing",
            ("workflow", "validate", "{wf}"),
            1,
            _words,
            _key,
            lists_problems=not _plain,
        )
    )
    CASES.append(
        Case(f"create-with-{_key}", "init", (*CREATE, "--workflow", "{wf}"), 1, _words, _key)
    )


# --- the test ------------------------------------------------------------------------------


def _state(db: Target) -> object:
    """The database as it is: a directory's listing, raw bytes, or hash and dump (SQLite);
    every table's rows (PostgreSQL)."""
    path = db.path
    if path is None:
        return snapshot(db)
    if path.is_dir():
        return ("directory", sorted(p.name for p in path.iterdir()))
    try:
        return snapshot(path)
    except sqlite3.DatabaseError:
        return (hashlib.sha256(path.read_bytes()).hexdigest(), "not SQLite")


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _param(bad: Case) -> object:
    on_file = bad.setup in FILE_SETUPS or any("{db}" in a for a in bad.args)
    return pytest.param(bad, id=bad.id, marks=[sqlite_only("the database file")] if on_file else [])


@pytest.mark.parametrize("bad", [_param(c) for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(
    bad: Case, cli: Cli, tmp_path: Path, travel: time_machine.Coordinates
) -> None:
    SETUPS[bad.setup](cli, tmp_path)
    wf = tmp_path / "custom.yaml"
    if bad.workflow is not None:
        content = WORKFLOWS[bad.workflow][0]
        if isinstance(content, bytes):
            wf.write_bytes(content)
        else:
            wf.write_text(content, encoding="utf-8")
    args = [a.format(tmp=tmp_path, db=cli.db, wf=wf) for a in bad.args]
    before, files_before = _state(cli.db), _files(tmp_path)

    result = cli(*args)

    detail = (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, detail
    assert result.exit_code == bad.code, detail
    assert result.stdout == "", detail
    lines = result.stderr.splitlines()
    assert lines, detail
    assert lines[-1].startswith("Error: "), detail
    if bad.lists_problems:
        assert all(line.startswith(str(wf)) for line in lines[:-1]), detail
        assert str(wf) in lines[-1], detail
        named = result.stderr
    else:
        assert len(lines) == 1, detail
        named = lines[-1]
    for word in bad.words:
        assert word.lower() in named.lower(), (word, detail)
    assert _state(cli.db) == before
    assert _files(tmp_path) == files_before
