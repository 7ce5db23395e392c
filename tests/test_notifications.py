"""Notices and reminders: queued with the change that causes them, delivered once, on time."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import time_machine
from conftest import Cli, Target, events, query

from bvflow.domain.calendar import LONDON

SHORT = """\
name: short
title: Short review
reminders:
  before_target: [2]
  on_target: true
  overdue_every: 3
  period_ends: 1
stages:
  - name: scope
    title: Scope
    min_working_days: 5
    target_working_days: 10
  - name: done
    title: Done
    final: true
"""


def outbox(db: Target) -> list[tuple[Any, ...]]:
    return query(db, "SELECT kind, recipient, status, dedupe_key FROM outbox ORDER BY id")


def maildir(db: Path) -> list[tuple[str, str]]:
    box = mailbox.Maildir(db.parent / "mail", create=False)
    found = []
    for key in box.keys():
        message = message_from_bytes(box.get_bytes(key), policy=policy.default)
        found.append((str(message["To"]), str(message["Subject"])))
    return sorted(found)


def test_each_change_queues_a_notice_in_its_transaction(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("review", "watch", ref, "rep@unison.example", "--name", "UNISON branch")
    initialised.ok("review", "suspend", ref, "--reason", "Purdah")
    refused = initialised("review", "advance", ref)
    assert refused.exit_code == 4
    initialised.ok("review", "resume", ref)
    initialised.ok("review", "abandon", ref, "--reason", "Transferred")
    kinds = [(kind, to) for kind, to, _, _ in outbox(initialised.db)]
    assert kinds == [
        ("review_opened", "jo@exampleshire.gov.uk"),
        ("review_suspended", "jo@exampleshire.gov.uk"), ("review_suspended", "rep@unison.example"),
        ("review_resumed", "jo@exampleshire.gov.uk"), ("review_resumed", "rep@unison.example"),
        ("review_abandoned", "jo@exampleshire.gov.uk"), ("review_abandoned", "rep@unison.example"),
    ]
    # Every notice is keyed by the audit event that caused it.
    seqs = {e[0]: e[2] for e in events(initialised.db)}
    for _, _, _, key in outbox(initialised.db):
        assert seqs[int(key.split(":")[1])].startswith("review.")


def test_sweep_delivers_to_the_maildir_once(initialised: Cli,
                                            new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("review", "watch", ref, "rep@unison.example", "--name", "UNISON branch")
    initialised.ok("review", "suspend", ref, "--reason", "Purdah")
    assert initialised.ok("sweep").stdout == "queued 0, sent 3, retrying 0, failed 0\n"
    assert initialised.ok("sweep").stdout == "queued 0, sent 0, retrying 0, failed 0\n"
    assert maildir(initialised.db) == sorted([
        ("UNISON branch <rep@unison.example>", f"{ref} Refuse collection: suspended"),
        ("Review coordinator <jo@exampleshire.gov.uk>", f"{ref} Refuse collection: suspended"),
        ("Review coordinator <jo@exampleshire.gov.uk>",
         f"{ref} opened: Best Value review of Refuse collection"),
    ])
    sent = [e for e in events(initialised.db) if e[2] == "notification.sent"]
    assert len(sent) == 3
    payload = json.loads(sent[0][6])["payload"]
    assert set(payload) == {"outbox_id", "kind", "recipient"}
    assert sent[0][1] == "bvflow-mailer"
    listed = json.loads(initialised.ok("outbox", "list", "--json").stdout)
    assert {m["status"] for m in listed} == {"sent"}


def test_user_text_is_escaped_and_never_evaluated(initialised: Cli,
                                                 new_review: Callable[..., str]) -> None:
    ref = new_review("Parks <script>alert(1)</script> {{ 7 * 7 }}")
    initialised.ok("sweep")
    box = mailbox.Maildir(initialised.db.parent / "mail", create=False)
    (message,) = [message_from_bytes(box.get_bytes(k), policy=policy.default) for k in box.keys()]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "{{ 7 * 7 }}" in text
    assert "49" not in text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert ref in str(message["Subject"])


def test_preview_renders_without_sending(initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    result = initialised.ok("notify", "preview", "reminder_due_soon", "--review", ref)
    assert result.stdout.startswith(f"Subject: Reminder: {ref} Challenge is due by Monday 15 "
                                    "February 2027\n")
    assert "5 working days from Monday 8 February 2027" in result.stdout
    html = initialised.ok("notify", "preview", "stage_changed", "--review", ref, "--html")
    assert "<h1>" in html.stdout
    assert [kind for kind, *_ in outbox(initialised.db)] == ["review_opened"]
    bad = initialised("notify", "preview", "birthday", "--review", ref)
    assert bad.exit_code == 1
    assert "unknown notice kind 'birthday'" in bad.stderr


@pytest.mark.parametrize("ended", [False, True], ids=["open", "abandoned"])
def test_a_preview_shows_a_change_a_review_could_make(
        initialised: Cli, new_review: Callable[..., str], ended: bool) -> None:
    """Not "moved from Challenge to Challenge", nor a move out of an abandoned review."""
    ref = new_review()
    if ended:
        initialised.ok("review", "abandon", ref, "--reason", "Service transferred")
    moves = {
        "stage_changed": "moved from Challenge to Compare",
        "review_returned": "from Compare",
        "review_closed": "Monitor",
    }
    for kind, words in moves.items():
        text = initialised.ok("notify", "preview", kind, "--review", ref).stdout
        assert words in text, (kind, text)
        assert "Abandoned to Abandoned" not in text
        assert "Challenge to Challenge" not in text


def test_failed_messages_can_be_retried(initialised: Cli, new_review: Callable[..., str],
                                        tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "review_opened.txt.j2").write_text("{{ no_such_variable }}")
    (initialised.db.parent / "bvflow.toml").write_text(f'[templates]\ndir = "{templates}"\n')
    new_review()
    assert initialised.ok("sweep").stdout == "queued 0, sent 0, retrying 0, failed 1\n"
    failed = json.loads(initialised.ok("outbox", "list", "--status", "failed", "--json").stdout)
    assert "no_such_variable" in failed[0]["last_error"]
    assert events(initialised.db)[-1][2] == "notification.failed"
    (templates / "review_opened.txt.j2").unlink()
    assert initialised.ok("outbox", "retry", "--all-failed").stdout == "queued again: 1\n"
    assert initialised.ok("sweep").stdout == "queued 0, sent 1, retrying 0, failed 0\n"
    again = initialised("outbox", "retry", str(failed[0]["id"]))
    assert again.exit_code == 4
    assert "it is sent, not failed" in again.stderr


def _sweep_on(cli: Cli, travel: time_machine.Coordinates, day: date, hour: int = 9,
              minute: int = 0) -> list[str]:
    travel.move_to(datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON))
    before = len(outbox(cli.db))
    cli.ok("sweep")
    queued = [kind for kind, *_ in outbox(cli.db)[before:]]
    second = cli.ok("sweep")
    assert second.stdout.startswith("queued 0,")
    return queued


def test_reminders_across_easter_and_the_clock_change(
        initialised: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    workflow = tmp_path / "short.yaml"
    workflow.write_text(SHORT)
    travel.move_to(datetime(2027, 3, 22, 9, 0, tzinfo=LONDON))
    ref = initialised.ok("review", "create", "Pest control", "--service", "Environment",
                         "--coordinator", "jo@exampleshire.gov.uk", "--workflow",
                         str(workflow)).stdout.strip()
    initialised.ok("review", "watch", ref, "rep@unison.example")
    queued: dict[date, list[str]] = {}
    day = date(2027, 3, 22)
    while day <= date(2027, 4, 16):
        if day == date(2027, 3, 30):
            # 00:30 on 30 March in London is 23:30 UTC on the 29th (BST began on the 28th):
            # the London date decides, so the reminder is already due.
            early = _sweep_on(initialised, travel, day, 0, 30)
            assert datetime.now(UTC).day == 29
            if early:
                queued[day] = early
        found = _sweep_on(initialised, travel, day)
        if found:
            queued.setdefault(day, []).extend(found)
        day += timedelta(days=1)
    assert queued == {
        date(2027, 3, 30): ["reminder_period_ends", "reminder_period_ends"],
        date(2027, 4, 5): ["reminder_due_soon", "reminder_due_soon"],
        date(2027, 4, 7): ["reminder_due_today", "reminder_due_today"],
        date(2027, 4, 8): ["reminder_overdue"],
        date(2027, 4, 13): ["reminder_overdue"],
        date(2027, 4, 16): ["reminder_overdue"],
    }
    overdue = [r for r in outbox(initialised.db) if r[0] == "reminder_overdue"]
    assert {r[1] for r in overdue} == {"jo@exampleshire.gov.uk"}


def test_no_reminders_while_suspended(initialised: Cli, travel: time_machine.Coordinates,
                                      new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("review", "suspend", ref, "--reason", "Waiting")
    travel.move_to(datetime(2027, 3, 1, 9, tzinfo=LONDON))
    initialised.ok("sweep")
    assert [kind for kind, *_ in outbox(initialised.db) if kind.startswith("reminder_")] == []


QUICK = """\
name: quick
title: Quick
stages:
  - name: first
    title: First
    target_working_days: 2
    reminders:
      before_target: [2]
  - name: second
    title: Second
  - name: done
    title: Done
    final: true
