"""The review lifecycle through the CLI, checking output, database and audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from conftest import STAGE_EVIDENCE, Cli, advance_when_ready, events, prepare, query, snapshot

from bvflow.domain.calendar import LONDON
from bvflow.store.database import SCHEMA_HEAD


def show(cli: Cli, ref: str) -> dict[str, object]:
    return json.loads(cli.ok("review", "show", ref, "--json").stdout)


def go_to(travel: time_machine.Coordinates, day: str) -> None:
    travel.move_to(datetime.fromisoformat(day).replace(hour=10, tzinfo=LONDON))


def test_create_prints_only_the_reference(initialised: Cli) -> None:
    result = initialised.ok("review", "create", "Refuse collection", "--service", "Waste",
                            "--coordinator", "jo@exampleshire.gov.uk")
    assert result.stdout == "BV-2027-001\n"
    second = initialised.ok("review", "create", "Street lighting", "--service", "Highways",
                            "--coordinator", "sam@exampleshire.gov.uk")
    assert second.stdout == "BV-2027-002\n"
    actions = [(e[2], e[3], e[5]) for e in events(initialised.db)]
    assert actions == [("authority.set", None, None),
                       ("definition.pinned", "BV-2027-001", None),
                       ("review.created", "BV-2027-001", "challenge"),
                       ("review.created", "BV-2027-002", "challenge")]


def test_show_reports_the_timetable_and_every_unmet_requirement(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    data = show(initialised, ref)
    assert data["stage"] == "challenge"
    assert data["status"] == "active"
    assert data["entered_on"] == "2027-01-04"
    assert data["clear_working_days"] == 0
    assert data["earliest_advance"] == "2027-01-19"
    assert data["target_date"] == "2027-02-15"
    assert [u["kind"] for u in data["unmet"]] == [  # type: ignore[union-attr, index]
        "timetable", "evidence", "evidence", "agreement", "agreement", "agreement"]
    text = initialised.ok("review", "show", ref).stdout
    assert "Earliest advance: Tuesday 19 January 2027" in text
    assert "no scope_statement evidence" in text


def test_refusal_names_two_unmet_conditions_at_once(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates) -> None:
    ref = new_review()
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Scope")
    go_to(travel, "2027-01-07")
    before = snapshot(initialised.db)
    result = initialised("review", "advance", ref)
    assert result.exit_code == 4
    assert result.stdout == ""
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith(f"Error: cannot advance {ref}")
    assert "has run 2 of 10 clear working days" in message
    assert "wait until Tuesday 19 January 2027" in message
    assert "no baseline_profile evidence" in message
    assert snapshot(initialised.db) == before


def test_override_is_recorded_with_its_reason(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    ref = new_review()
    prepare(initialised, ref, "challenge", tmp_path)
    go_to(travel, "2027-01-07")
    result = initialised.ok("review", "advance", ref, "--override-timetable",
                            "--reason", "Members agreed to shorten", actor="jo")
    assert result.stdout == f"{ref} advanced: challenge -> compare, status active " \
                            "(timetable overridden)\n"
    logged = json.loads(initialised.ok("audit", "log", "--action",
                                       "review.timetable_overridden", "--json").stdout)
    assert len(logged) == 1
    assert logged[0]["actor"] == "jo"
    assert logged[0]["payload"]["reason"] == "Members agreed to shorten"
    assert "2 of 10 clear working days" in logged[0]["payload"]["unmet"]
    assert show(initialised, ref)["stage"] == "compare"


def test_override_does_not_bypass_missing_evidence(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    result = initialised("review", "advance", ref, "--override-timetable", "--reason", "Urgent")
    assert result.exit_code == 4
    assert "scope_statement" in result.stderr
    assert "clear working days" not in result.stderr


def test_a_review_runs_from_challenge_to_closed(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    ref = new_review()
    stages = []
    for stage in STAGE_EVIDENCE:
        prepare(initialised, ref, stage, tmp_path)
        earliest = show(initialised, ref)["earliest_advance"]
        go_to(travel, str(earliest))
        advance_when_ready(initialised, ref, travel)
        stages.append(stage)
    data = show(initialised, ref)
    assert (data["stage"], data["status"], data["unmet"]) == ("closed", "closed", [])
    moves = [(e[4], e[5]) for e in events(initialised.db) if e[2] == "review.advanced"]
    assert moves == list(zip(stages, [*stages[1:], "closed"], strict=True))
    refused = initialised("review", "advance", ref)
    assert refused.exit_code == 4
    assert "not possible from stage closed" in refused.stderr
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_return_restarts_the_discussion_period(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    ref = new_review()
    prepare(initialised, ref, "challenge", tmp_path)
    go_to(travel, "2027-01-19")
    initialised.ok("review", "advance", ref)
    go_to(travel, "2027-01-21")
    result = initialised.ok("review", "return", ref, "--to", "challenge", "--reason",
                            "Scope widened to include recycling")
    assert "returned: compare -> challenge" in result.stdout
    data = show(initialised, ref)
    assert (data["stage"], data["entered_on"], data["earliest_advance"]) == \
        ("challenge", "2027-01-21", "2027-02-05")
    # Evidence recorded earlier in challenge still counts; only the timetable is unmet.
    assert [u["kind"] for u in data["unmet"]] == ["timetable"]  # type: ignore[union-attr, index]
    onward = initialised("review", "return", ref, "--to", "consult", "--reason", "x")
    assert onward.exit_code == 4
    returned = [e for e in events(initialised.db) if e[2] == "review.returned"]
    assert json.loads(returned[0][6])["payload"]["reason"] == "Scope widened to include recycling"


def test_a_return_keeps_evidence_agreements_and_activities_but_not_proposals_or_meetings(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    """docs/stages.md, "What a return to an earlier stage keeps"."""
    ref = new_review()
    for stage in ("challenge", "compare", "consult"):
        prepare(initialised, ref, stage, tmp_path)
        go_to(travel, str(show(initialised, ref)["earliest_advance"]))
        advance_when_ready(initialised, ref, travel)
    assert show(initialised, ref)["stage"] == "compete"
    initialised.ok("review", "return", ref, "--to", "consult", "--reason", "New tender rules")
    unmet = show(initialised, ref)["unmet"]
    kinds = [u["kind"] for u in unmet]  # type: ignore[union-attr, index]
    # The consultation plan, findings and activities recorded before still count; the
    # discussion starts again, with a new proposal and a meeting held in this entry.
    assert kinds == ["timetable", "proposal", "meeting"], kinds
    # Withdrawn, an activity no longer counts.
    initialised.ok("activity", "withdraw", ref, "1", "--reason", "Recorded twice")
    kinds = [u["kind"] for u in show(initialised, ref)["unmet"]]  # type: ignore[union-attr, index]
    assert kinds == ["timetable", *["involvement"] * 3, "proposal", "meeting"], kinds
    initialised.ok("activity", "add", ref, "--method", "workshop", "--on",
                   datetime.now(LONDON).date().isoformat(), "--category", "trade_union",
                   "--category", "tenants", "--category", "users")
    (tmp_path / "revised.txt").write_text("Revised proposal\n")
    initialised.ok("proposal", "circulate", ref, "--title", "Revised", "--file",
                   str(tmp_path / "revised.txt"))
    soon = datetime.now(LONDON) + timedelta(days=12)
    initialised.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
                   soon.strftime("%Y-%m-%d 18:00"), "--place", "Hall")
    advance_when_ready(initialised, ref, travel)
    assert show(initialised, ref)["stage"] == "compete"
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_suspension_stops_the_clock(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    ref = new_review()
    prepare(initialised, ref, "challenge", tmp_path)
    go_to(travel, "2027-01-06")
    initialised.ok("review", "suspend", ref, "--reason", "Pre-election period")
    assert show(initialised, ref)["status"] == "suspended"
    blocked = initialised("review", "advance", ref, "--override-timetable", "--reason", "x")
    assert blocked.exit_code == 4
    assert "suspended" in blocked.stderr
    go_to(travel, "2027-01-08")
    initialised.ok("review", "resume", ref)
    data = show(initialised, ref)
    assert data["status"] == "active"
    assert data["earliest_advance"] == "2027-01-22"  # 6, 7, 8 January do not count
    again = initialised("review", "resume", ref)
    assert again.exit_code == 4
    assert "not suspended" in again.stderr
    assert [e[2] for e in events(initialised.db)][-2:] == ["review.suspended", "review.resumed"]


def test_abandon_ends_the_review(initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("review", "suspend", ref, "--reason", "Waiting for the county")
    initialised.ok("review", "abandon", ref, "--reason", "Service transferred to the county")
    data = show(initialised, ref)
    assert (data["stage"], data["status"]) == ("abandoned", "abandoned")
    last = json.loads(events(initialised.db)[-1][6])
    assert last["action"] == "review.abandoned"
    assert last["payload"]["abandoned_in"] == "challenge"
    assert initialised("review", "advance", ref).exit_code == 4
    added = initialised("evidence", "add", ref, "--kind", "scope_statement", "--title", "Late")
    assert added.exit_code == 4


def test_stale_version_is_a_conflict(initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    assert show(initialised, ref)["version"] == 1
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Scope")
    before = snapshot(initialised.db)
    result = initialised("review", "suspend", ref, "--reason", "x", "--if-version", "1")
    assert result.exit_code == 3
    assert "changed since you read it" in result.stderr
    assert snapshot(initialised.db) == before
    initialised.ok("review", "suspend", ref, "--reason", "x", "--if-version", "2")


def test_list_filters_and_formats(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates) -> None:
    first, second = new_review("Refuse collection"), new_review("Street lighting")
    initialised.ok("review", "suspend", second, "--reason", "Waiting")
    go_to(travel, "2027-02-16")  # the day after challenge's due date
    listed = json.loads(initialised.ok("review", "list", "--json").stdout)
    assert [(r["ref"], r["status"], r["overdue"]) for r in listed] == [
        (first, "active", True), (second, "suspended", False)]
    overdue = json.loads(initialised.ok("review", "list", "--overdue", "--json").stdout)
    assert [r["ref"] for r in overdue] == [first]
    suspended = json.loads(initialised.ok("review", "list", "--status", "suspended",
                                          "--json").stdout)
    assert [r["ref"] for r in suspended] == [second]
    assert json.loads(initialised.ok("review", "list", "--stage", "consult", "--json").stdout) == []
    csv_lines = initialised.ok("review", "list", "--csv").stdout.splitlines()
    assert csv_lines[0].startswith("\ufeffref,title,service")  # UTF-8 with its mark
    assert csv_lines[1].startswith(f"{first},Refuse collection,Waste")
    table = initialised.ok("review", "list").stdout
    assert "Mon 15 Feb 2027 OVERDUE" in table  # the UK date style, not ISO
    initialised.ok("review", "abandon", first, "--reason", "Outsourced")
    (line,) = [r for r in initialised.ok("review", "list").stdout.splitlines() if first in r]
    # An abandoned review's days no longer run and it is due for nothing.
    assert line.split()[1:5] == ["abandoned", "abandoned", "-", "-"]


def test_evidence_with_a_file_is_stored_and_hashed(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    paper = tmp_path / "scope.txt"
    paper.write_bytes(b"Scope: weekly collection, all wards\n")
    added = json.loads(initialised.ok("evidence", "add", ref, "--kind", "scope_statement",
                                      "--title", "Scope", "--file", str(paper),
                                      "--disclosure", "public", "--json").stdout)
    assert added["file_name"] == "scope.txt"
    assert added["file_size"] == 36
    listed = json.loads(initialised.ok("evidence", "list", ref, "--json").stdout)
    assert [(e["kind"], e["disclosure"], e["file_sha256"]) for e in listed] == [
        ("scope_statement", "public", added["file_sha256"])]
    ((content,),) = query(initialised.db, "SELECT content FROM evidence")
    assert content == paper.read_bytes()
    payload = json.loads(events(initialised.db)[-1][6])["payload"]
    assert payload["file_sha256"] == added["file_sha256"]
    assert "content" not in payload


def test_audit_log_filters(initialised: Cli, new_review: Callable[..., str],
                           travel: time_machine.Coordinates) -> None:
    ref = new_review()
    go_to(travel, "2027-01-11")
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "S", actor="al")
    by_al = json.loads(initialised.ok("audit", "log", "--actor", "al", "--json").stdout)
    assert [e["action"] for e in by_al] == ["evidence.added"]
    since = json.loads(initialised.ok("audit", "log", "--since", "2027-01-05", "--json").stdout)
    assert [e["action"] for e in since] == ["evidence.added"]
    until = json.loads(initialised.ok("audit", "log", "--until", "2027-01-04", "--json").stdout)
    assert [e["action"] for e in until] == ["authority.set", "definition.pinned",
                                            "review.created"]
    for_review = json.loads(initialised.ok("audit", "log", "--review", ref.lower(),
                                           "--json").stdout)
    assert len(for_review) == 3
    csv_out = initialised.ok("audit", "log", "--csv").stdout.splitlines()
    assert csv_out[0] == "\ufeffseq,at,actor,login,action,review,from_stage,to_stage,payload,hash"
    assert len(csv_out) == 5


def test_closure_day_moves_the_earliest_date(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("calendar", "close", "2027-01-05", "--reason", "Office move")
    assert show(initialised, ref)["earliest_advance"] == "2027-01-20"
    listed = json.loads(initialised.ok("calendar", "list", "--json").stdout)
    assert listed == [{"day": "2027-01-05", "reason": "Office move", "added_by": "coordinator",
                       "working": False}]
    assert events(initialised.db)[-1][2] == "calendar.closure_added"


def test_init_again_keeps_the_authority_and_db_commands(initialised: Cli) -> None:
    again = initialised.ok("init")
    assert "Exampleshire County Council (england)" in again.stdout
    assert [e[2] for e in events(initialised.db)] == ["authority.set"]
    current = json.loads(initialised.ok("db", "current", "--json").stdout)
    assert current["up_to_date"] is True
    assert f"is at schema {SCHEMA_HEAD}" in initialised.ok("db", "upgrade").stdout


def test_closures_cannot_rewrite_the_past_or_close_a_holiday(initialised: Cli) -> None:
    past = initialised("calendar", "close", "2027-01-01", "--reason", "Late entry")
    assert past.exit_code == 1
    assert "is in the past" in past.stderr
    weekend = initialised("calendar", "close", "2027-01-09", "--reason", "Saturday")
    assert weekend.exit_code == 1
    assert "already not a working day (a weekend)" in weekend.stderr
    holiday = initialised("calendar", "close", "2027-03-29", "--reason", "Easter")
    assert "already not a working day (Easter Monday)" in holiday.stderr


def test_history_leaves_out_mailer_events(initialised: Cli,
                                          new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("sweep")
    assert events(initialised.db)[-1][2] == "notification.sent"
    history = show(initialised, ref)["history"]
    assert [h["action"] for h in history] == ["definition.pinned", "review.created"]  # type: ignore[union-attr, index]


def test_evidence_counts_only_in_the_stage_it_was_recorded_in(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    """Consultation evidence recorded early, in challenge, does not meet consult's needs."""
    ref = new_review()
    for kind in STAGE_EVIDENCE["consult"]:
        initialised.ok("evidence", "add", ref, "--kind", kind, "--title", f"early {kind}")
    for stage in ("challenge", "compare"):
        prepare(initialised, ref, stage, tmp_path)
        advance_when_ready(initialised, ref, travel)
    shown = json.loads(initialised.ok("review", "show", ref, "--json").stdout)
    assert shown["stage"] == "consult"
    unmet = " ".join(u["message"] for u in shown["unmet"])
    for kind in STAGE_EVIDENCE["consult"]:
        assert f"no {kind} evidence has been recorded in stage consult" in unmet
    prepare(initialised, ref, "consult", tmp_path)
    shown = json.loads(initialised.ok("review", "show", ref, "--json").stdout)
    assert not any("evidence" in u["message"] for u in shown["unmet"])


