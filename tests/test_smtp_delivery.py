"""Delivery over real SMTP (aiosmtpd on loopback) with refusals, hangs and an outage."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from conftest import Cli, SmtpServer, Target, events, query, snapshot, use_smtp


def statuses(db: Target) -> dict[str, tuple[str, int, str | None]]:
    rows = query(db, "SELECT recipient, status, attempts, last_error FROM outbox ORDER BY id")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def watched_review(cli: Cli, new_review: Callable[..., str], *people: str) -> str:
    ref = new_review()
    for person in people:
        cli.ok("review", "watch", ref, person)
    cli.ok("review", "suspend", ref, "--reason", "Purdah")
    return ref


def test_each_recipient_gets_one_message(initialised: Cli, new_review: Callable[..., str],
                                        smtp_server: SmtpServer) -> None:
    use_smtp(initialised.db, smtp_server.port)
    watched_review(initialised, new_review, "rep@unison.example", "chair@tenants.example")
    assert initialised.ok("sweep").stdout == "queued 0, sent 4, retrying 0, failed 0\n"
    got = sorted((to, str(m["Subject"])) for to, m in smtp_server.handler.received)
    assert [to for to, _ in got] == ["chair@tenants.example", "jo@exampleshire.gov.uk",
                                     "jo@exampleshire.gov.uk", "rep@unison.example"]
    assert not smtp_server.handler.bare_lf_seen
    initialised.ok("sweep")
    assert len(smtp_server.handler.received) == 4


def test_refusals_550_permanent_451_retried(
        initialised: Cli, new_review: Callable[..., str], smtp_server: SmtpServer,
        travel: time_machine.Coordinates) -> None:
    use_smtp(initialised.db, smtp_server.port, max_attempts=3)
    smtp_server.handler.rcpt_replies = {"gone@example.org": "550 5.1.1 No such user",
                                        "busy@example.org": "451 4.3.0 Try again later"}
    watched_review(initialised, new_review, "gone@example.org", "busy@example.org")
    assert initialised.ok("sweep").stdout == "queued 0, sent 2, retrying 1, failed 1\n"
    state = statuses(initialised.db)
    assert state["gone@example.org"][:2] == ("failed", 1)
    assert "550" in (state["gone@example.org"][2] or "")
    assert state["busy@example.org"][:2] == ("pending", 1)
    failed = [json.loads(e[6])["payload"] for e in events(initialised.db)
              if e[2] == "notification.failed"]
    assert [p["recipient"] for p in failed] == ["gone@example.org"]
    # The greylisting server still refuses: two more attempts, backing off, then failed.
    for _ in range(2):
        travel.shift(timedelta(hours=7))
        initialised.ok("sweep")
    assert statuses(initialised.db)["busy@example.org"][:2] == ("failed", 3)
    smtp_server.handler.rcpt_replies = {}
    initialised.ok("outbox", "retry", "--all-failed")
    assert initialised.ok("sweep").stdout == "queued 0, sent 2, retrying 0, failed 0\n"
    delivered = [(to, str(m["Message-ID"])) for to, m in smtp_server.handler.received]
    assert len(delivered) == len(set(delivered)) == 4  # each message once, nobody twice
    assert [to for to, _ in delivered].count("busy@example.org") == 1


def test_data_452_is_retried_then_delivered_once(
        initialised: Cli, new_review: Callable[..., str], smtp_server: SmtpServer,
        travel: time_machine.Coordinates) -> None:
    use_smtp(initialised.db, smtp_server.port)
    smtp_server.handler.data_reply = "452 4.3.1 Insufficient system storage"
    new_review()
    assert initialised.ok("sweep").stdout == "queued 0, sent 0, retrying 1, failed 0\n"
    assert "452" in (statuses(initialised.db)["jo@exampleshire.gov.uk"][2] or "")
    smtp_server.handler.data_reply = None
    initialised.ok("sweep")  # too soon: the backoff has not run out
    assert smtp_server.handler.received == []
    travel.shift(timedelta(minutes=5))
    assert initialised.ok("sweep").stdout == "queued 0, sent 1, retrying 0, failed 0\n"
    assert len(smtp_server.handler.received) == 1


def test_a_hanging_server_times_out_and_is_retried(
        initialised: Cli, new_review: Callable[..., str], smtp_server: SmtpServer) -> None:
    use_smtp(initialised.db, smtp_server.port, timeout=1)
    smtp_server.handler.hang_seconds = 3
    new_review()
    started = time.monotonic()
    assert initialised.ok("sweep").stdout == "queued 0, sent 0, retrying 1, failed 0\n"
    assert time.monotonic() - started < 10
    assert "timed out" in (statuses(initialised.db)["jo@exampleshire.gov.uk"][2] or "")


def test_server_down_for_hours_then_back(
        initialised: Cli, new_review: Callable[..., str], smtp_server: SmtpServer,
        travel: time_machine.Coordinates) -> None:
    use_smtp(initialised.db, smtp_server.port, max_attempts=8)
    smtp_server.stop()
    watched_review(initialised, new_review, "rep@unison.example")
    for _ in range(4):
        result = initialised.ok("sweep")
        assert result.stdout.startswith("queued 0, sent 0,")
        travel.shift(timedelta(hours=1))
    assert {s for s, _, _ in statuses(initialised.db).values()} == {"pending"}
    smtp_server.start()
    travel.shift(timedelta(hours=6))
    assert initialised.ok("sweep").stdout == "queued 0, sent 3, retrying 0, failed 0\n"
    assert sorted(to for to, _ in smtp_server.handler.received) == [
        "jo@exampleshire.gov.uk", "jo@exampleshire.gov.uk", "rep@unison.example"]


def test_password_comes_from_the_environment_and_goes_nowhere_else(
        initialised: Cli, new_review: Callable[..., str], smtp_server: SmtpServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cret-Pa55word"
    (initialised.db.parent / "bvflow.toml").write_text(
        "[mail]\ntransport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\n"
        f"port = {smtp_server.port}\nusername = \"bvflow\"\npassword_env = \"BV_TEST_PW\"\n"
        "timeout = 2\n")
    monkeypatch.setenv("BV_TEST_PW", secret)
    new_review()
    # This server offers no AUTH: the attempt fails, is retried later, and says why.
    result = initialised.ok("sweep")
    assert result.stdout == "queued 0, sent 0, retrying 1, failed 0\n"
    error = statuses(initialised.db)["jo@exampleshire.gov.uk"][2] or ""
    assert "AUTH" in error
    dump = "\n".join(snapshot(initialised.db)[1])
    assert secret not in dump
    assert secret not in result.stdout + result.stderr
    assert secret not in initialised.ok("audit", "log", "--json").stdout
    assert secret not in initialised.ok("outbox", "list", "--json").stdout
