"""The timetable the law sets: each nation's notice rule, meeting kinds, and a clock that
starts when each member's notice is delivered (docs/counting.md, "Notice of meetings")."""

from __future__ import annotations

import json
import mailbox
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from conftest import Cli, events, execute, query, record_held, snapshot

from bvflow.cli.involvement import MEETING_KIND
from bvflow.domain.calendar import LONDON
from bvflow.domain.notice import MEETING_KINDS

# One stage that needs a working-party meeting and a proposal's 10 days, then closed.
WORKFLOW = """\
name: notice-test
title: Notice test
version: 1
stages:
  - name: consult
    title: Consult
    requires:
      - meeting: true
      - proposal: 10
  - name: closed
    title: Closed
    final: true
"""
MEMBERS = [
    ("Sam Patel", "sam@unison.example", "UNISON", "trade_union", "member"),
    ("Ann Lee", "ann@tenants.example", "Tenants' Federation", "tenants", "chair"),
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def _review(cli: Cli, tmp_path: Path, nation: str = "england", workflow: str = WORKFLOW) -> str:
    cli.ok("init", "--authority", "Exampleshire County Council", "--nation", nation)
    path = tmp_path / "notice-test.yaml"
    path.write_text(workflow)
    ref = cli.ok("review", "create", "Refuse collection", "--service", "Waste",
                 "--coordinator", "jo@exampleshire.gov.uk", "--workflow", str(path)).stdout.strip()
    for name, email, org, category, role in MEMBERS:
        cli.ok("party", "add", ref, "--name", name, "--email", email, "--organisation", org,
               "--category", category, "--role", role)
    cli.ok("sweep")
    return ref


def _show(cli: Cli, ref: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(cli.ok("review", "show", ref, "--json").stdout)
    return data


def test_the_cli_offers_every_meeting_kind() -> None:
    assert list(MEETING_KIND.choices) == list(MEETING_KINDS)


@pytest.mark.parametrize(("nation", "days", "earliest", "cited"), [
    ("england", 5, "Tuesday 12 January 2027", "Local Government Act 1972 ss.100A(6)(a) and "
     "100B(3): five clear days for councils in England, by SI 2002/715"),
    ("wales", 3, "Friday 8 January 2027", "ss.100A(6)(a) and 100BA(3): three clear days, "
     "published electronically"),
    ("scotland", 3, "Friday 8 January 2027", "Local Government (Scotland) Act 1973 ss.50A and "
     "50B: three clear days"),
    ("northern-ireland", 3, "Friday 8 January 2027", "Local Government Act (Northern Ireland) "
     "2014 Sch 5 para 5(1)"),
])
def test_a_committee_needs_the_nations_lawful_notice(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path, nation: str, days: int,
        earliest: str, cited: str) -> None:
    travel.move_to(at("2027-01-04 10:00"))  # Monday; no holiday that week in any nation
    ref = _review(cli, tmp_path, nation)
    before = snapshot(cli.db)
    day = datetime.strptime(earliest, "%A %d %B %Y")
    early = day.replace(day=day.day - 1).strftime("%Y-%m-%d 10:00")
    refused = cli("meeting", "schedule", ref, "--kind", "committee", "--title", "Committee",
                  "--at", early, "--place", "Chamber")
    assert refused.exit_code == 4, refused.stderr
    assert f"gives {days - 1} of {days} clear working days" in refused.stderr
    assert f"(lawful notice: {cited}" in refused.stderr.replace("Local Government Act 1972 ", "")\
        or f"(lawful notice: {cited}" in refused.stderr
    assert f"the earliest lawful date is {earliest}" in refused.stderr
    assert snapshot(cli.db) == before
    held = cli.ok("meeting", "schedule", ref, "--kind", "committee", "--title", "Committee",
                  "--at", day.strftime("%Y-%m-%d 10:00"), "--place", "Chamber", "--json")
    meeting = json.loads(held.stdout)
    assert (meeting["kind"], meeting["notice_days"], meeting["lawful"]) == ("committee", days,
                                                                            True)
    assert cited in meeting["notice"]
    cli.ok("sweep")
    box = mailbox.Maildir(cli.db.parent / "mail", create=False)
    notices = [message_from_bytes(box.get_bytes(k), policy=policy.strict) for k in box.keys()]
    (sams,) = [m for m in notices if m["To"].addresses[0].addr_spec == "sam@unison.example"
               and str(m["Subject"]).startswith("Meeting notice")]
    body = sams.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "What:  Committee (committee meeting)" in text
    assert f"Notice: {days} clear working days (lawful notice: " in text
    assert "counted from the day this notice reached you" in text
    (payload,) = [json.loads(e[6])["payload"] for e in events(cli.db)
                  if e[2] == "meeting.scheduled"]
    assert payload["kind"] == "committee"
    assert cited in payload["notice"]


def test_a_working_party_needs_the_agreed_notice_and_is_never_called_lawful(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    travel.move_to(at("2027-01-04 10:00"))
    ref = _review(cli, tmp_path, "scotland")
    refused = cli("meeting", "schedule", ref, "--title", "Working party", "--at",
                  "2027-01-08 18:00", "--place", "Town Hall")
    assert refused.exit_code == 4
    assert "3 of 5 clear working days" in refused.stderr
    assert "agreed notice: the council's workflow file" in refused.stderr
    assert "lawful" not in refused.stderr
    done = cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
                  "2027-01-12 18:00", "--place", "Town Hall")
    assert "counted from when each member's notice is delivered" in done.stdout
    assert "No day to spare: the notices must be delivered today" in done.stdout
    roomy = cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
                   "2027-01-13 18:00", "--place", "Town Hall")
    assert "No day to spare" not in roomy.stdout


def test_an_english_cabinet_meeting_takes_a_key_decision_by_default(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    travel.move_to(at("2027-01-04 10:00"))
    ref = _review(cli, tmp_path)
    refused = cli("meeting", "schedule", ref, "--kind", "cabinet", "--title", "Cabinet",
                  "--at", "2027-01-20 10:00", "--place", "Chamber")
    assert refused.exit_code == 4
    assert "of 28 clear working days" in refused.stderr
    assert "SI 2012/2089, reg 9" in refused.stderr
    # 28 clear working days from Monday 4 January 2027: the earliest is Friday 12 February.
    assert "the earliest lawful date is Friday 12 February 2027" in refused.stderr
    cli.ok("meeting", "schedule", ref, "--kind", "cabinet", "--title", "Cabinet", "--at",
           "2027-02-12 10:00", "--place", "Chamber")
    plain = cli.ok("meeting", "schedule", ref, "--kind", "cabinet", "--no-key-decision",
                   "--title", "Cabinet (no key decision)", "--at", "2027-01-12 10:00",
                   "--place", "Chamber", "--json")
    assert json.loads(plain.stdout)["notice_days"] == 5
    assert query(cli.db, "SELECT kind, key_decision, notice_days FROM meetings ORDER BY id") == [
        ("cabinet", True, 28), ("cabinet", False, 5)]


def test_a_key_decision_is_refused_outside_an_english_cabinet(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    travel.move_to(at("2027-01-04 10:00"))
    ref = _review(cli, tmp_path, "wales")
    before = snapshot(cli.db)
    for kind in ("cabinet", "committee"):
        refused = cli("meeting", "schedule", ref, "--kind", kind, "--key-decision", "--title",
                      "Cabinet", "--at", "2027-03-01 10:00", "--place", "Chamber")
        assert refused.exit_code == 1
        assert refused.stderr.count("\n") == 1
        assert "--key-decision is only for a cabinet meeting in England" in refused.stderr
    unknown = cli("meeting", "schedule", ref, "--kind", "jamboree", "--title", "X", "--at",
                  "2027-03-01 10:00", "--place", "Y")
    assert unknown.exit_code == 1
    assert "jamboree" in unknown.stderr
    assert snapshot(cli.db) == before


def test_calendar_counting_is_a_workflow_setting(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    travel.move_to(at("2027-01-04 10:00"))
    workflow = WORKFLOW.replace("stages:", "involvement:\n  statutory_clear_days: calendar\n"
                                "stages:")
    ref = _review(cli, tmp_path, "england", workflow)
    # Five clear calendar days from Monday 4 January: 5-9 January; Sunday 10th is the earliest.
    refused = cli("meeting", "schedule", ref, "--kind", "council", "--title", "Council",
                  "--at", "2027-01-09 10:00", "--place", "Chamber")
    assert "gives 4 of 5 clear days" in refused.stderr
    assert "the earliest lawful date is Sunday 10 January 2027" in refused.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(workflow.replace("calendar\n", "fortnightly\n"))
    invalid = cli("workflow", "validate", str(bad))
    assert invalid.exit_code == 1
    assert "statutory_clear_days must be one of working, calendar" in invalid.stdout + \
        invalid.stderr


def test_a_stopped_scheduler_leaves_members_short_and_the_meeting_unmet(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    """The outside review's case: scheduled and circulated on Fri 2 Apr 2027 for a meeting on
    Wed 14 Apr, with the next sweep on Thu 8 Apr."""
    travel.move_to(at("2027-04-02 10:00"))
    ref = _review(cli, tmp_path)
    paper = tmp_path / "proposal.txt"
    paper.write_text("Proposal\n")
    cli.ok("proposal", "circulate", ref, "--title", "Rounds", "--file", str(paper))
    scheduled = cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
                       "2027-04-14 18:00", "--place", "Town Hall")
    assert "notices queued" in scheduled.stdout
    # Not delivered yet, but delivery today would still give the full notice: no warning.
    assert not [w for w in _show(cli, ref)["warnings"] if "short notice" in str(w)]
    travel.move_to(at("2027-04-08 10:00"))  # the scheduler was stopped until now
    cli.ok("sweep")
    shown = _show(cli, ref)
    (warning,) = [w for w in shown["warnings"] if "short notice" in str(w)]
    assert "meeting 1 'Working party' on Wednesday 14 April 2027 is on short notice" in warning
    assert "Sam Patel (sam@unison.example): 3 of 5" in warning
    assert "Ann Lee (ann@tenants.example): 3 of 5" in warning
    listed = json.loads(cli.ok("meeting", "list", ref, "--json").stdout)
    assert [(m["email"], m["clear_days"], m["short"]) for m in listed[0]["members"]] == [
        ("sam@unison.example", 3, True), ("ann@tenants.example", 3, True)]
    table = cli.ok("meeting", "list", ref).stdout
    assert "2 short" in table
    # The proposal's ten days run from its delivery on the 8th, not from the 2nd.
    (proposal,) = [u for u in shown["unmet"] if u["kind"] == "proposal"]
    assert "has had 0 of 10 clear working days of discussion since it reached every member" in \
        proposal["message"]
    travel.move_to(at("2027-04-22 10:00"))  # 9 clear working days after the 8th
    assert [u["kind"] for u in _show(cli, ref)["unmet"]] == ["meeting", "proposal"]
    travel.move_to(at("2027-04-23 10:00"))
    (unmet,) = _show(cli, ref)["unmet"]
    assert unmet["kind"] == "meeting"  # it took place, but nobody has recorded it yet
    assert f"bvflow meeting record {ref} 1" in unmet["remedy"]
    record_held(cli, ref)
    (unmet,) = _show(cli, ref)["unmet"]
    assert unmet["kind"] == "meeting"
    assert "was held on short notice; it needs 5 clear working days (agreed notice" in \
        unmet["message"]
    assert unmet["remedy"] == f"bvflow meeting accept-notice {ref} 1 --reason ..."
    before = snapshot(cli.db)
    assert cli("review", "advance", ref).exit_code == 4
    assert snapshot(cli.db) == before
    accepted = cli.ok("meeting", "accept-notice", ref, "1", "--reason",
                      "Both members attended and asked to proceed")
    assert "Short notice of meeting 1 accepted (short: Sam Patel; Ann Lee)" in accepted.stdout
    (event,) = [e for e in events(cli.db) if e[2] == "meeting.short_notice_accepted"]
    payload = json.loads(event[6])["payload"]
    assert payload["reason"] == "Both members attended and asked to proceed"
    assert [(s["email"], s["clear_days"]) for s in payload["short"]] == [
        ("sam@unison.example", 3), ("ann@tenants.example", 3)]
    assert query(cli.db, "SELECT short_notice_accepted FROM meetings") == [
        ("Both members attended and asked to proceed",)]
    assert _show(cli, ref)["unmet"] == []
    # The past reads as it did: counted from the deliveries the chain records by then.
    def warned(when: str) -> list[str]:
        shown = json.loads(cli.ok("review", "show", ref, "--as-of", when, "--json").stdout)
        return [w for w in shown["warnings"] if "short notice" in w]
    assert warned("2027-04-05") == []
    assert "Sam Patel (sam@unison.example): not yet delivered" in warned("2027-04-07")[0]
    assert "Sam Patel (sam@unison.example): 3 of 5" in warned("2027-04-08 12:00")[0]
    report = tmp_path / "report.md"
    cli.ok("report", "review", ref, "--format", "md", "--audience", "internal", "--output",
           str(report))
    text = report.read_text()
    assert "2 members had short notice, accepted: Both members attended" in text
    assert "short notice accepted after a late delivery" in text
    public = tmp_path / "public.html"
    cli.ok("report", "review", ref, "--audience", "public", "--output", str(public))
    html = public.read_text()
    assert "2 members, accepted: Both members attended" in html
    assert "sam@unison.example" not in html
    assert "ann@tenants.example" not in html
    assert "consult -> closed" in cli.ok("review", "advance", ref).stdout
    assert json.loads(cli.ok("audit", "verify", "--json").stdout)["intact"] is True


def test_a_failed_delivery_is_short_notice_at_once(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    travel.move_to(at("2027-01-04 10:00"))
    ref = _review(cli, tmp_path)
    cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at", "2027-02-12 18:00",
           "--place", "Town Hall")
    cli.ok("sweep")
    # Sam's copy failed for good (as a bounced address would); Ann's was delivered.
    execute(cli.db, "UPDATE outbox SET status = 'failed', sent_at = NULL "
                    "WHERE recipient = 'sam@unison.example' AND kind = 'meeting_notice'")
    listed = json.loads(cli.ok("meeting", "list", ref, "--json").stdout)
    short = {m["email"]: m["short"] for m in listed[0]["members"]}
    # Weeks ahead, but someone must act now: it is short until it is delivered.
    assert short == {"sam@unison.example": True, "ann@tenants.example": False}
    (warning,) = [w for w in _show(cli, ref)["warnings"] if "short notice" in str(w)]
    assert "Sam Patel (sam@unison.example): delivery failed" in warning
    assert "Ann Lee" not in warning
    assert "1 short" in cli.ok("meeting", "list", ref).stdout
    # A retry that delivers it in time puts it right.
    cli.ok("outbox", "retry", "--all-failed")
    cli.ok("sweep")
    assert not [w for w in _show(cli, ref)["warnings"] if "short notice" in str(w)]


def test_an_override_accepts_only_the_shortfall_known_when_scheduling(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    travel.move_to(at("2027-01-04 10:00"))
    ref = _review(cli, tmp_path)
    before = snapshot(cli.db)
    needless = cli("meeting", "schedule", ref, "--title", "WP", "--at", "2027-02-12 18:00",
                   "--place", "Town Hall", "--reason", "Routine")
    assert needless.exit_code == 1
    assert "--reason is only for a meeting inside its notice period" in needless.stderr
    assert snapshot(cli.db) == before
    # Thursday 7 January with notice on Monday 4th: 2 of 5, accepted by the override...
    cli.ok("meeting", "schedule", ref, "--title", "Urgent", "--at", "2027-01-07 18:00",
           "--place", "Town Hall", "--reason", "The depot closes on the 8th")
    assert "override: 2 waiting" in cli.ok("meeting", "list", ref).stdout
    place_only = cli("meeting", "reschedule", ref, "1", "--place", "Depot", "--reason", "x")
    assert place_only.exit_code == 1
    assert "--reason is only for a new --at" in place_only.stderr
    # ...but delivered on Wednesday 6th, it gives 0: short of what the override accepted.
    travel.move_to(at("2027-01-06 10:00"))
    cli.ok("sweep")
    (warning,) = [w for w in _show(cli, ref)["warnings"] if "short notice" in str(w)]
    assert "or the 2 an override accepted when it was scheduled" in warning
    assert "Sam Patel (sam@unison.example): 0 of 2" in warning
    assert "override: 2 short" in cli.ok("meeting", "list", ref).stdout


def test_a_newcomer_is_sent_what_is_under_discussion(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    travel.move_to(at("2027-01-04 10:00"))
    ref = _review(cli, tmp_path)
    paper = tmp_path / "proposal.txt"
    paper.write_text("Proposal\n")
    cli.ok("proposal", "circulate", ref, "--title", "Rounds", "--file", str(paper))
    cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at", "2027-01-20 18:00",
           "--place", "Town Hall")
    cli.ok("sweep")
    # Sam's address was wrong: he is replaced by his new address a week later.
    travel.move_to(at("2027-01-11 10:00"))
    cli.ok("party", "remove", ref, "sam@unison.example", "--reason", "Wrong address")
    cli.ok("party", "add", ref, "--name", "Sam Patel", "--email", "sam.patel@unison.example",
           "--organisation", "UNISON", "--category", "trade_union")
    (added,) = [json.loads(e[6])["payload"] for e in events(cli.db)
                if e[2] == "party.member_added" and "sam.patel" in e[6]]
    assert added["sent"] == {"proposals": [1], "meetings": [1]}
    (proposal,) = [u for u in _show(cli, ref)["unmet"] if u["kind"] == "proposal"]
    assert "has not reached Sam Patel (sam.patel@unison.example, waiting)" in (
        proposal["message"])
    cli.ok("sweep")
    got = query(cli.db, "SELECT kind FROM outbox WHERE recipient = 'sam.patel@unison.example' "
                        "AND status = 'sent' ORDER BY id")
    assert sorted(k for (k,) in got) == ["meeting_notice", "party_welcome", "proposal_circulated"]
    # The discussion period runs from his copy, on the 11th; his late invitation is not
    # counted against the notice the members had when it was scheduled.
    (proposal,) = [u for u in _show(cli, ref)["unmet"] if u["kind"] == "proposal"]
    assert "has had 0 of 10 clear working days" in proposal["message"]
    members = json.loads(cli.ok("meeting", "list", ref, "--json").stdout)[0]["members"]
    assert {m["email"] for m in members} == {"sam@unison.example", "ann@tenants.example"}


def test_accepting_short_notice_needs_someone_short_and_a_reason(
        cli: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    travel.move_to(at("2027-01-04 10:00"))
    ref = _review(cli, tmp_path)
    cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at", "2027-01-20 18:00",
           "--place", "Town Hall")
    cli.ok("sweep")
    before = snapshot(cli.db)
    nobody = cli("meeting", "accept-notice", ref, "1", "--reason", "Just in case")
    assert nobody.exit_code == 4
    assert "every member has had (or can still get) its full notice" in nobody.stderr
    for args, code, words in [
        ((ref, "1", "--reason", "  "), 1, "reason"),
        ((ref, "9", "--reason", "x"), 1, "no meeting 9"),
        ((ref, "one", "--reason", "x"), 1, "one"),
        (("BV-1999-999", "1", "--reason", "x"), 1, "BV-1999-999"),
        ((ref, "1"), 2, "--reason"),
    ]:
        result = cli("meeting", "accept-notice", *args)
        assert result.exit_code == code, (args, result.stderr)
        assert words in result.stderr
        assert "Traceback" not in result.stderr
    assert snapshot(cli.db) == before


@pytest.mark.parametrize(("value", "words"), [
    ("{kinds: [jamboree]}", "kinds from working_party, committee"),
    ("{count: 0, kinds: [committee]}", "meeting must be true"),
    ("{kinds: [committee, committee]}", "meeting must be true"),
    ("{when: soon}", "meeting must be true"),
    ("{count: 1, kinds: [[committee]]}", "meeting must be true"),
    ("{count: 1, kinds: [{a: 1}]}", "meeting must be true"),
    ("{count: 1, kinds: []}", "meeting must be true"),
    ("{count: true, kinds: [committee]}", "meeting must be true"),
    ("{count: 1, kinds: committee}", "meeting must be true"),
])
def test_a_broken_meeting_requirement_is_named(cli: Cli, tmp_path: Path, value: str,
                                               words: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(WORKFLOW.replace("- meeting: true", f"- meeting: {value}"))
    result = cli("workflow", "validate", str(path))
    assert result.exit_code == 1
    assert words in result.stdout + result.stderr


def test_the_bundled_workflow_requires_the_deciding_meeting(cli: Cli) -> None:
    shown = cli.ok("workflow", "show", "best-value").stdout
    assert ("Notice: working-party and public meetings 5 clear working days (agreed); "
            "committee, cabinet and council meetings the nation's lawful notice, counted in "
            "working days") in shown
    data = json.loads(cli.ok("workflow", "show", "best-value", "--json").stdout)
    assert data["notice"]["statutory_clear_days"] == "working"
    assert set(data["notice"]["meeting_notice_days"].values()) == {5}
    assert "meeting: 1 committee or cabinet meeting held with lawful notice" in shown
    assert "meeting: 1 working-party meeting held with full notice" in shown
