"""The authority's own improvement actions: no review's, but the same plan machinery.

Added with `improvement add` (or by an inspection's recommendations and a self-assessment's
gaps), listed, updated with the values before in the audit trail, and reminded to their
owner by the sweep like a review's actions.
"""

from __future__ import annotations

import io
import json
from datetime import datetime

import openpyxl
import pytest
import time_machine
from conftest import Cli, events, query, snapshot, swept_mail

from bvflow.domain.calendar import LONDON

PAT = "pat@exampleshire.gov.uk"
SAM = "sam@exampleshire.gov.uk"


def _at(travel: time_machine.Coordinates, day: str) -> None:
    travel.move_to(datetime.fromisoformat(f"{day} 09:00").replace(tzinfo=LONDON))


def _add(cli: Cli, title: str, owner: str, due: str, *extra: str) -> int:
    found = json.loads(cli.ok("improvement", "add", "--title", title, "--owner", owner,
                              "--due", due, "--json", *extra).stdout)
    return int(found["id"])


def test_an_authority_action_is_recorded_listed_and_audited(initialised: Cli) -> None:
    first = _add(initialised, "Publish complaints figures quarterly", PAT, "2027-03-31")
    second = _add(initialised, "Review library opening hours", SAM, "2027-02-26",
                  "--service", "Libraries", "--priority", "Access")
    rows = query(initialised.db, "SELECT id, review_id, source, source_id, service, title, "
                                 "owner, status FROM plan_actions ORDER BY id")
    assert rows == [
        (first, None, "authority", None, None, "Publish complaints figures quarterly", PAT,
         "planned"),
        (second, None, "authority", None, "Libraries", "Review library opening hours", SAM,
         "planned"),
    ]
    added = [e for e in events(initialised.db) if e[2] == "action.added"]
    assert [(e[3], json.loads(e[6])["payload"]["title"]) for e in added] == [
        (None, "Publish complaints figures quarterly"), (None, "Review library opening hours")]

    listed = initialised.ok("improvement", "list").stdout
    assert listed.index("Review library opening hours") < listed.index("Publish complaints")
    assert "Libraries" in listed
    only = json.loads(initialised.ok("improvement", "list", "--service", "Libraries",
                                     "--json").stdout)
    assert [a["title"] for a in only] == ["Review library opening hours"]
    assert json.loads(initialised.ok("improvement", "list", "--source", "inspection",
                                     "--json").stdout) == []
    workbook = openpyxl.load_workbook(io.BytesIO(
        initialised.ok("improvement", "list", "--format", "xlsx").stdout_bytes))
    sheet = workbook.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["id", "source", "source_id", "service", "title"]
    assert sheet.max_row == 3
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_updating_keeps_the_values_before_and_stops_at_the_review_boundary(
        initialised: Cli, new_review: object) -> None:
    action = _add(initialised, "Publish complaints figures quarterly", PAT, "2027-03-31")
    out = initialised.ok("improvement", "update", str(action), "--status", "in_progress",
                         "--owner", SAM).stdout
    assert out.strip() == f"Action {action}: in_progress, due 2027-03-31, owner {SAM}"
    updated = [json.loads(e[6])["payload"] for e in events(initialised.db)
               if e[2] == "action.updated"]
    assert updated == [{
        "action_id": action, "source": "authority",
        "before": {"status": "planned", "due": "2027-03-31", "owner": PAT},
        "after": {"status": "in_progress", "due": "2027-03-31", "owner": SAM},
    }]
    # A review's action is not the authority's, and the other way about.
    assert callable(new_review)
    ref = new_review()
    initialised.ok("action", "add", ref, "--title", "Food waste", "--owner", SAM,
                   "--due", "2027-06-01")
    review_action = int(query(initialised.db, "SELECT max(id) FROM plan_actions")[0][0])
    before = snapshot(initialised.db)
    wrong = initialised("improvement", "update", str(review_action), "--status", "done")
    assert wrong.exit_code == 1
    assert "belongs to a review: use 'bvflow action update'" in wrong.stderr
    other = initialised("action", "update", ref, str(action), "--status", "done")
    assert other.exit_code == 1
    assert "no action" in other.stderr
    assert snapshot(initialised.db) == before


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--title", "", "--owner", PAT, "--due", "2027-03-31"), 1, "title"),
    (("--title", "T", "--owner", "not-an-address", "--due", "2027-03-31"), 1, "address"),
    (("--title", "T", "--owner", PAT, "--due", "2027-02-30"), 1, "date"),
    (("--title", "T", "--owner", PAT, "--due", "2027-03-31", "--service", " "), 1, "service"),
    (("--title", "x" * 301, "--owner", PAT, "--due", "2027-03-31"), 1, "title"),
])
def test_bad_input_to_add_is_refused_and_changes_nothing(
        initialised: Cli, args: tuple[str, ...], code: int, message: str) -> None:
    before = snapshot(initialised.db)
    result = initialised("improvement", "add", *args)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr.lower()
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert snapshot(initialised.db) == before


