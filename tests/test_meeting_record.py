"""``meeting record``: a meeting counts as held only once the coordinator records who came,
who sent apologies and the minutes; the record is audited and shown in reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from conftest import Cli, events, query, snapshot


@pytest.fixture
def held(initialised: Cli, new_review: Callable[..., str],
         travel: time_machine.Coordinates) -> str:
    """A review with a working-party meeting that took place yesterday, not yet recorded."""
    ref = new_review()
    for name, email, body, category in [
            ("Sam Patel", "sam@unison.example", "UNISON City Branch", "trade_union"),
            ("Ann Lee", "ann@tenants.example", "Tenants' Federation", "tenants"),
            ("Kim Ross", "kim@gmb.example", "GMB", "trade_union")]:
        initialised.ok("party", "add", ref, "--name", name, "--email", email,
                       "--organisation", body, "--category", category)
    initialised.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
                   "2027-01-20 18:00", "--place", "Committee Room 2")
    initialised.ok("sweep")
    travel.shift(timedelta(days=17))  # Thursday 21 January
    return ref


def test_a_meeting_is_held_once_recorded(initialised: Cli, held: str, tmp_path: Path) -> None:
    (listed,) = json.loads(initialised.ok("meeting", "list", held, "--json").stdout)
    assert listed["held"] is False
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("Present: UNISON, Tenants' Federation. Apologies: GMB.\n")
    done = initialised.ok("meeting", "record", held, "1", "--attended", "UNISON City Branch",
                          "--attended", "Tenants' Federation", "--apologies", "GMB",
                          "--minutes", str(minutes), "--disclosure", "public")
    assert done.stdout == ("Meeting 1 recorded as held: 2 organisations attended; apologies "
                           "from 1; minutes kept as evidence\n")
    (listed,) = json.loads(initialised.ok("meeting", "list", held, "--json").stdout)
    assert listed["held"] is True
    assert listed["attended"] == ["UNISON City Branch", "Tenants' Federation"]
    assert listed["apologies"] == ["GMB"]
    assert "held" in initialised.ok("meeting", "list", held).stdout.splitlines()[1]
    (evidence,) = query(initialised.db, "SELECT kind, title, disclosure, file_name FROM evidence")
    assert evidence == ("meeting_minutes", "Minutes: Working party", "public", "minutes.txt")
    (record,) = [json.loads(e[6])["payload"] for e in events(initialised.db)
                 if e[2] == "meeting.recorded"]
    assert record == {"meeting_id": 1, "attended": ["UNISON City Branch", "Tenants' Federation"],
                      "apologies": ["GMB"], "minutes_evidence_id": 1}
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")
    html = initialised.ok("report", "review", held).stdout
    assert "<td>UNISON City Branch, Tenants&#39; Federation</td><td>GMB</td>" in html
    assert "<td>Held</td>" in html


def test_an_unrecorded_meeting_is_not_held(initialised: Cli, held: str) -> None:
    html = initialised.ok("report", "review", held).stdout
    assert "<td>Not recorded</td>" in html


def test_the_meeting_requirement_asks_for_the_record(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    """The report stage needs its deciding committee meeting held: recorded, not just past."""
    from conftest import advance_when_ready, prepare

    ref = new_review()
    for stage in ("challenge", "compare", "consult", "compete"):
        prepare(initialised, ref, stage, tmp_path)
        advance_when_ready(initialised, ref, travel)
    prepare(initialised, ref, "report", tmp_path)
    travel.shift(timedelta(days=30))  # the committee met, a fortnight ago
    shown = json.loads(initialised.ok("review", "show", ref, "--json").stdout)
    (unmet,) = [u for u in shown["unmet"] if u["kind"] == "meeting"]
    assert "0 of 1 committee or cabinet meeting held" in unmet["message"]
    assert f"bvflow meeting record {ref} " in unmet["remedy"]
    (meeting,) = [m for m in json.loads(initialised.ok("meeting", "list", ref,
                                                      "--json").stdout)
                  if m["kind"] == "committee"]
    initialised.ok("meeting", "record", ref, str(meeting["id"]), "--attended",
                   "Environment Committee", "--external", "Environment Committee")
    shown = json.loads(initialised.ok("review", "show", ref, "--json").stdout)
    assert not [u for u in shown["unmet"] if u["kind"] == "meeting"]


@pytest.mark.parametrize(("args", "code", "words"), [
    (["1"], 1, "name at least one organisation that attended"),
    (["1", "--attended", ""], 1, "must not be empty"),
    (["1", "--attended", "GMB", "--attended", "gmb"], 1, "'gmb' is named twice in --attended"),
    (["1", "--attended", "GMB", "--apologies", "GMB"], 1, "cannot both attend and send apologies"),
    (["1", "--attended", "A\u202eB"], 1, "invisible or unassigned character"),
    (["1", "--attended", "GMB", "--minutes", "missing.txt"], 1, "missing.txt"),
    (["1", "--attended", "GMB", "--disclosure", "secret"], 1, "Invalid value for '--disclosure'"),
    (["1", "--attended", "NoSuchOrg"], 1,
     "'NoSuchOrg' is not an organisation on the working party of BV-2027-001"),
    (["1", "--attended", "GMB", "--external", "Guests"], 1,
     "--external names an organisation that neither attended nor sent apologies"),
    (["9", "--attended", "GMB"], 1,
     "no meeting 9 for BV-2027-001; 'bvflow meeting list BV-2027-001'"),
    (["0", "--attended", "GMB"], 1, "0 is not in the range"),
])
def test_a_bad_record_is_refused_and_changes_nothing(
        initialised: Cli, held: str, args: list[str], code: int, words: str) -> None:
    before = snapshot(initialised.db)
    result = initialised("meeting", "record", held, *args)
    assert result.exit_code == code, result.output
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert snapshot(initialised.db) == before


def test_a_meeting_is_recorded_once_and_only_after_it(
        initialised: Cli, new_review: Callable[..., str], held: str) -> None:
    initialised.ok("meeting", "record", held, "1", "--attended", "GMB")
    again = initialised("meeting", "record", held, "1", "--attended", "GMB")
    assert again.exit_code == 4
    assert "meeting 1 has already been recorded" in again.stderr
    later = new_review("Street lighting")
    initialised.ok("meeting", "schedule", later, "--title", "Working party", "--at",
                   "2027-03-10 18:00", "--place", "Town Hall")
    early = initialised("meeting", "record", later, "2", "--attended", "GMB")
    assert early.exit_code == 4
    assert "meeting 2 starts Wednesday 10 March 2027: it is recorded once held" in early.stderr
    initialised.ok("meeting", "cancel", later, "2", "--reason", "Snow")
    cancelled = initialised("meeting", "record", later, "2", "--attended", "GMB")
    assert cancelled.exit_code == 4
    assert "meeting 2 was cancelled" in cancelled.stderr


def test_a_meeting_waiting_to_be_recorded_is_on_the_coordinators_list(
        initialised: Cli, held: str) -> None:
    listed = initialised.ok("meeting", "list", held).stdout.splitlines()[1]
    assert "to record" in listed
    today = json.loads(initialised.ok("today", "--json").stdout)
    (item,) = [i for i in today["items"] if i["section"] == "record"]
    assert item["next"] == f"bvflow meeting record {held} 1 --attended ORG ..."
    text = initialised.ok("today").stdout
    assert "Meetings to record (held only once recorded) (1)" in text
    initialised.ok("meeting", "record", held, "1", "--attended", "UNISON City Branch")
    assert "record" not in {i["section"] for i in json.loads(
        initialised.ok("today", "--json").stdout)["items"]}


def test_the_record_in_json_names_each_members_notice(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates) -> None:
    """The record shows, as meeting list does, when each member's notice was delivered."""
    ref = new_review()
    initialised.ok("party", "add", ref, "--name", "Sam Patel", "--email",
                   "sam.patel@unison.example", "--organisation", "UNISON City Branch",
                   "--category", "trade_union")
    initialised.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
                   "2027-01-20 18:00", "--place", "Committee Room 2")
    initialised.ok("sweep")
    travel.shift(timedelta(days=17))
    recorded = json.loads(initialised.ok("meeting", "record", ref, "1", "--attended",
                                         "UNISON City Branch", "--json").stdout)
    (listed,) = json.loads(initialised.ok("meeting", "list", ref, "--json").stdout)
    assert recorded["held"] is True
    assert recorded["members"] == listed["members"]
    assert [m["email"] for m in recorded["members"]] == ["sam.patel@unison.example"]
    assert all(m["delivered_at"] for m in recorded["members"])


def test_a_body_from_outside_the_working_party_is_named_as_external(
        initialised: Cli, held: str) -> None:
    """A guest body attends with --external; a member's body is written as the party spells
    it, however it was typed."""
    initialised.ok("meeting", "record", held, "1", "--attended", "unison city branch",
                   "--attended", "District Audit", "--external", "District Audit")
    (listed,) = json.loads(initialised.ok("meeting", "list", held, "--json").stdout)
    assert listed["attended"] == ["UNISON City Branch", "District Audit"]
    (record,) = [json.loads(e[6])["payload"] for e in events(initialised.db)
                 if e[2] == "meeting.recorded"]
    assert record["attended"] == ["UNISON City Branch", "District Audit"]
