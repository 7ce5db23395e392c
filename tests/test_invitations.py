"""Invitations and their messages as a member's mail and calendar clients read them: each
message parsed strictly, every text part with its charset, and every invitation parsed by
Mozilla's ical.js (Thunderbird's calendar library), non-ASCII titles included."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, swept_mail

ROOT = Path(__file__).resolve().parent.parent
ICAL_JS = ROOT / ".ci" / "js" / "node_modules" / "ical.js" / "dist" / "ical.js"
PARSER = Path(__file__).resolve().parent / "js" / "parse_invite.mjs"
TITLE = "Working party — “Rounds” café"
PLACE = "Neuadd y Dref, Ystafell 2"
MEMBER = ("Siân Prosser-Évans", "sian@unison.example")
COORDINATOR = "jo@exampleshire.gov.uk"
OBSERVER = ("Alex Reid", "alex.reid@audit.example")
WATCHER = "scrutiny@exampleshire.gov.uk"


def _ical_js(text: str) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not ICAL_JS.exists():
        if os.environ.get("CI"):
            pytest.fail("node or ical.js is missing; .ci/run installs ical.js with npm")
        pytest.skip("ical.js is not installed here (.ci/run installs it with npm)")
    out = subprocess.run([node, str(PARSER), str(ICAL_JS)], input=text, capture_output=True,
                         text=True, check=False, timeout=60)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert isinstance(found, dict)
    return found


@pytest.fixture
def meeting_mail(initialised: Cli, new_review: Callable[..., str],
                 tmp_path: Path) -> list[EmailMessage]:
    ref = new_review()
    name, email = MEMBER
    initialised.ok("party", "add", ref, "--name", name, "--email", email, "--organisation",
                   "UNISON Cymru", "--category", "trade_union")
    observer_name, observer = OBSERVER
    initialised.ok("party", "add", ref, "--name", observer_name, "--email", observer,
                   "--organisation", "District Audit", "--category", "public_bodies",
                   "--role", "observer")
    initialised.ok("review", "watch", ref, WATCHER, "--name", "Scrutiny officer")
    agenda = tmp_path / "agenda.txt"
    agenda.write_text("1. Café rounds — “draft” timetable\n", encoding="utf-8")
    initialised.ok("meeting", "schedule", ref, "--title", TITLE, "--at", "2027-01-20 18:00",
                   "--place", PLACE, "--papers", str(agenda))
    initialised.ok("meeting", "reschedule", ref, "1", "--at", "2027-01-27 18:30")
    initialised.ok("meeting", "cancel", ref, "1", "--reason", "Snow")
    return swept_mail(initialised)


def _invites(messages: list[EmailMessage], address: str) -> list[tuple[EmailMessage, Any]]:
    found = []
    for message in messages:
        if address not in str(message["To"]):
            continue
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                found.append((message, part))
    return found


def test_every_text_part_says_its_charset(meeting_mail: list[EmailMessage]) -> None:
    assert meeting_mail
    for message in meeting_mail:
        for part in message.walk():
            if part.get_content_maintype() == "text":
                assert part.get_content_charset() == "utf-8", (message["Subject"],
                                                                part.get_content_type())
                assert "\ufffd" not in part.get_content()
    agendas = [p for m in meeting_mail for p in m.iter_attachments()
               if p.get_filename() == "agenda.txt"]
    assert agendas
    for part in agendas:
        assert part.get_content() == "1. Café rounds — “draft” timetable\n"


def test_a_member_is_invited_and_may_reply_to_the_coordinator(
        meeting_mail: list[EmailMessage]) -> None:
    name, email = MEMBER
    invites = _invites(meeting_mail, email)
    assert len(invites) == 3  # the notice, the change and the cancellation
    seen = []
    for message, part in invites:
        assert str(message["Reply-To"]) == COORDINATOR
        text = part.get_content()
        assert TITLE in text.replace("\r\n ", "").replace("\\,", ",")
        event = _ical_js(text)
        assert event["method"] == part.get_param("method")
        assert event["summary"] == TITLE
        assert event["location"] == PLACE
        assert event["startZone"] == "Europe/London"
        assert event["organizer"]["value"] == f"mailto:{COORDINATOR}"
        assert event["organizer"]["cn"]
        assert event["organizer"]["sentBy"] == "mailto:bestvalue@localhost"
        (attendee,) = event["attendees"]
        assert attendee == {"value": f"mailto:{email}", "cn": name, "sentBy": None,
                            "rsvp": "TRUE", "role": "REQ-PARTICIPANT"}
        seen.append((event["method"], event["sequence"], event["status"], event["start"]))
    assert sorted(seen, key=lambda s: s[1]) == [
        ("REQUEST", 0, "CONFIRMED", "2027-01-20T18:00:00"),
        ("REQUEST", 1, "CONFIRMED", "2027-01-27T18:30:00"),
        ("CANCEL", 2, "CANCELLED", "2027-01-27T18:30:00"),
    ]


@pytest.mark.parametrize(("address", "role", "rsvp"), [
    (OBSERVER[1], "OPT-PARTICIPANT", "TRUE"),
    (WATCHER, "NON-PARTICIPANT", "FALSE"),
], ids=["observer", "watcher"])
def test_an_observer_may_come_and_a_watcher_is_told_for_information(
        meeting_mail: list[EmailMessage], address: str, role: str, rsvp: str) -> None:
    invites = _invites(meeting_mail, address)
    assert len(invites) == 3
    for _, part in invites:
        (attendee,) = _ical_js(part.get_content())["attendees"]
        assert (attendee["value"], attendee["role"], attendee["rsvp"]) == (
            f"mailto:{address}", role, rsvp)


def test_the_time_zone_is_london_with_no_comment(meeting_mail: list[EmailMessage]) -> None:
    for _, part in _invites(meeting_mail, MEMBER[1]):
        text = part.get_content()
        assert "COMMENT" not in text
        event = _ical_js(text)
        assert (event["zones"], event["zoneComments"]) == (["Europe/London"], [])


def test_the_organiser_is_not_invited_to_their_own_meeting(
        meeting_mail: list[EmailMessage]) -> None:
    invites = _invites(meeting_mail, COORDINATOR)
    assert len(invites) == 3
    for message, part in invites:
        assert message["Reply-To"] is None  # replies to themselves would be noise
        plain = message.get_body(("plain",))
        assert plain is not None
        assert "apologies" not in plain.get_content()  # nor asked to send them to themselves
        event = _ical_js(part.get_content())
        assert event["method"] == part.get_param("method") == "PUBLISH"
        assert event["attendees"] == []
    statuses = sorted(_ical_js(p.get_content())["status"] for _, p in invites)
    assert statuses == ["CANCELLED", "CONFIRMED", "CONFIRMED"]
