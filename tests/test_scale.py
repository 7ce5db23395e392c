"""Council-wide use: eight coordinators at once, and several delivery workers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import Cli, SmtpServer, events, execute, prepare, query, use_smtp

from bvflow.services.delivery import RECORD_EVERY

WORKER = Path(__file__).with_name("workers") / "coordinator.py"
OPS = 25  # operations per coordinator


@pytest.mark.slow
def test_eight_coordinators_at_once(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init", "--authority", "Exampleshire County Council", "--nation", "england")
    refs = []
    for title in ("Refuse collection", "Street lighting", "Libraries"):
        ref = cli.ok("review", "create", title, "--service", "Various", "--coordinator",
                     "jo@exampleshire.gov.uk").stdout.strip()
        prepare(cli, ref, "challenge", tmp_path)
        refs.append(ref)
    changes = ("review.advanced", "review.returned", "evidence.added")

    def made(ref: str) -> int:
        return sum(1 for e in events(cli.db) if e[3] == ref and e[2] in changes)

    before = {ref: json.loads(cli.ok("review", "show", ref, "--json").stdout)["version"]
              for ref in refs}
    made_before = {ref: made(ref) for ref in refs}
    procs = [subprocess.Popen([sys.executable, str(WORKER), cli.db.sqlalchemy_url, str(OPS),
                               str(seed), *refs], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for seed in range(8)]
    done: Counter[str] = Counter()
    outcome: Counter[str] = Counter()
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        result = json.loads(out)
        done.update(result["done"])
        outcome.update(result["outcome"])
    # Every attempt is accounted for, as a change made, a conflict or a refusal; and changes
    # were made (the checks below are not about an idle database).
    assert outcome["ok"] + outcome["conflict"] + outcome["refused"] == 8 * OPS
    assert outcome["ok"] >= 1
    assert cli.ok("audit", "verify").stdout.startswith("intact:")
    for ref in refs:
        data = json.loads(cli.ok("review", "show", ref, "--json").stdout)
        trail = [e for e in events(cli.db) if e[3] == ref]
        # Every change that succeeded moved the version once and wrote one event; no more.
        assert data["version"] - before[ref] == done[ref]
        assert made(ref) - made_before[ref] == done[ref]
        moves = [e for e in trail if e[2] in ("review.advanced", "review.returned")]
        expected = moves[-1][5] if moves else "challenge"
        assert data["stage"] == expected
    seqs = [e[0] for e in events(cli.db)]
    assert seqs == list(range(1, len(seqs) + 1))


def postgres_only(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.postgres_only(reason=reason)


@pytest.mark.slow
@postgres_only("several delivery workers need FOR UPDATE SKIP LOCKED")
def test_four_workers_deliver_ten_thousand_messages(cli: Cli, smtp_server: SmtpServer) -> None:
    cli.ok("init", "--authority", "Exampleshire County Council", "--nation", "england")
    cli.ok("review", "create", "Refuse collection", "--service", "Waste", "--coordinator",
           "jo@exampleshire.gov.uk")
    execute(cli.db,
            "INSERT INTO outbox (dedupe_key, review_id, kind, recipient, recipient_name, "
            "context, status, attempts, next_attempt_at, created_at) "
            "SELECT 'load:' || g, review_id, kind, 'r' || g || '@example.org', '', context, "
            "'pending', 0, next_attempt_at, created_at "
            "FROM outbox, generate_series(1, 10000) AS g WHERE id = 1",
            "DELETE FROM outbox WHERE id = 1")
    use_smtp(cli.db, smtp_server.port, timeout=5)
    settings = cli.db.parent / "bvflow.toml"
    settings.write_text(settings.read_text().replace("[mail.smtp]",
                                                     "lease_seconds = 12\n[mail.smtp]"))
    command = [sys.executable, "-m", "bvflow", "--db", str(cli.db), "sweep"]
    workers = [subprocess.Popen(command, cwd=cli.db.parent, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    deadline = time.monotonic() + 60
    while len(smtp_server.handler.received) < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers[0].kill()  # kill -9 in the middle of a batch
    workers[0].communicate(timeout=30)
    for worker in workers[1:]:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
    # Leases run out (the dead worker's, and any batch a live worker stopped short of its
    # lease's end); a message that met a slow server waits for its backoff. Then all is sent.
    deadline = time.monotonic() + 240
    statuses = query(cli.db, "SELECT status, count(*) FROM outbox GROUP BY status")
    while statuses != [("sent", 10000)] and time.monotonic() < deadline:
        time.sleep(2)
        cli.ok("sweep")
        statuses = query(cli.db, "SELECT status, count(*) FROM outbox GROUP BY status")
    assert statuses == [("sent", 10000)]
    received = Counter(str(m["Message-ID"]) for _, m in smtp_server.handler.received)
    assert len(received) == 10000  # none lost
    # Sent at most once more than recorded: only what the dead worker had sent and not yet
    # recorded (outcomes are recorded a batch at a time) went twice, each once more.
    assert max(received.values()) <= 2
    assert sum(received.values()) - 10000 <= RECORD_EVERY
    recorded = query(cli.db, "SELECT count(*) FROM audit_events "
                             "WHERE action = 'notification.sent'")[0][0]
    assert recorded == 10000
    assert cli.ok("audit", "verify").stdout.startswith("intact:")
