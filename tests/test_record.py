"""The trusted record: who was authenticated beside who was named, and the state as events."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from conftest import Cli, query, snapshot
from sqlalchemy import create_engine, text

from bvflow.domain.calendar import LONDON
from bvflow.identity import os_login


def _login_of(cli: Cli) -> str:
    """Who the database authenticates: the OS login on SQLite, session_user on PostgreSQL."""
    if cli.db.path is not None:
        return os_login()
    engine = create_engine(cli.db.sqlalchemy_url)
    with engine.connect() as conn:
        user = str(conn.execute(text("SELECT session_user")).scalar_one())
    engine.dispose()
    return user


def test_a_spoofed_actor_shows_the_real_login_beside_it(
    initialised: Cli, new_review: Callable[..., str]
) -> None:
    ref = new_review()
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Scope",
                   actor="Chief Executive")
    login = _login_of(initialised)
    assert login != "Chief Executive"
    found = json.loads(initialised.ok("audit", "log", "--review", ref, "--json").stdout)
    added = [e for e in found if e["action"] == "evidence.added"]
    assert [(e["actor"], e["login"]) for e in added] == [("Chief Executive", login)]
    rows = list(csv.DictReader(io.StringIO(
        initialised.ok("audit", "log", "--review", ref, "--csv").stdout)))
    assert {(r["actor"], r["login"]) for r in rows if r["action"] == "evidence.added"} == {
        ("Chief Executive", login)}
    table = initialised.ok("audit", "log", "--review", ref).stdout
    assert "LOGIN" in table.splitlines()[0]
    assert "Chief Executive" in table
    # Who overrode the timetable: the internal report names the login too.
    for item in ("scope", "baseline_profile", "information_disclosure"):
        initialised.ok("agreement", "record", ref, "--item", item, "--agreed-by", "UNISON",
                       "--external", "UNISON")
    initialised.ok("evidence", "add", ref, "--kind", "baseline_profile", "--title", "Base")
    initialised.ok("review", "advance", ref, "--override-timetable", "--reason", "Cabinet",
                   actor="Chief Executive")
    internal = initialised.ok("report", "review", ref, "--format", "md").stdout
    assert f"Chief Executive (recorded by login {login})" in internal.replace("\\", "")
    public = initialised.ok("report", "review", ref, "--format", "md",
                            "--audience", "public").stdout
    assert "Chief Executive" in public
    assert f"login {login}" not in public
    # The login is hashed into the event's record and kept in its column.
    records = query(initialised.db, "SELECT login, record FROM audit_events "
                                    "WHERE action = 'evidence.added'")
    assert {(r[0], json.loads(r[1])["login"]) for r in records} == {(login, login)}


@pytest.mark.postgres_only
def test_postgresql_holds_the_login_to_the_session_user(
    initialised: Cli, new_review: Callable[..., str]
) -> None:
    ref = new_review()
    engine = create_engine(initialised.db.sqlalchemy_url)
    with engine.begin() as conn:
        stamp = conn.execute(text("SELECT recorded_at FROM audit_events ORDER BY seq DESC")).first()
        assert stamp is not None
        assert stamp[0] is not None  # the server's clock, not the app's
    with pytest.raises(Exception, match="records the session user"), engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_events (seq, at, actor, action, review, record, prev_hash, hash, "
            "login) VALUES (999, now(), 'x', 'review.created', :ref, '{}', 'p', 'h', 'mallory')"
        ), {"ref": ref})
    engine.dispose()


def test_acting_for_another_can_be_forbidden(
    initialised: Cli, new_review: Callable[..., str]
) -> None:
    ref = new_review()
    (initialised.db.parent / "bvflow.toml").write_text("[audit]\nallow_acting_for = false\n")
    before = snapshot(initialised.db)
    refused = initialised("evidence", "add", ref, "--kind", "scope_statement",
                          "--title", "Scope", actor="Chief Executive")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: --actor 'Chief Executive' is not who is logged in")
    assert "allow_acting_for = false" in refused.stderr
    assert snapshot(initialised.db) == before
    login = _login_of(initialised)
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Scope",
                   actor=login)
    # The database's own policy holds whatever settings file a user points at.
    (initialised.db.parent / "bvflow.toml").unlink()
    initialised.ok("init", "--acting-for", "forbid", actor=login)
    (initialised.db.parent / "mine.toml").write_text("[audit]\nallow_acting_for = true\n")
    before = snapshot(initialised.db)
    spoof = initialised("--config", str(initialised.db.parent / "mine.toml"), "evidence",
                        "add", ref, "--kind", "scope_statement", "--title", "X",
                        actor="Chief Executive")
    assert spoof.exit_code == 1
    assert "this database forbids acting for another" in spoof.stderr
    assert snapshot(initialised.db) == before
    shown = json.loads(initialised.ok("audit", "log", "--json").stdout)[-1]
    assert (shown["action"], shown["payload"]["allow_acting_for"]) == ("authority.set", False)
    initialised.ok("init", "--acting-for", "allow", actor=login)
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Y",
                   actor="Chief Executive")
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")
    bad = initialised.db.parent / "bvflow.toml"
    bad.write_text("[audit]\nallow_acting_for = 'no'\n")
    wrong = initialised("review", "show", ref)
    assert wrong.exit_code == 1
    assert "allow_acting_for must be bool" in wrong.stderr


def test_every_state_change_is_carried_by_its_event(
    initialised: Cli, new_review: Callable[..., str]
) -> None:
    ref = new_review()
    initialised.ok("review", "suspend", ref, "--reason", "Purdah")
    rows = query(initialised.db, "SELECT action, record FROM audit_events ORDER BY seq")
    carried = {action: json.loads(record).get("changes", []) for action, record in rows}
    assert {c["table"] for c in carried["review.created"]} >= {"reviews", "stage_entries"}
    suspended = carried["review.suspended"]
    assert {(c["op"], c["table"]) for c in suspended} == {
        ("update", "reviews"), ("insert", "suspensions")}
    update = next(c for c in suspended if c["table"] == "reviews")
    assert update["values"]["status"] == "suspended"
    # It expects the version it was read at and the values it overwrites, so a value altered
    # outside bvflow cannot be written over unseen (replay holds the chain's value).
    assert update["values"]["__expect__"] == {
        "version": 1, "status": "active", "stage": "challenge",
        "updated_at": "2027-01-04T09:30:00.000000Z"}


def _unstamped(text: str) -> str:
    """A report without its generation stamp (which says when, and as of when, it was made)."""
    return re.sub(r"Generated[^<\n]*", "Generated", text)


def test_the_past_on_demand_equals_what_was_shown_then(
    initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
    tmp_path: Path,
) -> None:
    ref = new_review()
    initialised.ok("party", "add", ref, "--name", "Sam", "--email", "sam@unison.example",
                   "--organisation", "UNISON", "--category", "trade_union")
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Scope")
    initialised.ok("agreement", "record", ref, "--item", "scope", "--agreed-by", "UNISON")
    travel.move_to(datetime(2027, 1, 12, 14, 30, tzinfo=LONDON))  # the day of a meeting
    then = {
        (fmt, audience): initialised.ok("report", "review", ref, "--format", fmt,
                                        "--audience", audience).stdout
        for fmt in ("html", "md") for audience in ("public", "internal")
    }
    shown_then = json.loads(initialised.ok("review", "show", ref, "--json").stdout)
    # Much happens afterwards: more evidence, a correction, a withdrawal, a stage change.
    travel.move_to(datetime(2027, 1, 13, 10, 0, tzinfo=LONDON))
    initialised.ok("evidence", "add", ref, "--kind", "baseline_profile", "--title", "Baseline")
    initialised.ok("evidence", "amend", ref, "1", "--title", "Scope (revised)", "--reason", "r")
    initialised.ok("agreement", "withdraw", ref, "1", "--reason", "Wrong item")
    initialised.ok("review", "amend", ref, "--title", "Refuse and recycling", "--reason", "r")
    for item in ("scope", "baseline_profile", "information_disclosure"):
        initialised.ok("agreement", "record", ref, "--item", item, "--agreed-by", "UNISON")
    initialised.ok("review", "advance", ref, "--override-timetable", "--reason", "Cabinet")
    travel.move_to(datetime(2027, 3, 1, 9, 0, tzinfo=LONDON))
    for (fmt, audience), earlier in then.items():
        later = initialised.ok("report", "review", ref, "--format", fmt, "--audience", audience,
                               "--as-of", "2027-01-12 14:30").stdout
        assert "as the record stood at Tue 12 Jan 2027 14:30 GMT" in later
        assert _unstamped(later) == _unstamped(earlier), (fmt, audience)
    replayed = json.loads(initialised.ok("review", "show", ref, "--json",
                                         "--as-of", "2027-01-12 14:30").stdout)
    point = replayed.pop("as_of")
    # Warnings too: the queue is shown as the chain's delivery events say it stood then.
    assert replayed["warnings"] == shown_then["warnings"]
    assert any("still not delivered" in w for w in replayed["warnings"])
    assert replayed == shown_then
    assert point["seq"] == shown_then["history"][-1]["seq"]
    # The same moment by event number, and today's view is untouched.
    by_seq = json.loads(initialised.ok("review", "show", ref, "--json",
                                       "--as-of", str(point["seq"])).stdout)
    assert by_seq["title"] == "Refuse collection"
    assert by_seq["stage"] == "challenge"
    now = json.loads(initialised.ok("review", "show", ref, "--json").stdout)
    assert (now["title"], now["stage"]) == ("Refuse and recycling", "compare")
    # A time that happens twice is given with its offset, as the refusal says.
    twice = initialised("review", "show", ref, "--as-of", "2027-10-31 01:30")
    assert "write 2027-10-31 01:30+01:00 for the first" in twice.stderr
    first = initialised.ok("review", "show", ref, "--as-of", "2027-10-31 01:30+01:00").stdout
    assert first.startswith("As the record stood at Sun 31 Oct 2027 01:30 BST")
    for bad, words in (("0", "there is no event 0"), ("2026-01-01", "the record begins after"),
                       ("12/01/2027", "--as-of takes"), ("2027-02-30", "is not a date"),
                       ("9999-12-31", "outside 1990-2100"), ("\u0663", "--as-of takes"),
                       ("2027-01-12 25:00", "hour must be in 0..23"),
                       ("99999999999999999999", "--as-of takes")):
        result = initialised("review", "show", ref, "--as-of", bad)
        assert result.exit_code == 1
        assert words in result.stderr
