"""Addresses as mail servers and clients meet them: a Message-ID no other database reuses,
a Reply-To that is a real address, and addresses no server would deliver refused at input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import time_machine
from conftest import Cli, snapshot, swept_mail

INIT = ("init", "--authority", "Exampleshire County Council", "--nation", "england",
        "--sender", "bestvalue@exampleshire.gov.uk")
MESSAGE_ID = re.compile(r"<bvflow-outbox-(\d+)\.([0-9a-f]{12})@exampleshire\.gov\.uk>")


def _open(cli: Cli, coordinator: str = "jo@exampleshire.gov.uk") -> str:
    cli.ok(*INIT)
    ref = cli.ok("review", "create", "Refuse collection", "--service", "Waste",
                 "--coordinator", coordinator).stdout.strip()
    cli.ok("party", "add", ref, "--name", "Sam Patel", "--email", "sam@unison.example",
           "--organisation", "UNISON", "--category", "trade_union")
    return ref


def test_two_databases_never_share_a_message_id(
        cli: Cli, tmp_path: Path, travel: time_machine.Coordinates) -> None:
    """A training copy or a rebuilt database numbers its outbox from 1 again."""
    _open(cli)
    first = {str(m["Message-ID"]) for m in swept_mail(cli)}
    other = Cli(type(cli.db)(f"sqlite:///{tmp_path / 'other.db'}", tmp_path,
                             tmp_path / "other.db"))
    travel.shift(1)
    _open(other)
    other.ok("sweep")
    box = tmp_path / "mail" / "new"
    every = [re.search(r"^Message-ID: (.*)$", p.read_text(), re.M | re.I) for p in
             box.iterdir()]
    ids = [m.group(1).strip() for m in every if m]
    assert all(MESSAGE_ID.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == len(ids) == 2 * len(first)
    assert {MESSAGE_ID.fullmatch(i).group(1) for i in ids} == {"1", "2"}  # type: ignore[union-attr]


def test_replies_go_to_the_coordinator_as_a_plain_address(cli: Cli) -> None:
    _open(cli, coordinator="Jo.Bloggs@Exampleshire.gov.uk")
    (welcome,) = swept_mail(cli, "sam@unison.example")
    assert str(welcome["Reply-To"]) == "Jo.Bloggs@exampleshire.gov.uk"
    assert "=?" not in welcome.as_string().split("\n\n", 1)[0]


def test_a_coordinator_whose_name_is_not_ascii_is_not_put_in_an_ascii_message(cli: Cli) -> None:
    """Encoded words inside an address are forbidden (RFC 2047 s5); the member's server may
    not take UTF-8 headers. Replies then go to the sender."""
    _open(cli, coordinator="zoë@exampleshire.gov.uk")
    (welcome,) = swept_mail(cli, "sam@unison.example")
    assert welcome["Reply-To"] is None
    assert "=?" not in welcome.as_string().split("\n\n", 1)[0]


@pytest.mark.parametrize(("address", "words"), [
    ("a" * 65 + "@exampleshire.gov.uk", "at most 64 are delivered (RFC 5321)"),
    ("a" * 60 + "@" + ".".join(["d" * 63] * 3) + ".gov.uk", "too long"),
])
@pytest.mark.parametrize("where", ["sender", "coordinator", "member"])
def test_an_address_no_server_would_deliver_is_refused(
        cli: Cli, address: str, words: str, where: str) -> None:
    ref = _open(cli) if where != "sender" else "BV-2027-001"
    before = snapshot(cli.db)
    args = {
        "sender": [*INIT[:-1], address],
        "coordinator": ["review", "create", "Libraries", "--service", "Libraries",
                        "--coordinator", address],
        "member": ["party", "add", ref, "--name", "Kim", "--email", address,
                   "--organisation", "GMB", "--category", "trade_union"],
    }[where]
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert "is not a valid email address" in result.stderr
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if where != "sender":
        assert snapshot(cli.db) == before