@pytest.mark.parametrize(("args", "code", "message"), [
    (("99", "--status", "done"), 1, "no action 99"),
    (("1",), 1, "give --status"),
    (("1", "--status", "finished"), 1, "status"),
    (("1", "--owner", "nobody"), 1, "address"),
    (("x", "--status", "done"), 1, "x"),
])
def test_bad_input_to_update_is_refused_and_changes_nothing(
        initialised: Cli, args: tuple[str, ...], code: int, message: str) -> None:
    _add(initialised, "Publish complaints figures quarterly", PAT, "2027-03-31")
    before = snapshot(initialised.db)
    result = initialised("improvement", "update", *args)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert snapshot(initialised.db) == before


def test_the_owner_is_reminded_before_and_after_the_due_date_until_it_is_done(
        initialised: Cli, travel: time_machine.Coordinates) -> None:
    action = _add(initialised, "Review library opening hours", SAM, "2027-02-15",
                  "--service", "Libraries")
    _at(travel, "2027-02-08")  # five working days before
    soon = swept_mail(initialised, SAM)
    assert [str(m["Subject"]) for m in soon] == [
        "Action due Monday 15 February 2027: Review library opening hours (authority)"]
    body = soon[0].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "An action in the authority's improvement plan for Libraries is due" in text
    assert f"bvflow improvement update {action}" in text
    assert "coordinator" not in text
    html = soon[0].get_body(("html",))
    assert html is not None
    assert "the authority's improvement plan for Libraries" in html.get_content()
    # Once only, to the owner only, with no review.
    initialised.ok("sweep")
    assert query(initialised.db, "SELECT kind, recipient, review_id, status FROM outbox "
                                 "WHERE kind LIKE 'action_%'") == [
        ("action_due_soon", SAM, None, "sent")]

    _at(travel, "2027-02-16")
    overdue = [str(m["Subject"]) for m in swept_mail(initialised, SAM)]
    assert "Action overdue: Review library opening hours (authority), due Monday 15 " \
        "February 2027" in overdue
    listed = json.loads(initialised.ok("improvement", "list", "--json").stdout)
    assert [a["overdue"] for a in listed] == [True]
    assert "OVERDUE" in initialised.ok("improvement", "list").stdout

    initialised.ok("improvement", "update", str(action), "--status", "done")
    for day in range(17, 27):
        _at(travel, f"2027-02-{day}")
        initialised.ok("sweep")
    keys = [k for (k,) in query(initialised.db, "SELECT dedupe_key FROM outbox WHERE kind "
                                                "LIKE 'action_%' ORDER BY id")]
    assert len(keys) == 2
    assert all(k.startswith(f"action:{action}:") for k in keys)
    sent = [e for e in events(initialised.db) if e[2] == "notification.sent"]
    assert len(sent) == 2
    assert all(e[3] is None for e in sent)
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_the_service_is_spelt_as_the_record_spells_it(initialised: Cli) -> None:
    initialised.ok("indicator", "add", "--service", "Libraries", "L1", "--name", "Visits")
    action = _add(initialised, "Review opening hours", SAM, "2027-02-26", "--service",
                  "  libraries ")
    assert query(initialised.db, "SELECT service FROM plan_actions WHERE id = :id",
                 id=action) == [("Libraries",)]
