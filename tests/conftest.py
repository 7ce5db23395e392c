"""Shared fixtures: a temporary SQLite database, a CLI runner bound to it, time travel."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import mailbox
import os
import re
import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bvflow.cli import main
from bvflow.domain.calendar import LONDON
from bvflow.services.app import App
from bvflow.store.database import Database

# The first working Monday of 2027, mid-morning in London.
START = datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)


class _FailOnSkipBinding(logging.Handler):
    """transitions only logs when a trigger collides with a model attribute; make it fatal."""

    def emit(self, record: logging.LogRecord) -> None:
        if "Skip binding" in record.getMessage():
            raise AssertionError(record.getMessage())


@pytest.fixture(autouse=True)
def _skip_binding_is_an_error() -> Iterator[None]:
    handler = _FailOnSkipBinding(level=logging.DEBUG)
    logger = logging.getLogger("transitions")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    yield
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest.fixture
def travel() -> Iterator[time_machine.Coordinates]:
    """The clock stopped at START; move it with ``travel.move_to(...)`` or ``.shift(...)``."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


# Set to a PostgreSQL URL to run the suite against PostgreSQL: each test gets its own schema.
PG_URL = os.environ.get("BVFLOW_TEST_DATABASE_URL")


class Target(os.PathLike[str]):
    """The database a test runs against: a SQLite file, or a PostgreSQL schema.

    ``str()`` is what ``--db`` is given; ``parent`` is the folder for settings and mail.
    """

    def __init__(self, url: str, home: Path, path: Path | None) -> None:
        self.url, self.home, self.path = url, home, path

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else self.url

    def __fspath__(self) -> str:
        if self.path is None:
            raise TypeError("a PostgreSQL database has no file")
        return str(self.path)

    @property
    def parent(self) -> Path:
        return self.home

    @property
    def sqlalchemy_url(self) -> str:
        return f"sqlite:///{self.path}" if self.path is not None else self.url

    def exists(self) -> bool:
        return self.path.exists() if self.path is not None else True

    def __getattr__(self, name: str) -> Any:
        """File operations (write_bytes, stat...) for SQLite-only tests."""
        if self.path is None:
            raise AttributeError(f"a PostgreSQL test database has no file ({name})")
        return getattr(self.path, name)


