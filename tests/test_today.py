"""``bvflow today``: a coordinator's Monday morning, across every review they run."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from conftest import Cli, SmtpServer, prepare, snapshot, use_smtp

JO = "jo@exampleshire.gov.uk"
ANN = "ann@exampleshire.gov.uk"


@pytest.fixture
def busy(initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
         tmp_path: Path, smtp_server: SmtpServer) -> dict[str, str]:
    """Three reviews: one overdue (Ann's), one ready to advance with a meeting next week and
    an undeliverable member (Jo's), one that is neither (Jo's)."""
    late = initialised.ok("review", "create", "Street lighting", "--service", "Highways",
                          "--coordinator", ANN).stdout.strip()
    travel.shift(timedelta(days=50))  # more than challenge's 30 working days
    ready = new_review("Refuse collection")
    quiet = new_review("Libraries")
    prepare(initialised, ready, "challenge", tmp_path)
    use_smtp(initialised.db, smtp_server.port)
    smtp_server.handler.rcpt_replies["gone@unison.example"] = "550 No such user"
    initialised.ok("party", "add", ready, "--name", "Gone", "--email", "gone@unison.example",
                   "--organisation", "UNISON", "--category", "trade_union")
    initialised.ok("meeting", "schedule", ready, "--title", "Working party", "--at",
                   "2027-03-16 18:00", "--place", "Town Hall")
    initialised.ok("sweep")
    travel.shift(timedelta(days=15))  # challenge's 10 clear working days have run
    return {"late": late, "ready": ready, "quiet": quiet}


def test_today_lists_what_needs_each_coordinator(initialised: Cli,
                                                  busy: dict[str, str]) -> None:
    everyone = json.loads(initialised.ok("today", "--json").stdout)
    by_section: dict[str, list[str]] = {}
    for item in everyone["items"]:
        by_section.setdefault(item["section"], []).append(item["ref"])
    assert by_section["overdue"] == [busy["late"]]
    assert by_section["advance"] == [busy["ready"]]
    assert by_section["meeting"] == [busy["ready"]]
    assert by_section["notice"] == [busy["ready"]]
    assert busy["quiet"] not in {i["ref"] for i in everyone["items"]}

    jo = initialised.ok("today", "--coordinator", JO.upper())
    lines = jo.stdout.splitlines()
    assert lines[0].startswith("Today, Wednesday 10 March 2027")
    assert lines[0].endswith(f" for {JO}:")
    text = jo.stdout
    assert "Ready to advance (1)" in text
    assert f"{busy['ready']} Refuse collection: Challenge has met every condition" in text
    assert f"bvflow review advance {busy['ready']}" in text
    assert "Meetings in the next 14 days (1)" in text
    assert "Working-party meeting 'Working party', Tuesday 16 March 2027 at 18:00 GMT" in text
    assert "Notices not delivered (1)" in text
    assert "failed and will not be retried" in text
    assert busy["late"] not in text  # Ann's review is not Jo's

    ann = initialised.ok("today", "--coordinator", ANN).stdout
    assert "Overdue (1)" in ann
    assert f"{busy['late']} Street lighting: Challenge was due by " in ann
    assert "working days overdue" in ann
    # Acting on it empties the list: advancing leaves nothing to advance.
    initialised.ok("review", "advance", busy["ready"])
    after = json.loads(initialised.ok("today", "--coordinator", JO, "--json").stdout)
    assert "advance" not in {i["section"] for i in after["items"]}


def test_a_quiet_day_says_so(initialised: Cli, new_review: Callable[..., str]) -> None:
    new_review()
    assert initialised.ok("today").stdout.startswith("Nothing needs you today, ")
    nobody = initialised.ok("today", "--coordinator", "pat@exampleshire.gov.uk").stdout
    assert nobody == ("No live review has pat@exampleshire.gov.uk as its coordinator "
                      "('bvflow review list' shows each review's).\n")
    assert json.loads(initialised.ok("today", "--coordinator", "pat@exampleshire.gov.uk",
                                     "--json").stdout)["reviews"] == 0
    coordinator = json.loads(initialised.ok("review", "list", "--json").stdout)[0]["coordinator"]
    quiet = initialised.ok("today", "--coordinator", coordinator).stdout
    assert quiet.startswith(f"Nothing needs {coordinator} today, ")


@pytest.mark.parametrize(("args", "words"), [
    (["--coordinator", "not-an-address"], "not a valid email address"),
    (["--coordinator", ""], "email"),
])
def test_today_refuses_a_bad_coordinator(initialised: Cli, args: list[str],
                                         words: str) -> None:
    before = snapshot(initialised.db)
    result = initialised("today", *args)
    assert result.exit_code == 1, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(initialised.db) == before


def test_today_needs_a_database(cli: Cli) -> None:
    result = cli("today")
    assert result.exit_code == 1
    assert "bvflow init" in result.stderr
