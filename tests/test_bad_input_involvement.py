"""Bad input to the involvement commands: one line, the documented exit code, nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, snapshot

REF = "BV-2027-001"
CASES = [
    ("party-bad-email", ["party", "add", REF, "--name", "A", "--email", "not-an-address",
                         "--organisation", "X", "--category", "users"], 1, "not a valid email"),
    ("party-bad-role", ["party", "add", REF, "--name", "A", "--email", "a@example.org",
                        "--organisation", "X", "--category", "users", "--role", "king"], 1,
     "unknown role 'king'"),
    ("party-unknown-review", ["party", "list", "BV-1999-001"], 1, "no review"),
    ("party-remove-stranger", ["party", "remove", REF, "who@example.org", "--reason", "x"], 1,
     "is not in the working party"),
    ("party-remove-no-reason", ["party", "remove", REF, "who@example.org"], 2,
     "Missing option '--reason'"),
    ("activity-bad-date", ["activity", "add", REF, "--method", "survey", "--on", "2027-13-01",
                           "--category", "users"], 1, "is not a date"),
    ("activity-no-category", ["activity", "add", REF, "--method", "survey", "--on",
                              "2027-01-04"], 1, "at least one --category"),
    ("activity-bad-method", ["activity", "add", REF, "--method", "seance", "--on", "2027-01-04",
                             "--category", "users"], 1, "unknown method"),
    ("activity-future", ["activity", "add", REF, "--method", "survey", "--on", "2027-06-01",
                         "--category", "users"], 1, "in the future"),
    ("meeting-bad-datetime", ["meeting", "schedule", REF, "--title", "T", "--at", "tuesday",
                              "--place", "P"], 1, "is not a date and time"),
    ("meeting-in-the-past", ["meeting", "schedule", REF, "--title", "T", "--at",
                             "2026-12-01 18:00", "--place", "P"], 1, "must be in the future"),
    ("meeting-short-notice", ["meeting", "schedule", REF, "--title", "T", "--at",
                              "2027-01-06 18:00", "--place", "P"], 4,
     "earliest date with the agreed notice"),
    ("meeting-missing-paper", ["meeting", "schedule", REF, "--title", "T", "--at",
                               "2027-02-01 18:00", "--place", "P", "--papers", "nope.pdf"], 1,
     "cannot read"),
    ("meeting-unknown-id", ["meeting", "cancel", REF, "9", "--reason", "x"], 1, "no meeting 9"),
    ("meeting-reschedule-nothing", ["meeting", "reschedule", REF, "1"], 1, "give a new --at"),
    ("proposal-missing-file", ["proposal", "circulate", REF, "--title", "T", "--file",
                               "nope.pdf"], 1, "cannot read"),
    ("proposal-control-chars", ["proposal", "circulate", REF, "--title", "a\x1b[31mb",
                                "--file", "nope.pdf"], 1, "control characters"),
    ("agreement-nobody", ["agreement", "record", REF, "--item", "scope"], 1,
     "at least one organisation"),
    ("agreement-default-wrong-item", ["agreement", "record", REF, "--item", "scope",
                                      "--agreed-by", "X", "--disclosure-default", "public"], 1,
     "only belongs to the information_disclosure item"),
    ("review-watch-bad-email", ["review", "watch", REF, "bob"], 1, "not a valid email"),
    ("review-unwatch-stranger", ["review", "unwatch", REF, "bob@example.org"], 1,
     "does not watch"),
    ("outbox-retry-nothing", ["outbox", "retry"], 1, "give either a message id"),
    ("outbox-retry-unknown", ["outbox", "retry", "99"], 1, "no outbox message 99"),
    ("outbox-bad-status", ["outbox", "list", "--status", "lost"], 1, "Invalid value"),
    ("preview-unknown-kind", ["notify", "preview", "gossip", "--review", REF], 1,
     "unknown notice kind"),
    ("sweep-bad-settings", ["--config", "missing.toml", "sweep"], 1, "cannot read settings"),
]


@pytest.mark.parametrize(("args", "code", "words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path, monkeypatch:
        pytest.MonkeyPatch, args: list[str], code: int, words: str) -> None:
    assert new_review() == REF
    initialised.ok("meeting", "schedule", REF, "--title", "WP", "--at", "2027-02-01 18:00",
                   "--place", "Town Hall")
    monkeypatch.chdir(tmp_path)
    before = snapshot(initialised.db)
    result = initialised(*args)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert words in lines[0]
    assert snapshot(initialised.db) == before


def test_bad_settings_file_is_one_line(initialised: Cli) -> None:
    (initialised.db.parent / "bvflow.toml").write_text("[mail]\ntransport = \"pigeon\"\n")
    result = initialised("sweep")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "transport must be one of maildir, smtp, notify, not 'pigeon'" in result.stderr
    (initialised.db.parent / "bvflow.toml").write_text("[mail\n")
    broken = initialised("sweep")
    assert broken.exit_code == 1
    assert "is not valid TOML" in broken.stderr
