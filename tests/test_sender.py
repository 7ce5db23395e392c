"""The address notices come from: set with the authority at ``init --sender``, audited, the
From of every notice unless ``[mail] from`` overrides it; without either, a warning."""

from __future__ import annotations

import json
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from conftest import Cli, events, query, swept_mail

from bvflow.store import migrate
from bvflow.store.database import Database

SENDER = "bestvalue@exampleshire.gov.uk"
FROM = f"Best Value Team <{SENDER}>"
INIT = ("init", "--authority", "Exampleshire County Council", "--nation", "england")
UNANSWERABLE = ("Warning: notices come from bestvalue@localhost, so bounces and replies to it "
                "go nowhere; give the council's address with 'bvflow init --sender EMAIL'\n")


def _authority_events(cli: Cli) -> list[dict[str, Any]]:
    return [json.loads(e[6])["payload"] for e in events(cli.db) if e[2] == "authority.set"]


def _with_a_meeting(cli: Cli, new_review: Callable[..., str]) -> list[EmailMessage]:
    """A review with a member and a meeting, swept: notices, a welcome and invitations."""
    ref = new_review()
    cli.ok("party", "add", ref, "--name", "Sam Patel", "--email", "sam@unison.example",
           "--organisation", "UNISON", "--category", "trade_union")
    cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at", "2027-01-20 18:00",
           "--place", "Town Hall")
    return swept_mail(cli)


def _sent_by(message: EmailMessage) -> list[str]:
    from icalendar import Calendar

    found = []
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            event = Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
            found.append(str(event["ORGANIZER"].params.get("SENT-BY")))
    return found


def test_the_sender_set_at_init_is_the_from_of_every_notice(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    said = initialised.ok("init", "--sender", SENDER)
    assert said.stdout.endswith(f"for Exampleshire County Council (england); notices come "
                                f"from {SENDER}\n")
    assert said.stderr == ""
    mail = _with_a_meeting(initialised, new_review)
    kinds = {k for (k,) in query(initialised.db, "SELECT kind FROM outbox")}
    assert kinds == {"review_opened", "party_welcome", "meeting_notice"}
    assert len(mail) == 4  # the coordinator's two, Sam's welcome and notice
    for message in mail:
        assert str(message["From"]) == FROM
        assert message["From"].addresses[0].addr_spec == SENDER
        assert str(message["Message-ID"]).endswith("@exampleshire.gov.uk>")
    invitations = [s for m in mail for s in _sent_by(m)]
    # The member's invitation says who sent it for the coordinator; the coordinator's own
    # copy is published by them and has no SENT-BY to add.
    assert invitations
    assert set(invitations) <= {f"mailto:{SENDER}", "None"}
    assert f"mailto:{SENDER}" in invitations
    (first, second) = _authority_events(initialised)
    assert first["sender"] is None
    assert (second["sender"], second["before"]["sender"]) == (SENDER, None)
    assert query(initialised.db, "SELECT sender FROM authority") == [(SENDER,)]
    assert initialised.ok("audit", "verify").stdout.startswith("intact")


def test_a_new_database_records_its_sender_in_its_first_event(cli: Cli) -> None:
    said = cli.ok(*INIT, "--sender", SENDER)
    assert said.stderr == ""
    (created,) = _authority_events(cli)
    assert (created["name"], created["sender"], created["before"]) == (
        "Exampleshire County Council", SENDER, None)


def test_changing_the_sender_is_audited_and_used_from_then_on(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    initialised.ok("init", "--sender", SENDER)
    new_review()
    initialised.ok("init", "--sender", "reviews@exampleshire.gov.uk")
    initialised.ok("init", "--sender", "reviews@exampleshire.gov.uk")  # no change: no event
    payloads = _authority_events(initialised)
    assert [p["sender"] for p in payloads] == [None, SENDER, "reviews@exampleshire.gov.uk"]
    assert payloads[-1]["before"] == {"name": "Exampleshire County Council",
                                      "nation": "england", "sender": SENDER}
    # The From is decided when a message is sent: the one waiting goes from the new address.
    (opened,) = swept_mail(initialised)
    assert str(opened["From"]) == "Best Value Team <reviews@exampleshire.gov.uk>"
    # init without --sender keeps it.
    assert "notices come from reviews@" in initialised.ok("init").stdout
    assert initialised.ok("audit", "verify").stdout.startswith("intact")


def test_the_mail_from_setting_overrides_the_sender(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    (initialised.db.parent / "bvflow.toml").write_text(
        '[mail]\nfrom = "Scrutiny <scrutiny@exampleshire.gov.uk>"\n')
    said = initialised.ok("init", "--sender", SENDER)
    assert said.stdout.endswith(f"notices come from {SENDER} ([mail] from overrides it: "
                                "Scrutiny <scrutiny@exampleshire.gov.uk>)\n")
    for message in _with_a_meeting(initialised, new_review):
        assert str(message["From"]) == "Scrutiny <scrutiny@exampleshire.gov.uk>"
        assert set(_sent_by(message)) <= {"mailto:scrutiny@exampleshire.gov.uk", "None"}


def test_an_internationalised_domain_goes_on_the_wire_encoded(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    said = initialised.ok("init", "--sender", "bestvalue@exämple.gov.uk")
    assert said.stdout.endswith("notices come from bestvalue@exämple.gov.uk\n")
    new_review()
    (message,) = swept_mail(initialised)
    assert str(message["From"]) == "Best Value Team <bestvalue@xn--exmple-cua.gov.uk>"


def test_without_a_sender_init_and_today_warn_that_replies_go_nowhere(
        cli: Cli, new_review: Callable[..., str]) -> None:
    created = cli.ok(*INIT)
    assert created.stderr == UNANSWERABLE
    assert cli.ok("init").stderr == UNANSWERABLE
    assert cli.ok("today").stderr == UNANSWERABLE
    listed = json.loads(cli.ok("today", "--json").stdout)
    assert listed["warnings"] == [UNANSWERABLE.removeprefix("Warning: ").rstrip("\n")]
    new_review()
    (message,) = swept_mail(cli)
    assert str(message["From"]) == "Best Value Team <bestvalue@localhost>"
    # Either the setting or the sender silences it.
    (cli.db.parent / "bvflow.toml").write_text(f'[mail]\nfrom = "{FROM}"\n')
    assert cli.ok("init").stderr == ""
    assert cli.ok("today").stderr == ""
    (cli.db.parent / "bvflow.toml").unlink()
    cli.ok("init", "--sender", SENDER)
    assert cli.ok("today").stderr == ""
    assert json.loads(cli.ok("today", "--json").stdout)["warnings"] == []


def test_a_database_from_before_0012_has_no_sender_until_init_sets_one(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    db = Database(initialised.db.sqlalchemy_url)
    try:
        migrate.downgrade(db, "0011")
        migrate.upgrade(db)
    finally:
        db.dispose()
    assert query(initialised.db, "SELECT sender FROM authority") == [(None,)]
    assert initialised.ok("audit", "verify").stdout.startswith("intact")
    initialised.ok("init", "--sender", SENDER)
    new_review()
    (message,) = swept_mail(initialised)
    assert str(message["From"]) == FROM
    assert initialised.ok("audit", "verify").stdout.startswith("intact")