"""


def test_a_stage_entered_again_gets_its_own_reminders(initialised: Cli,
                                                      tmp_path: Path) -> None:
    """A reminder belongs to one entry into a stage: returning to it the same day (so the
    same due date) reminds again, because the entry is part of the reminder's key."""
    flow = tmp_path / "quick.yaml"
    flow.write_text(QUICK)
    ref = initialised.ok("review", "create", "Libraries", "--service", "Culture",
                         "--coordinator", "jo@exampleshire.gov.uk", "--workflow",
                         str(flow)).stdout.strip()
    assert initialised.ok("sweep").stdout.startswith("queued 1,")  # due soon, entry 1
    initialised.ok("review", "advance", ref)
    initialised.ok("review", "return", ref, "--to", "first", "--reason", "Scope widened")
    assert initialised.ok("sweep").stdout.startswith("queued 1,")  # due soon, entry 2
    assert initialised.ok("sweep").stdout.startswith("queued 0,")
    keys = [k for (k,) in query(initialised.db, "SELECT dedupe_key FROM outbox "
                                "WHERE kind = 'reminder_due_soon' ORDER BY id")]
    assert len(keys) == 2
    assert len(set(keys)) == 2


def test_notices_that_wait_too_long_are_reported(
        initialised: Cli, new_review: Callable[..., str],
        travel: time_machine.Coordinates) -> None:
    """The scheduler stopped for days: review show warns while the notices wait, and the
    sweep that finally sends them says they went out late."""
    ref = new_review()
    fresh = json.loads(initialised.ok("review", "show", ref, "--json").stdout)
    assert fresh["warnings"] == []  # queued just now: not late
    travel.shift(timedelta(days=3))
    shown = initialised.ok("review", "show", ref).stdout
    assert "Warning: " in shown
    assert "still not delivered (more than 60 minutes): is the scheduler running?" in shown
    swept = initialised.ok("sweep")
    assert f"(for {ref}) were delivered more than 60 minutes after they were queued" in (
        swept.stderr)
    assert json.loads(initialised.ok("review", "show", ref, "--json").stdout)["warnings"] == []
    (initialised.db.parent / "bvflow.toml").write_text("[mail]\nlate_after_minutes = 0\n")
    bad = initialised("sweep")
    assert bad.exit_code == 1
    assert "late_after_minutes must be between 1 and 10080" in bad.stderr
