"""Involvement through the CLI and the API: party, activities, meetings, proposals, agreements."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Callable
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
import time_machine
from conftest import Cli, advance_when_ready, events, prepare, record_held, snapshot

import bvflow
from bvflow import App
from bvflow.domain.calendar import LONDON


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=LONDON)


@pytest.fixture
def party(initialised: Cli, new_review: Callable[..., str]) -> str:
    """A review with a working party: two unions, tenants, a user, and an observer."""
    ref = new_review()
    for name, email, org, category, role in [
        ("Sam Patel", "sam@unison.example", "UNISON", "trade_union", "member"),
        ("Ann Lee", "ann@tenants.example", "Tenants' Federation", "tenants", "chair"),
        ("Raj Singh", "raj@users.example", "User Panel", "users", "member"),
        ("Joan Hart", "joan@press.example", "Local Gazette", "business", "observer"),
    ]:
        initialised.ok("party", "add", ref, "--name", name, "--email", email, "--organisation",
                       org, "--category", category, "--role", role)
    return ref


def delivered(cli: Cli) -> list[EmailMessage]:
    cli.ok("sweep")
    box = mailbox.Maildir(cli.db.parent / "mail", create=False)
    found = []
    for key in box.keys():
        message = message_from_bytes(box.get_bytes(key), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def to(messages: list[EmailMessage], address: str, subject_part: str) -> list[EmailMessage]:
    return [m for m in messages if address in str(m["To"]) and subject_part in str(m["Subject"])]


def test_party_add_list_remove(initialised: Cli, party: str) -> None:
    listed = json.loads(initialised.ok("party", "list", party, "--json").stdout)
    assert [(m["email"], m["role"]) for m in listed] == [
        ("sam@unison.example", "member"), ("ann@tenants.example", "chair"),
        ("raj@users.example", "member"), ("joan@press.example", "observer")]
    again = initialised("party", "add", party, "--name", "Sam", "--email", "sam@unison.example",
                        "--organisation", "UNISON", "--category", "trade_union")
    assert again.exit_code == 1
    assert "already in the working party" in again.stderr
    bad = initialised("party", "add", party, "--name", "X", "--email", "x@example.org",
                      "--organisation", "X", "--category", "astrologers")
    assert bad.exit_code == 1
    assert "unknown category 'astrologers'" in bad.stderr
    initialised.ok("party", "remove", party, "raj@users.example", "--reason", "Moved away")
    listed = json.loads(initialised.ok("party", "list", party, "--json").stdout)
    assert "raj@users.example" not in [m["email"] for m in listed]
    removed = [json.loads(e[6])["payload"] for e in events(initialised.db)
               if e[2] == "party.member_removed"]
    assert removed == [{"email": "raj@users.example", "reason": "Moved away"}]


def test_members_receive_notices(initialised: Cli, party: str) -> None:
    initialised.ok("review", "suspend", party, "--reason", "Purdah")
    got = delivered(initialised)
    suspended = sorted(str(m["To"]) for m in got if "suspended" in str(m["Subject"]))
    assert len(suspended) == 5  # the coordinator and four members


def test_short_notice_meeting_is_refused_around_easter(
        initialised: Cli, party: str, travel: time_machine.Coordinates) -> None:
    # Notice on Wednesday 24 March 2027: Good Friday and Easter Monday are not working days.
    travel.move_to(at("2027-03-24"))
    before = snapshot(initialised.db)
    refused = initialised("meeting", "schedule", party, "--title", "Working party",
                          "--at", "2027-03-31 18:00", "--place", "Town Hall")
    assert refused.exit_code == 4
    assert "gives 2 of 5 clear working days before Wednesday 31 March 2027" in refused.stderr
    assert "(agreed notice: the council's workflow file)" in refused.stderr
    assert "the earliest date with the agreed notice is Saturday 3 April 2027" in refused.stderr
    assert "lawful" not in refused.stderr  # a working party is not a statutory meeting
    assert snapshot(initialised.db) == before
    initialised.ok("meeting", "schedule", party, "--title", "Working party", "--at",
                   "2027-04-03 10:00", "--place", "Town Hall")
    short = initialised.ok("meeting", "schedule", party, "--title", "Emergency session",
                           "--at", "2027-03-26 10:00", "--place", "Town Hall",
                           "--reason", "Cabinet decision brought forward")
    assert "Meeting 2 scheduled" in short.stdout
    overridden = [json.loads(e[6])["payload"] for e in events(initialised.db)
                  if e[2] == "meeting.notice_overridden"]
    assert overridden == [{"meeting_id": 2, "reason": "Cabinet decision brought forward",
                           "notice_days": 5}]


def test_wales_needs_three_clear_days(cli: Cli, travel: time_machine.Coordinates) -> None:
    cli.ok("init", "--authority", "Cyngor Sir Enghreifftiol", "--nation", "wales")
    ref = cli.ok("review", "create", "Libraries", "--service", "Culture", "--coordinator",
                 "jo@example.gov.uk").stdout.strip()
    # Monday 4 January: Tuesday, Wednesday, Thursday are three clear days before Friday.
    cli.ok("meeting", "schedule", ref, "--kind", "committee", "--title", "Pwyllgor",
           "--at", "2027-01-08 18:00", "--place", "Neuadd y Dref")
    refused = cli("meeting", "schedule", ref, "--kind", "committee", "--title", "Pwyllgor",
                  "--at", "2027-01-07 18:00", "--place", "Neuadd y Dref")
    assert refused.exit_code == 4
    assert "2 of 3 clear working days" in refused.stderr
    assert "lawful notice: Local Government Act 1972 ss.100A(6)(a) and 100BA(3)" in refused.stderr
    assert "the earliest lawful date is Friday 8 January 2027" in refused.stderr
    # A working party's notice is what the council agreed: 5 clear working days by default.
    agreed = cli("meeting", "schedule", ref, "--title", "Working party", "--at",
                 "2027-01-08 18:00", "--place", "Neuadd y Dref")
    assert "3 of 5 clear working days" in agreed.stderr


def test_invitation_round_trips_and_updates_with_a_higher_sequence(
        initialised: Cli, party: str, tmp_path: Path) -> None:
    agenda = tmp_path / "agenda.txt"
    agenda.write_text("1. Collection rounds\n")
    initialised.ok("meeting", "schedule", party, "--title", "Working party", "--at",
                   "2027-01-20 18:00", "--place", "Committee Room 2", "--papers", str(agenda))
    initialised.ok("meeting", "reschedule", party, "1", "--at", "2027-01-27 18:30")
    initialised.ok("meeting", "cancel", party, "1", "--reason", "Snow")
    got = delivered(initialised)

    def invite(subject: str) -> icalendar.Event:
        (message,) = to(got, "sam@unison.example", subject)
        (part,) = [p for p in message.iter_attachments() if p.get_content_type() ==
                   "text/calendar"]
        calendar = icalendar.Calendar.from_ical(part.get_content())
        (event,) = calendar.walk("VEVENT")
        assert calendar["METHOD"] == part.get_param("method")
        assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"
        return event

    first, moved, cancelled = (invite("Meeting notice"), invite("Meeting changed"),
                               invite("Meeting cancelled"))
    assert first["UID"] == moved["UID"] == cancelled["UID"]
    assert (first["SEQUENCE"], moved["SEQUENCE"], cancelled["SEQUENCE"]) == (0, 1, 2)
    assert first.decoded("DTSTART") == datetime(2027, 1, 20, 18, 0, tzinfo=LONDON)
    assert moved.decoded("DTSTART") == datetime(2027, 1, 27, 18, 30, tzinfo=LONDON)
    assert str(first["LOCATION"]) == "Committee Room 2"
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert "mailto:sam@unison.example" in str(first["ATTENDEE"])


def test_restricted_papers_never_reach_an_observer(initialised: Cli, party: str,
                                                   tmp_path: Path) -> None:
    secret = tmp_path / "staffing.txt"
    secret.write_text("Posts at risk: 14\n")
    public = tmp_path / "agenda.txt"
    public.write_text("Agenda\n")
    initialised.ok("proposal", "circulate", party, "--title", "Staffing options",
                   "--file", str(secret), "--disclosure", "restricted")
    initialised.ok("meeting", "schedule", party, "--title", "Working party", "--at",
                   "2027-01-20 18:00", "--place", "Town Hall", "--papers", str(secret))
    initialised.ok("proposal", "circulate", party, "--title", "Public consultation plan",
                   "--file", str(public), "--disclosure", "public")
    got = delivered(initialised)
    observer = [m for m in got if "joan@press.example" in str(m["To"])]
    member = [m for m in got if "sam@unison.example" in str(m["To"])]
    assert len(observer) == len(member) == 4  # a welcome, two proposals, a meeting
    for message in observer:
        raw = message.as_string()
        assert "Posts at risk" not in raw
        assert "Staffing options" not in raw
        assert "staffing.txt" not in raw
    assert any(p.get_filename() == "agenda.txt" for m in observer for p in m.iter_attachments())
    member_files = [p.get_filename() for m in member for p in m.iter_attachments()]
    assert member_files.count("staffing.txt") == 2


def test_consult_needs_unions_and_tenants_involved(
        initialised: Cli, party: str, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    for stage in ("challenge", "compare"):
        prepare(initialised, party, stage, tmp_path)
        advance_when_ready(initialised, party, travel)
    for kind in ("consultation_plan", "consultation_findings"):
        initialised.ok("evidence", "add", party, "--kind", kind, "--title", kind)
    paper = tmp_path / "proposal.txt"
    paper.write_text("Proposal\n")
    initialised.ok("proposal", "circulate", party, "--title", "Rounds", "--file", str(paper))
    soon = datetime.now(LONDON).date().toordinal() + 10
    initialised.ok("meeting", "schedule", party, "--title", "WP", "--at",
                   f"{date.fromordinal(soon).isoformat()} 18:00", "--place", "Town Hall")
    initialised.ok("sweep")
    travel.shift(60 * 60 * 24 * 40)
    today = datetime.now(LONDON).date().isoformat()
    initialised.ok("activity", "add", party, "--method", "user_panel", "--on", today,
                   "--category", "users")
    refused = initialised("review", "advance", party)
    assert refused.exit_code == 4
    assert "trade_union involved by 0 of 1 method in stage consult" in refused.stderr
    assert "tenants involved by 0 of 1 method in stage consult" in refused.stderr
    assert "bvflow activity add" in refused.stderr
    initialised.ok("activity", "add", party, "--method", "workshop", "--on", today,
                   "--category", "trade_union", "--organisation", "UNISON")
    still = initialised("review", "advance", party)
    assert "tenants involved" in still.stderr
    assert "trade_union involved" not in still.stderr
    initialised.ok("activity", "add", party, "--method", "public_meeting", "--on", today,
                   "--category", "tenants", "--summary", "Estate walkabout")
    record_held(initialised, party)  # the working party met: the coordinator records it
    assert "consult -> compete" in initialised.ok("review", "advance", party).stdout


def test_proposal_period_must_run(initialised: Cli, party: str,
                                  travel: time_machine.Coordinates, tmp_path: Path) -> None:
    for stage in ("challenge", "compare", "consult", "compete"):
        prepare(initialised, party, stage, tmp_path)
        if stage == "compete":
            break
        advance_when_ready(initialised, party, travel)
    data = json.loads(initialised.ok("review", "show", party, "--json").stdout)
    proposal = [u for u in data["unmet"] if u["kind"] == "proposal"]
    assert proposal == [{"kind": "proposal", "message": "proposal 'Proposal for compete' has "
                         "had 0 of 10 clear working days of discussion since it reached "
                         "every member",
                         "remedy": "wait for its discussion period to run (suspended days do "
                                   "not count)"}]


def test_agreements_record_dissent(initialised: Cli, party: str) -> None:
    result = initialised.ok("agreement", "record", party, "--item", "baseline_profile",
                            "--agreed-by", "UNISON", "--agreed-by", "Tenants' Federation",
                            "--dissent", "GMB", "--external", "GMB",
                            "--note", "GMB wants 2019 figures")
    assert result.stdout == "Agreement on baseline_profile recorded in stage challenge; " \
                            "dissent: GMB\n"
    listed = json.loads(initialised.ok("agreement", "list", party, "--json").stdout)
    assert (listed[0]["agreed_by"], listed[0]["dissent"], listed[0]["note"]) == (
        ["UNISON", "Tenants' Federation"], ["GMB"], "GMB wants 2019 figures")
    payload = json.loads(events(initialised.db)[-1][6])["payload"]
    assert payload["dissent"] == ["GMB"]
    unknown = initialised("agreement", "record", party, "--item", "vibes", "--agreed-by", "X")
    assert unknown.exit_code == 1
    assert "unknown agreement item 'vibes'" in unknown.stderr


def test_disclosure_agreement_sets_the_default(initialised: Cli, party: str) -> None:
    initialised.ok("evidence", "add", party, "--kind", "scope_statement", "--title", "Before")
    initialised.ok("agreement", "record", party, "--item", "information_disclosure",
                   "--all-members", "--disclosure-default", "public")
    initialised.ok("evidence", "add", party, "--kind", "baseline_profile", "--title", "After")
    listed = json.loads(initialised.ok("evidence", "list", party, "--json").stdout)
    assert [(e["title"], e["disclosure"]) for e in listed] == [("Before", "restricted"),
                                                              ("After", "public")]


def test_activities_through_the_api(app: App, travel: time_machine.Coordinates) -> None:
    ref = bvflow.create_review(app, "Parks", "Leisure", "pat@exampleshire.gov.uk")
    added = bvflow.add_activity(app, ref, "focus_group", date(2027, 1, 4),
                                ["pensioners", "women"], ["Age UK Exampleshire"],
                                "Park benches and toilets", "Two new toilets in the plan")
    assert (added.stage, added.categories) == ("challenge", ["pensioners", "women"])
    assert [a.method for a in bvflow.activities(app, ref)] == ["focus_group"]
    with pytest.raises(bvflow.InputError, match="in the future"):
        bvflow.add_activity(app, ref, "survey", date(2027, 2, 1), ["users"])
    with pytest.raises(bvflow.InputError, match="unknown method 'seance'"):
        bvflow.add_activity(app, ref, "seance", date(2027, 1, 4), ["users"])
    assert [e.action for e in bvflow.audit_log(app, review=ref)][-1] == "activity.recorded"


def test_confidential_papers_reach_only_the_reviews_coordinator(
        initialised: Cli, party: str, tmp_path: Path) -> None:
    initialised.ok("party", "add", party, "--name", "Kim", "--email", "kim@unison.example",
                   "--organisation", "UNISON", "--category", "trade_union", "--role",
                   "coordinator")
    initialised.ok("agreement", "record", party, "--item", "information_disclosure",
                   "--all-members", "--disclosure-default", "confidential")
    paper = tmp_path / "salaries.txt"
    paper.write_text("Salaries\n")
    initialised.ok("meeting", "schedule", party, "--title", "WP", "--at", "2027-01-20 18:00",
                   "--place", "Town Hall", "--papers", str(paper))
    got = delivered(initialised)
    notices = [m for m in got if "Meeting notice" in str(m["Subject"])]
    with_paper = sorted(str(m["To"]) for m in notices
                        if any(p.get_filename() == "salaries.txt" for p in m.iter_attachments()))
    assert with_paper == ["Review coordinator <jo@exampleshire.gov.uk>"]
    assert len(notices) == 6
    papers = json.loads(initialised.ok("evidence", "list", party, "--json").stdout)
    assert [e["disclosure"] for e in papers if e["kind"] == "meeting_papers"] == ["confidential"]


def test_addresses_are_one_person_whatever_their_case(initialised: Cli, party: str) -> None:
    again = initialised("party", "add", party, "--name", "Sam", "--email", "SAM@Unison.Example",
                        "--organisation", "UNISON", "--category", "trade_union")
    assert again.exit_code == 1
    assert "already in the working party" in again.stderr
    initialised.ok("party", "remove", party, "Sam@UNISON.example", "--reason", "Left")


def test_meetings_that_have_happened_cannot_be_moved(
        initialised: Cli, party: str, travel: time_machine.Coordinates) -> None:
    initialised.ok("meeting", "schedule", party, "--title", "WP", "--at", "2027-01-20 18:00",
                   "--place", "Town Hall")
    travel.move_to(at("2027-01-21"))
    moved = initialised("meeting", "reschedule", party, "1", "--at", "2027-02-20 18:00")
    assert moved.exit_code == 4
    assert "has already taken place" in moved.stderr
    assert initialised("meeting", "cancel", party, "1", "--reason", "x").exit_code == 4


def test_refusal_names_the_first_working_day(initialised: Cli, party: str,
                                             travel: time_machine.Coordinates) -> None:
    travel.move_to(at("2027-03-24"))
    refused = initialised("meeting", "schedule", party, "--title", "WP", "--at",
                          "2027-03-30 18:00", "--place", "Town Hall")
    assert "earliest date with the agreed notice is Saturday 3 April 2027, the first working " \
           "day Monday 5 April 2027" in refused.stderr


def test_activities_cannot_predate_the_review(initialised: Cli, party: str) -> None:
    early = initialised("activity", "add", party, "--method", "survey", "--on", "2026-12-01",
                        "--category", "users")
    assert early.exit_code == 1
    assert "before the review was opened" in early.stderr


@pytest.mark.parametrize("categories", ["[trade_union, 5]", "[[a]]", "[]", "{}"],
                         ids=["number", "nested", "empty-list", "empty-map"])
def test_bad_categories_are_one_line(cli: Cli, tmp_path: Path, categories: str) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(f"name: wf\ntitle: WF\ninvolvement:\n  categories: {categories}\n"
                    "stages:\n  - name: a\n  - name: z\n    final: true\n")
    result = cli("workflow", "validate", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert "involvement.categories" in result.stderr


def test_moving_a_meeting_inside_the_notice_period_is_refused_too(
        initialised: Cli, party: str, travel: time_machine.Coordinates) -> None:
    """Rescheduling checks the notice as scheduling does: the notice runs from the move."""
    travel.move_to(at("2027-03-01"))
    initialised.ok("meeting", "schedule", party, "--title", "Working party", "--at",
                   "2027-03-22 18:00", "--place", "Town Hall")
    before = snapshot(initialised.db)
    moved = initialised("meeting", "reschedule", party, "1", "--at", "2027-03-04 18:00")
    assert moved.exit_code == 4, moved.stderr
    assert "gives 2 of 5 clear working days before Thursday 4 March 2027" in moved.stderr
    assert snapshot(initialised.db) == before
    initialised.ok("meeting", "reschedule", party, "1", "--at", "2027-03-04 18:00",
                   "--reason", "The chair is away on the 22nd")
    overridden = [json.loads(e[6])["payload"] for e in events(initialised.db)
                  if e[2] == "meeting.rescheduled"]
    assert overridden[0]["override_reason"] == "The chair is away on the 22nd"
