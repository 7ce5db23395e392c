"""A newcomer to a working party is told at once what the review is, their role, the
stages and their periods, what they will be asked to agree, the meetings to come and how
to respond: the message a union rep reads first."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from conftest import Cli, events, query, swept_mail


def _welcomes(cli: Cli, address: str) -> list[EmailMessage]:
    return [m for m in swept_mail(cli, address) if "welcome to the working party" in m["Subject"]]


def test_a_new_member_is_welcomed_with_what_they_need(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("meeting", "schedule", ref, "--title", "Working party: scope", "--at",
                   "2027-01-20 18:00", "--place", "Committee Room 2")
    initialised.ok("party", "add", ref, "--name", "Sam Patel", "--email", "sam@unison.example",
                   "--organisation", "UNISON City Branch", "--category", "trade_union")
    (welcome,) = _welcomes(initialised, "sam@unison.example")
    assert str(welcome["Subject"]) == (
        f"{ref}: welcome to the working party for the Best Value review of Refuse collection")
    assert str(welcome["Reply-To"]) == "jo@exampleshire.gov.uk"
    text = welcome.get_body(("plain",))
    assert text is not None
    body = text.get_content().replace("\r\n", "\n")
    for words in (
        "on behalf of UNISON City Branch (Trade unions)",
        "Your role: member. In this role you represent your organisation",
        "1. Challenge (the stage it is in now): at least 10 clear working days of discussion, "
        "due within 30 working days",
        "6. Monitor",
        "The Challenge stage is due to be completed by Monday 15 February 2027.",
        "  - Baseline profile (in the Challenge stage)",
        "  - Performance targets (in the Report stage)",
        "  - Working party: scope (working-party meeting), Wednesday 20 January 2027 at 18:00 "
        "GMT, Committee Room 2",
        "reply to this email, or to any notice from the review, and it reaches the "
        "coordinator, jo@exampleshire.gov.uk",
        "reply to its notice with your apologies",
    ):
        assert words in body, words
    html = welcome.get_body(("html",))
    assert html is not None
    assert "<h2>What the working party will be asked to agree</h2>" in html.get_content()
    # The welcome is queued with the change, and the record says so.
    (row,) = query(initialised.db, "SELECT dedupe_key, status FROM outbox "
                                   "WHERE kind = 'party_welcome'")
    assert row[0].startswith("welcome:")
    assert row[1] == "sent"
    assert [e[2] for e in events(initialised.db)].count("party.member_added") == 1


def test_an_observer_is_told_they_are_not_asked_to_agree(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("party", "add", ref, "--name", "Joan Hart", "--email", "joan@press.example",
                   "--organisation", "Local Gazette", "--category", "business", "--role",
                   "observer")
    (welcome,) = _welcomes(initialised, "joan@press.example")
    body = welcome.get_body(("plain",))
    assert body is not None
    assert "Your role: observer. In this role you observe: you receive the notices and the " \
        "public papers, and are not asked to agree." in " ".join(body.get_content().split())
    assert "No meeting has been called yet" in body.get_content()


def test_someone_who_rejoins_is_welcomed_again_and_an_import_welcomes_each(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    add = ["party", "add", ref, "--name", "Sam Patel", "--email", "sam@unison.example",
           "--organisation", "UNISON", "--category", "trade_union"]
    initialised.ok(*add)
    initialised.ok("party", "remove", ref, "sam@unison.example", "--reason", "Left the branch")
    initialised.ok(*add)
    assert len(_welcomes(initialised, "sam@unison.example")) == 2
    listed = tmp_path / "members.csv"
    listed.write_text("name,email,organisation,category\nAnn Lee,ann@tenants.example,"
                      "Tenants,tenants\nRaj Singh,raj@users.example,User Panel,users\n")
    initialised.ok("party", "import", ref, str(listed))
    assert len(_welcomes(initialised, "ann@tenants.example")) == 1
    assert len(_welcomes(initialised, "raj@users.example")) == 1


def test_a_welcome_to_a_suspended_review_says_it_is_suspended(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("review", "suspend", ref, "--reason", "Pre-election period")
    initialised.ok("party", "add", ref, "--name", "Sam Patel", "--email", "sam@unison.example",
                   "--organisation", "UNISON", "--category", "trade_union")
    (welcome,) = _welcomes(initialised, "sam@unison.example")
    body = welcome.get_body(("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert "The review is suspended at present: its days do not count" in text
    assert "public and restricted papers" in text  # not "every paper": confidential never