def test_an_earliest_date_on_a_weekend_is_given_as_the_next_working_day(
        initialised: Cli, travel: time_machine.Coordinates) -> None:
    """Entered on Friday 8 January 2027, ten clear working days are complete from Saturday 23
    January: people can act on Monday 25 January, and that is the date bvflow gives."""
    travel.move_to(datetime(2027, 1, 8, 10, 0, tzinfo=LONDON))
    ref = initialised.ok("review", "create", "Libraries", "--service", "Culture",
                         "--coordinator", "ann@exampleshire.gov.uk").stdout.strip()
    data = show(initialised, ref)
    assert (data["earliest_advance"], data["earliest_working_day"]) == (
        "2027-01-23", "2027-01-25")
    text = initialised.ok("review", "show", ref).stdout
    assert ("Earliest advance: Monday 25 January 2027 (the period is complete from Saturday "
            "23 January 2027, not a working day)") in text
    refused = initialised("review", "advance", ref)
    assert refused.exit_code == 4
    assert "wait until Monday 25 January 2027 (the period is complete from Saturday 23 " \
        "January 2027, not a working day)" in refused.stderr
    report = initialised.ok("report", "review", ref, "--format", "html").stdout
    assert "may advance from Monday 25 January 2027" in report


def test_a_refusal_lists_every_unmet_requirement_in_full(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    """Not cut at the length meant for errors that quote what was typed."""
    ref = new_review()
    refused = initialised("review", "advance", ref)
    assert refused.exit_code == 4
    assert "more characters" not in refused.stderr
    for unmet in show(initialised, ref)["unmet"]:  # type: ignore[union-attr]
        assert unmet["remedy"] in refused.stderr