def _schema_url(base: str, schema: str) -> str:
    url = make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The test's database; the working directory is the test's folder (settings, mail)."""
    monkeypatch.chdir(tmp_path)
    if PG_URL is None:
        yield Target(f"sqlite:///{tmp_path / 'bvflow.db'}", tmp_path, tmp_path / "bvflow.db")
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield Target(_schema_url(PG_URL, schema), tmp_path, None)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """For tests of SQLite itself (its file, WAL, its triggers): left out of the PG run."""
    return pytest.mark.sqlite_only(reason=reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each backend's run leaves out the tests that belong to the other (they run there)."""
    other = "sqlite_only" if PG_URL is not None else "postgres_only"
    keep = [i for i in items if i.get_closest_marker(other) is None]
    dropped = [i for i in items if i.get_closest_marker(other) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@dataclass
class Cli:
    """Runs ``bvflow`` in-process against one database, as one actor."""

    db: Target
    actor: str = "coordinator"

    def __call__(self, *args: str, actor: str | None = None, **kwargs: Any) -> Result:
        runner = CliRunner()
        return runner.invoke(main, ["--db", str(self.db), "--actor", actor or self.actor, *args],
                             catch_exceptions=False, **kwargs)

    def ok(self, *args: str, **kwargs: Any) -> Result:
        result = self(*args, **kwargs)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result


@pytest.fixture
def cli(db_path: Target) -> Cli:
    return Cli(db_path)


@pytest.fixture
def initialised(cli: Cli, travel: time_machine.Coordinates) -> Cli:
    """A database for Exampleshire (England), created at START."""
    cli.ok("init", "--authority", "Exampleshire County Council", "--nation", "england")
    return cli


@pytest.fixture
def app(initialised: Cli) -> Iterator[App]:
    application = App(Database(initialised.db.sqlalchemy_url), actor="api-user")
    yield application
    application.db.dispose()


@pytest.fixture
def new_review(initialised: Cli) -> Callable[..., str]:
    def create(title: str = "Refuse collection", *extra: str) -> str:
        result = initialised.ok("review", "create", title, "--service", "Waste",
                                "--coordinator", "jo@exampleshire.gov.uk", *extra)
        return result.stdout.strip()

    return create


def query(target: Target | Path, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query, on either backend."""
    url = target.sqlalchemy_url if isinstance(target, Target) else f"sqlite:///{target}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def execute(target: Target, *statements: str) -> None:
    """Run raw SQL (for tampering tests), committing."""
    engine = create_engine(target.sqlalchemy_url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def snapshot(target: Target | Path) -> tuple[str, list[str]]:
    """Everything in the database: bad input must leave it exactly as it was.

    SQLite: the file's hash and its logical dump. PostgreSQL: every table's rows in order.
    """
    path = target.path if isinstance(target, Target) else target
    if path is not None:
        if not path.exists():
            return "absent", []
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with sqlite3.connect(path) as conn:
            dump = list(conn.iterdump())
        conn.close()
        return digest, dump
    assert isinstance(target, Target)
    engine = create_engine(target.sqlalchemy_url)
    try:
        tables = sorted(inspect(engine).get_table_names())
        with engine.connect() as conn:
            dump = [f"{t}: {tuple(row)}" for t in tables
                    for row in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))]
    finally:
        engine.dispose()
    return "postgresql", dump


def events(target: Target | Path) -> list[tuple[Any, ...]]:
    """Every audit event row (seq, actor, action, review, from, to, record)."""
    return query(target, "SELECT seq, actor, action, review, from_stage, to_stage, record "
                         "FROM audit_events ORDER BY seq")


# --- mail -------------------------------------------------------------------------------

# Python's email parser in strict mode: a defect in a message is an error, not a shrug.
STRICT = policy.default.clone(raise_on_defect=True)


def swept_mail(cli: Cli, address: str | None = None) -> list[EmailMessage]:
    """Sweep, then every message in the Maildir (to ``address``, if given), parsed strictly."""
    cli.ok("sweep")
    box = mailbox.Maildir(cli.db.parent / "mail", create=False)
    found = []
    for key in box.keys():
        message = message_from_bytes(box.get_bytes(key), policy=STRICT)
        assert isinstance(message, EmailMessage)
        if address is None or address in str(message["To"]):
            found.append(message)
    return found


BARE_LF = re.compile(rb"(?<!\r)\n")


class FaultySmtp:
    """An aiosmtpd handler whose refusals are programmed by the test."""

    def __init__(self) -> None:
        self.received: list[tuple[str, EmailMessage]] = []
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply: str | None = None
        self.hang_seconds = 0.0
        self.bare_lf_seen = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hang_seconds:
            await asyncio.sleep(self.hang_seconds)
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or envelope.content
        self.bare_lf_seen |= bool(BARE_LF.search(raw))
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        for rcpt in envelope.rcpt_tos:
            self.received.append((rcpt, message))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    handler: FaultySmtp
    port: int
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback with programmable faults."""
    server = SmtpServer(FaultySmtp(), free_port())
    server.start()
    yield server
    server.stop()


def use_smtp(db: Path, port: int, timeout: float = 2, max_attempts: int = 3) -> None:
    (db.parent / "bvflow.toml").write_text(
        "[mail]\ntransport = \"smtp\"\nfrom = \"Best Value Team <bestvalue@exampleshire.gov.uk>\"\n"
        f"[mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntimeout = {timeout}\n"
        f"max_attempts = {max_attempts}\n")


# --- meeting a stage's requirements -----------------------------------------------------

STAGE_EVIDENCE = {
    "challenge": ["scope_statement", "baseline_profile"],
    "compare": [],
    "consult": ["consultation_plan", "consultation_findings"],
    "compete": [],
    "report": ["review_report"],
    "monitor": ["monitoring_report"],
}
BENCHMARKS = """authority,code,period,value
Northshire,BV82a,2025-26,38.1
Southshire,BV82a,2025-26,29.4
Westshire,BV82a,2025-26,44.0
Eastshire,BV82a,2025-26,35.5
Northshire,BV86,2025-26,61.2
Southshire,BV86,2025-26,55.0
Westshire,BV86,2025-26,70.4
Eastshire,BV86,2025-26,48.9
"""
STAGE_AGREEMENTS = {
    "challenge": ["scope", "baseline_profile", "information_disclosure"],
    "report": ["priorities", "performance_targets"],
}


def prepare(cli: Cli, ref: str, stage: str, tmp: Path) -> None:
    """Do everything the bundled workflow asks of ``stage`` except wait for time to pass."""
    for kind in STAGE_EVIDENCE[stage]:
        cli.ok("evidence", "add", ref, "--kind", kind, "--title", f"{kind} for {stage}")
    for item in STAGE_AGREEMENTS.get(stage, []):
        cli.ok("agreement", "record", ref, "--item", item, "--agreed-by", "UNISON",
               "--external", "UNISON")
    today = datetime.now(LONDON).date().isoformat()
    if stage == "compare":
        cli.ok("pi", "add", ref, "BV82a", "--name", "Household waste recycled", "--unit", "%",
               "--baseline", "31.5", "--baseline-period", "2025-26", "--target", "2027-28=40")
        cli.ok("pi", "add", ref, "BV86", "--name", "Cost of collection per household",
               "--unit", "GBP", "--lower-is-better", "--baseline", "52.0",
               "--baseline-period", "2025-26")
        extract = tmp / "benchmarks.csv"
        extract.write_text(BENCHMARKS)
        cli.ok("pi", "import", ref, str(extract))
    if stage == "compete":
        for name, quality, cost in (("In-house improvement", 70, 60), ("Tender", 55, 75)):
            cli.ok("option", "add", ref, name)
            if name == "In-house improvement":
                cli.ok("option", "criterion", ref, "Quality", "--weight", "60")
                cli.ok("option", "criterion", ref, "Cost", "--weight", "40")
            cli.ok("option", "score", ref, name, "Quality", str(quality))
            cli.ok("option", "score", ref, name, "Cost", str(cost))
        cli.ok("option", "choose", ref, "In-house improvement", "--rationale",
               "Highest weighted score; keeps staff terms")
    if stage == "report":
        cli.ok("action", "add", ref, "--title", "Weekly food waste collection", "--owner",
               "sam@exampleshire.gov.uk", "--due", "2027-12-01", "--indicator", "BV82a")
    if stage == "consult":
        cli.ok("activity", "add", ref, "--method", "workshop", "--on", today,
               "--category", "trade_union", "--category", "tenants", "--category", "users")
    _meetings_and_proposals(cli, ref, stage, tmp)


def _meetings_and_proposals(cli: Cli, ref: str, stage: str, tmp: Path) -> None:
    """The meetings and proposals ``stage`` needs, delivered at once as the scheduler would:
    notice and discussion periods run from delivery."""
    if stage == "consult":
        soon = datetime.now(LONDON) + timedelta(days=10)
        cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
               soon.strftime("%Y-%m-%d 18:00"), "--place", "Town Hall")
    if stage == "report":
        decides = datetime.now(LONDON) + timedelta(days=14)
        cli.ok("meeting", "schedule", ref, "--kind", "committee", "--title",
               "Environment committee", "--at", decides.strftime("%Y-%m-%d 10:00"), "--place",
               "Council Chamber")
    if stage in ("consult", "compete"):
        paper = tmp / f"{stage}-proposal.txt"
        paper.write_text(f"Proposal for {stage}\n")
        cli.ok("proposal", "circulate", ref, "--title", f"Proposal for {stage}", "--file",
               str(paper))
    if stage in ("consult", "compete", "report"):
        cli.ok("sweep")


def record_held(cli: Cli, ref: str) -> None:
    """Record each meeting that has taken place, as the coordinator does after it."""
    now = datetime.now(LONDON)
    for m in json.loads(cli.ok("meeting", "list", ref, "--json").stdout):
        if m["status"] == "scheduled" and not m["held"] and \
                datetime.fromisoformat(m["starts_at"]) <= now:
            bodies = sorted({p["organisation"] for p in
                             json.loads(cli.ok("party", "list", ref, "--json").stdout)})
            present = [a for body in bodies for a in ("--attended", body)] or [
                "--attended", "Council officers", "--external", "Council officers"]
            cli.ok("meeting", "record", ref, str(m["id"]), *present)


def advance_when_ready(cli: Cli, ref: str, travel: time_machine.Coordinates) -> None:
    """Travel a day at a time until the review may advance, then advance it."""
    for _ in range(400):
        record_held(cli, ref)
        data = json.loads(cli.ok("review", "show", ref, "--json").stdout)
        if not data["unmet"]:
            cli.ok("review", "advance", ref)
            return
        travel.shift(timedelta(days=1))
    raise AssertionError(f"{ref} never became ready: {data['unmet']}")


# --- a review with something in every section of a report -----------------------------

HOSTILE = 'Bins <script>alert("x")</script> & <img src=x onerror=alert(1)> | **bold** {{ 7*7 }}'


@pytest.fixture
def reviewed(initialised: Cli, new_review: Callable[..., str],
             travel: time_machine.Coordinates, tmp_path: Path) -> str:
    """A review taken to monitor, with everything the reports show, and hostile text."""
    ref = new_review(HOSTILE)
    initialised.ok("party", "add", ref, "--name", "Sam <b>Patel</b>", "--email",
                   "sam@unison.example", "--organisation", "UNISON", "--category", "trade_union")
    initialised.ok("evidence", "add", ref, "--kind", "terms_of_reference", "--title",
                   "Confidential staffing plan", "--disclosure", "confidential")
    initialised.ok("evidence", "add", ref, "--kind", "meeting_minutes", "--title",
                   "Working-party minutes", "--disclosure", "restricted")
    prepare(initialised, ref, "challenge", tmp_path)
    initialised.ok("review", "advance", ref, "--override-timetable", "--reason",
                   "Members <em>agreed</em> to shorten")
    initialised.ok("agreement", "record", ref, "--item", "scope", "--agreed-by", "UNISON",
                   "--dissent", "GMB", "--external", "GMB",
                   "--note", "GMB <i>objects</i>")
    for stage in ("compare", "consult", "compete", "report"):
        prepare(initialised, ref, stage, tmp_path)
        advance_when_ready(initialised, ref, travel)
    initialised.ok("pi", "record", ref, "BV82a", "--period", "2026-27", "--value", "35")
    return ref
