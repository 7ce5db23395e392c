"""Corrections, never deletions: every correction command through the CLI, with the database,
the audit trail, review show and the report checked afterwards, and bad input for each."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, query, snapshot


@pytest.fixture
def review(initialised: Cli, new_review: Callable[..., str]) -> str:
    """A review with a member, an agreement with dissent, evidence and an activity."""
    ref = new_review()
    initialised.ok("party", "add", ref, "--name", "Sam", "--email", "sam@unison.example",
                   "--organisation", "UNISON City Branch", "--category", "trade_union")
    initialised.ok("party", "add", ref, "--name", "Pat", "--email", "pat@gmb.example",
                   "--organisation", "GMB Refuse Section", "--category", "trade_union")
    initialised.ok("agreement", "record", ref, "--item", "scope", "--agreed-by",
                   "unison city branch", "--dissent", "GMB Refuse Section")
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Scpoe")
    initialised.ok("activity", "add", ref, "--method", "workshop", "--on", "2027-01-04",
                   "--category", "trade_union", "--organisation", "UNISON City Branch")
    return ref


def _last_event(cli: Cli) -> dict[str, object]:
    rows = query(cli.db, "SELECT actor, action, record FROM audit_events ORDER BY seq DESC")
    actor, action, record = rows[0]
    return {"actor": actor, "action": action, "payload": json.loads(record)["payload"]}


def test_a_mistyped_organisation_is_refused_and_external_ones_must_say_so(
    initialised: Cli, review: str
) -> None:
    before = snapshot(initialised.db)
    typo = initialised("agreement", "record", review, "--item", "baseline_profile",
                       "--agreed-by", "Unison Citty Branch")
    assert typo.exit_code == 1
    assert ("'Unison Citty Branch' is not an organisation on the working party of "
            "BV-2027-001 (on it: GMB Refuse Section; UNISON City Branch)") in typo.stderr
    assert snapshot(initialised.db) == before
    initialised.ok("agreement", "record", review, "--item", "baseline_profile",
                   "--agreed-by", "UNISON City Branch", "--agreed-by", "Environment Scrutiny",
                   "--external", "Environment Scrutiny")
    listed = json.loads(initialised.ok("agreement", "list", review, "--json").stdout)
    # The working party's spelling is kept, whatever the case typed.
    assert listed[0]["agreed_by"] == ["UNISON City Branch"]
    assert listed[1]["agreed_by"] == ["UNISON City Branch", "Environment Scrutiny"]
    everyone = initialised.ok("agreement", "record", review, "--item", "timetable",
                              "--all-members", "--json").stdout
    assert json.loads(everyone)["agreed_by"] == ["UNISON City Branch", "GMB Refuse Section"]


def test_an_agreement_is_amended_and_withdrawn_and_both_stay_on_record(
    initialised: Cli, review: str, tmp_path: Path
) -> None:
    done = initialised.ok("agreement", "amend", review, "1", "--no-dissent",
                          "--reason", "GMB withdrew its dissent at the meeting")
    assert "dissent: GMB Refuse Section -> none" in done.stdout
    assert query(initialised.db, "SELECT dissent FROM agreements WHERE id = 1") == [("[]",)]
    event = _last_event(initialised)
    assert event["action"] == "agreement.amended"
    assert event["payload"] == {"id": "1", "fields": {"dissent": [["GMB Refuse Section"], []]},
                                "reason": "GMB withdrew its dissent at the meeting"}
    initialised.ok("agreement", "withdraw", review, "1", "--reason", "Wrong item")
    listed = json.loads(initialised.ok("agreement", "list", review, "--json").stdout)
    assert [(a["id"], a["withdrawn_reason"]) for a in listed] == [(1, "Wrong item")]
    assert "[WITHDRAWN: Wrong item]" in initialised.ok("agreement", "list", review).stdout
    kept = query(initialised.db, "SELECT withdrawn_reason FROM agreements WHERE id = 1")
    assert kept == [("Wrong item",)]
    shown = json.loads(initialised.ok("review", "show", review, "--json").stdout)
    assert [(c["subject"], c["action"]) for c in shown["corrections"]] == [
        ("agreement", "amended"), ("agreement", "withdrawn")]
    # A withdrawn agreement no longer counts.
    assert "no agreement on scope has been recorded in stage challenge" in {
        u["message"] for u in shown["unmet"]}
    text = initialised.ok("review", "show", review).stdout
    assert "Corrections:" in text
    assert "agreement 1 withdrawn (by coordinator: Wrong item)" in text
    report = tmp_path / "report.md"
    initialised.ok("report", "review", review, "--audience", "public", "--format", "md",
                   "-o", str(report))
    body = report.read_text()
    assert "## Corrections to the record" in body
    assert "GMB withdrew its dissent at the meeting" in body
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_evidence_is_amended_and_withdrawn(initialised: Cli, review: str) -> None:
    initialised.ok("evidence", "amend", review, "1", "--title", "Scope",
                   "--disclosure", "public", "--reason", "Typo; agreed to publish")
    assert query(initialised.db, "SELECT title, disclosure FROM evidence") == [
        ("Scope", "public")]
    fields = json.loads(query(initialised.db, "SELECT fields FROM corrections")[0][0])
    assert fields == {"title": ["Scpoe", "Scope"], "disclosure": ["restricted", "public"]}
    initialised.ok("evidence", "withdraw", review, "1", "--reason", "Superseded")
    listed = json.loads(initialised.ok("evidence", "list", review, "--json").stdout)
    assert [(e["title"], e["withdrawn_reason"]) for e in listed] == [("Scope", "Superseded")]
    shown = json.loads(initialised.ok("review", "show", review, "--json").stdout)
    assert "scope_statement" in json.dumps(shown["unmet"])  # it no longer counts
    again = initialised("evidence", "amend", review, "1", "--title", "X", "--reason", "r")
    assert again.exit_code == 1
    assert "evidence 1 was withdrawn" in again.stderr
    assert [e[0] for e in query(initialised.db, "SELECT action FROM audit_events "
                                                "ORDER BY seq DESC LIMIT 2")] == [
        "evidence.withdrawn", "evidence.amended"]


def test_an_activity_is_withdrawn_a_member_updated_and_the_review_amended(
    initialised: Cli, review: str
) -> None:
    initialised.ok("activity", "withdraw", review, "1", "--reason", "Entered twice")
    listed = json.loads(initialised.ok("activity", "list", review, "--json").stdout)
    assert [a["withdrawn_reason"] for a in listed] == ["Entered twice"]
    assert "[WITHDRAWN: Entered twice]" in initialised.ok("activity", "list", review).stdout
    initialised.ok("party", "update", review, "sam@unison.example", "--name", "Sam Patel",
                   "--role", "chair", "--reason", "Full name; elected chair")
    member = json.loads(initialised.ok("party", "list", review, "--json").stdout)[0]
    assert (member["name"], member["role"]) == ("Sam Patel", "chair")
    assert _last_event(initialised)["action"] == "party.member_updated"
    initialised.ok("review", "amend", review, "--title", "Refuse and recycling",
                   "--coordinator", "ann@exampleshire.gov.uk", "--reason", "Scope widened",
                   actor="Head of Waste")
    shown = json.loads(initialised.ok("review", "show", review, "--json").stdout)
    assert (shown["title"], shown["coordinator"]) == (
        "Refuse and recycling", "ann@exampleshire.gov.uk")
    last = shown["corrections"][-1]
    assert (last["subject"], last["corrected_by"], last["reason"]) == (
        "review", "Head of Waste", "Scope widened")
    assert last["fields"]["title"] == ["Refuse collection", "Refuse and recycling"]
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


@pytest.mark.parametrize(("args", "words"), [
    (["evidence", "amend", "{ref}", "1", "--title", "X"], "Missing option '--reason'"),
    (["evidence", "amend", "{ref}", "1", "--reason", "r"], "give --title, --kind or"),
    (["evidence", "amend", "{ref}", "9", "--title", "X", "--reason", "r"], "no evidence 9"),
    (["evidence", "amend", "{ref}", "1", "--title", "Scpoe", "--reason", "r"],
     "nothing to change"),
    (["evidence", "withdraw", "{ref}", "1", "--reason", " "], "reason"),
    (["evidence", "amend", "{ref}", "1", "--kind", "nonsense", "--reason", "r"],
     "has no evidence kind 'nonsense'"),
    (["evidence", "withdraw", "BV-2027-999", "1", "--reason", "r"], "no review"),
    (["agreement", "amend", "{ref}", "1", "--reason", "r"], "give --agreed-by, --dissent"),
    (["agreement", "amend", "{ref}", "1", "--agreed-by", "Nobody", "--reason", "r"],
     "not an organisation on the working party"),
    (["agreement", "amend", "{ref}", "1", "--dissent", "GMB Refuse Section", "--no-dissent",
      "--reason", "r"], "not both"),
    (["agreement", "withdraw", "{ref}", "7", "--reason", "r"], "no agreement 7"),
    (["activity", "withdraw", "{ref}", "5", "--reason", "r"], "no activity 5"),
    (["activity", "withdraw", "{ref}", "0", "--reason", "r"], "0 is not in the range"),
    (["party", "update", "{ref}", "nobody@unison.example", "--name", "X", "--reason", "r"],
     "is not in the working party"),
    (["party", "update", "{ref}", "sam@unison.example", "--role", "king", "--reason", "r"],
     "unknown role 'king'"),
    (["party", "update", "{ref}", "sam@unison.example", "--reason", "r"], "give --name"),
    (["review", "amend", "{ref}", "--coordinator", "not-an-address", "--reason", "r"],
     "email"),
    (["review", "amend", "{ref}", "--title", "A\x1b[2Jtitle", "--reason", "r"], "character"),
    (["review", "amend", "{ref}", "--reason", "r"], "give --title, --service or"),
], ids=lambda v: "-".join(v[:2]) if isinstance(v, list) else None)
def test_bad_corrections_change_nothing(
    initialised: Cli, review: str, args: list[str], words: str
) -> None:
    before = snapshot(initialised.db)
    result = initialised(*[a.format(ref=review) for a in args])
    assert result.exit_code in (1, 2), result.stdout
    assert words.lower() in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
    assert snapshot(initialised.db) == before


def test_amending_a_note_keeps_what_was_agreed_as_it_was_recorded(
    initialised: Cli, review: str
) -> None:
    """The organisations are checked when named; a note alone changes nothing else, even
    after an external body or a member who has since left."""
    initialised.ok("agreement", "record", review, "--item", "timetable", "--agreed-by",
                   "UNISON City Branch", "--agreed-by", "Cabinet", "--external", "Cabinet",
                   "--dissent", "GMB Refuse Section")
    initialised.ok("party", "remove", review, "pat@gmb.example", "--reason", "Left")
    initialised.ok("agreement", "amend", review, "2", "--note", "Cabinet agreed on 12 Jan",
                   "--reason", "Add the date")
    listed = json.loads(initialised.ok("agreement", "list", review, "--json").stdout)[1]
    assert (listed["agreed_by"], listed["dissent"], listed["note"]) == (
        ["UNISON City Branch", "Cabinet"], ["GMB Refuse Section"], "Cabinet agreed on 12 Jan")
    initialised.ok("evidence", "amend", review, "1", "--kind", "baseline_profile",
                   "--reason", "Filed under the wrong kind")
    assert query(initialised.db, "SELECT kind FROM evidence WHERE id = 1") == [
        ("baseline_profile",)]


def test_a_title_changed_while_confidential_stays_hidden_after_release(
    initialised: Cli, review: str, tmp_path: Path
) -> None:
    initialised.ok("evidence", "add", review, "--kind", "scope_statement", "--title",
                   "SECRETTITLE one", "--disclosure", "confidential")
    initialised.ok("evidence", "amend", review, "2", "--title", "SECRETTITLE amended",
                   "--reason", "typo")
    initialised.ok("evidence", "amend", review, "2", "--disclosure", "public", "--title",
                   "Now public", "--reason", "released")
    for audience in ("public", "working-party"):
        body = initialised.ok("report", "review", review, "--audience", audience,
                              "--format", "md").stdout
        assert "SECRETTITLE" not in body, audience
        assert "Now public" in body  # the paper itself is now public
    internal = initialised.ok("report", "review", review, "--format", "md").stdout
    assert "SECRETTITLE amended" in internal
