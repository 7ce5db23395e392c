"""Shared fixtures: a temporary SQLite database, a CLI runner bound to it, time travel."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import socket
import sqlite3
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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bvflow.db"


@dataclass
class Cli:
    """Runs ``bvflow`` in-process against one database, as one actor."""

    db: Path
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
def cli(db_path: Path) -> Cli:
    return Cli(db_path)


@pytest.fixture
def initialised(cli: Cli, travel: time_machine.Coordinates) -> Cli:
    """A database for Exampleshire (England), created at START."""
    cli.ok("init", "--authority", "Exampleshire County Council", "--nation", "england")
    return cli


@pytest.fixture
def app(initialised: Cli) -> Iterator[App]:
    application = App(Database(f"sqlite:///{initialised.db}"), actor="api-user")
    yield application
    application.db.dispose()


@pytest.fixture
def new_review(initialised: Cli) -> Callable[..., str]:
    def create(title: str = "Refuse collection", *extra: str) -> str:
        result = initialised.ok("review", "create", title, "--service", "Waste",
                                "--coordinator", "jo@exampleshire.gov.uk", *extra)
        return result.stdout.strip()

    return create


def snapshot(path: Path) -> tuple[str, list[str]]:
    """The database file's hash and its logical dump: both must be unchanged by bad input."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"
    if not path.exists():
        return digest, []
    with sqlite3.connect(path) as conn:
        dump = list(conn.iterdump())
    conn.close()
    return digest, dump


def events(path: Path) -> list[tuple[Any, ...]]:
    """Every audit event row (seq, actor, action, review, from, to, record)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT seq, actor, action, review, from_stage, to_stage, record "
                            "FROM audit_events ORDER BY seq").fetchall()
    finally:
        conn.close()


# --- mail -------------------------------------------------------------------------------

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
        cli.ok("agreement", "record", ref, "--item", item, "--agreed-by", "UNISON")
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
        soon = datetime.now(LONDON) + timedelta(days=10)
        cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
               soon.strftime("%Y-%m-%d 18:00"), "--place", "Town Hall")
    if stage in ("consult", "compete"):
        paper = tmp / f"{stage}-proposal.txt"
        paper.write_text(f"Proposal for {stage}\n")
        cli.ok("proposal", "circulate", ref, "--title", f"Proposal for {stage}", "--file",
               str(paper))


def advance_when_ready(cli: Cli, ref: str, travel: time_machine.Coordinates) -> None:
    """Travel a day at a time until the review may advance, then advance it."""
    for _ in range(400):
        data = json.loads(cli.ok("review", "show", ref, "--json").stdout)
        if not data["unmet"]:
            cli.ok("review", "advance", ref)
            return
        travel.shift(timedelta(days=1))
    raise AssertionError(f"{ref} never became ready: {data['unmet']}")
