"""kill -9 at each step of a stage change and of a delivery: nothing half-written, nothing lost.

The crash points (bvflow.faults) are armed inside the child process by the test itself;
no setting or environment variable can arm them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from conftest import Cli, SmtpServer, events, prepare, query, use_smtp

CHILD = ("import sys, bvflow.faults as f; f.arm(sys.argv[1]); from bvflow.cli import main; "
         "main(sys.argv[2:], prog_name='bvflow')")


def crash(point: str, cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CHILD, point, "--db", str(cli.db), *args],
                          capture_output=True, text=True, timeout=120, check=False,
                          cwd=cli.db.parent)


@pytest.fixture
def ready(cli: Cli, tmp_path: Path) -> str:
    """A review in challenge with everything but the timetable met (on the real clock)."""
    cli.ok("init", "--authority", "Exampleshire County Council", "--nation", "england")
    ref = cli.ok("review", "create", "Refuse collection", "--service", "Waste", "--coordinator",
                 "jo@exampleshire.gov.uk").stdout.strip()
    prepare(cli, ref, "challenge", tmp_path)
    return ref


def consistent(cli: Cli, ref: str) -> tuple[str, list[str]]:
    """Check the invariants and return the stage and the review's actions."""
    if cli.db.path is not None:
        assert query(cli.db, "PRAGMA integrity_check") == [("ok",)]
    assert cli.ok("audit", "verify").stdout.startswith("intact:")
    stage = json.loads(cli.ok("review", "show", ref, "--json").stdout)["stage"]
    actions = [e[2] for e in events(cli.db) if e[3] == ref]
    moves = [e for e in events(cli.db) if e[2] == "review.advanced"]
    # No stage change without its audit event, and no event without its change.
    assert (stage == "compare") == (len(moves) == 1)
    notices = query(cli.db, "SELECT count(*) FROM outbox WHERE kind = 'stage_changed'")[0][0]
    assert notices == (1 if moves else 0)
    return stage, actions


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after_state", "after_audit", "after_outbox", "after_commit"])
def test_a_crash_during_a_stage_change(cli: Cli, ready: str, point: str) -> None:
    died = crash(point, cli, "review", "advance", ready, "--override-timetable", "--reason",
                 "Members agreed")
    assert died.returncode == -9, died.stderr
    stage, actions = consistent(cli, ready)
    if point == "after_commit":
        assert stage == "compare"
        assert actions[-2:] == ["review.timetable_overridden", "review.advanced"]
    else:
        assert stage == "challenge"
        assert "review.timetable_overridden" not in actions
        # Nothing is stuck: the change can be made again.
        cli.ok("review", "advance", ready, "--override-timetable", "--reason", "Retry")
        consistent(cli, ready)


@pytest.mark.slow
def test_a_crash_after_sending_sends_at_most_once_more(cli: Cli, ready: str,
                                                       smtp_server: SmtpServer) -> None:
    use_smtp(cli.db, smtp_server.port)
    settings = cli.db.parent / "bvflow.toml"
    settings.write_text(settings.read_text().replace("[mail.smtp]",
                                                     "lease_seconds = 60\n[mail.smtp]"))
    died = crash("after_send", cli, "sweep")
    assert died.returncode == -9, died.stderr
    assert len(smtp_server.handler.received) == 1
    assert query(cli.db, "SELECT status FROM outbox") == [("sending",)]
    # The lease is judged on a clock the test holds, not on how long the crash took.
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        assert cli.ok("sweep").stdout.startswith("queued 0, sent 0,")  # still leased
        clock.shift(timedelta(seconds=61))
        assert cli.ok("sweep").stdout == "queued 0, sent 1, retrying 0, failed 0\n"
    ids = {str(m["Message-ID"]) for _, m in smtp_server.handler.received}
    assert len(smtp_server.handler.received) == 2
    assert len(ids) == 1  # the same message, recognisable as a repeat
    sent = [e for e in events(cli.db) if e[2] == "notification.sent"]
    assert len(sent) == 1
    assert cli.ok("sweep").stdout == "queued 0, sent 0, retrying 0, failed 0\n"


@pytest.mark.slow
def test_a_crash_mid_batch_resends_each_message_at_most_once(
        cli: Cli, ready: str, smtp_server: SmtpServer) -> None:
    """Outcomes are recorded a batch at a time: a crash after the first of several sends
    leaves them all unrecorded. After the lease, each goes once more, with its Message-ID,
    and each ends with exactly one notification.sent."""
    use_smtp(cli.db, smtp_server.port)
    settings = cli.db.parent / "bvflow.toml"
    settings.write_text(settings.read_text().replace("[mail.smtp]",
                                                     "lease_seconds = 60\n[mail.smtp]"))
    for number in range(4):
        cli.ok("party", "add", ready, "--name", f"Member {number}", "--email",
               f"member{number}@unison.example", "--organisation", "UNISON",
               "--category", "trade_union")
    # The queue so far goes first; then a suspension's notice to all five is the batch.
    cli.ok("sweep")
    before = len(smtp_server.handler.received)
    cli.ok("review", "suspend", ready, "--reason", "Purdah")
    queued = query(cli.db, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0]
    assert queued == 5
    died = crash("after_send", cli, "sweep")
    assert died.returncode == -9, died.stderr
    assert len(smtp_server.handler.received) == before + 1
    assert query(cli.db, "SELECT count(*) FROM outbox WHERE status = 'sending'") == [(queued,)]
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        clock.shift(timedelta(seconds=61))
        assert cli.ok("sweep").stdout == f"queued 0, sent {queued}, retrying 0, failed 0\n"
    late = smtp_server.handler.received[before:]
    ids = [str(m["Message-ID"]) for _, m in late]
    assert len(late) == queued + 1
    assert len(set(ids)) == queued  # one repeat, recognisable by its Message-ID
    assert max(ids.count(i) for i in ids) == 2
    sent_events = [e for e in events(cli.db) if e[2] == "notification.sent"]
    assert query(cli.db, "SELECT count(*) FROM outbox WHERE status = 'sent'")[0][0] == \
        len(sent_events) == queued + before
    assert query(cli.db, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == [(0,)]
    assert cli.ok("audit", "verify").stdout.startswith("intact:")
