"""The programme of reviews: services planned year by year, ranked by need with the reason
shown, started into reviews from the plan, dropped with a reason; and the programme report's
planned-against-actual, the services the cycle has left behind, and the reviews running late."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from conftest import BENCHMARKS, Cli, events, execute, query, snapshot, sqlite_only


def _plan(cli: Cli, service: str, year: str, priority: str, reason: str) -> dict[str, Any]:
    result = cli.ok("programme", "add", service, "--year", year, "--priority", priority,
                    "--reason", reason, "--json")
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def _listed(cli: Cli, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(cli.ok("programme", "list", "--json", *args).stdout)
    return found


def _weak_waste_review(cli: Cli, new_review: Callable[..., str], tmp_path: Path) -> str:
    """An earlier review of Waste: recycling in the bottom quartile, an action left overdue."""
    ref = new_review()
    cli.ok("pi", "add", ref, "BV82a", "--name", "Household waste recycled", "--unit", "%",
           "--baseline", "20", "--baseline-period", "2025-26")
    (tmp_path / "bench.csv").write_text(BENCHMARKS)
    cli.ok("pi", "import", ref, str(tmp_path / "bench.csv"))
    cli.ok("action", "add", ref, "--title", "Food waste rounds", "--owner",
           "sam@exampleshire.gov.uk", "--due", "2027-03-01")
    return ref


def test_a_plan_over_two_years_is_ranked_by_need_with_its_reasons(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path,
        travel: time_machine.Coordinates) -> None:
    earlier = _weak_waste_review(initialised, new_review, tmp_path)
    travel.shift(86400 * 90)  # April 2027: the action fell due on 1 March
    said = initialised.ok("programme", "add", "Libraries", "--year", "2027", "--priority",
                          "high", "--reason", "Visits halved")
    assert said.stdout == ("planned item 1: Libraries, 2027, need 4 "
                           "(high priority; never reviewed)\n")
    _plan(initialised, "waste ", "2027", "low", "Contract ends in 2028")  # matched to Waste
    _plan(initialised, "Parks", "2028", "medium", "Cycle")
    _plan(initialised, "Housing repairs", "2027", "low", "Tenant complaints")

    listed = _listed(initialised)
    assert [(i["year"], i["service"], i["need"]) for i in listed] == [
        (2027, "Libraries", 4), (2027, "waste", 3), (2027, "Housing repairs", 2),
        (2028, "Parks", 3)]
    assert listed[1]["signals"] == [
        "low priority",
        "1 indicator in the bottom quartile (BV82a)",
        f"1 overdue action from earlier reviews ({earlier}: Food waste rounds)",
    ]
    assert [i["service"] for i in _listed(initialised, "--year", "2028")] == ["Parks"]
    text = initialised.ok("programme", "list", "--year", "2028").stdout
    assert text == ("ID  YEAR  NEED  STATUS   REVIEW  SERVICE  WHY\n"
                    "3   2028  3     planned  -       Parks    medium priority; never reviewed\n")

    rows = query(initialised.db, "SELECT service, year, priority, reason, status, added_by "
                                 "FROM programme_items ORDER BY id")
    assert rows[0] == ("Libraries", 2027, "high", "Visits halved", "planned", "coordinator")
    planned = [json.loads(e[6])["payload"] for e in events(initialised.db)
               if e[2] == "programme.planned"]
    assert [p["service"] for p in planned] == ["Libraries", "waste", "Parks", "Housing repairs"]
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_starting_an_item_opens_its_review_in_the_same_transaction(
        initialised: Cli) -> None:
    _plan(initialised, "Libraries", "2027", "high", "Visits halved")
    ref = initialised.ok("programme", "start", "1", "--coordinator",
                         "jo@exampleshire.gov.uk").stdout.strip()
    assert query(initialised.db, "SELECT title, service, stage, status FROM reviews") == [
        ("Best Value review of Libraries", "Libraries", "challenge", "active")]
    assert query(initialised.db, "SELECT status, review_ref FROM programme_items") == [
        ("started", ref)]
    last = [(e[2], e[3]) for e in events(initialised.db)][-2:]
    assert last == [("review.created", ref), ("programme.started", ref)]
    opened = query(initialised.db, "SELECT kind FROM outbox")
    assert opened == [("review_opened",)]  # the coordinator is told, as for review create
    again = initialised("programme", "start", "1", "--coordinator", "jo@exampleshire.gov.uk")
    assert again.exit_code == 1
    assert again.stderr == (f"Error: programme item 1 was started as {ref}: only a planned "
                            "item can be started or dropped; 'bvflow programme add' plans "
                            "another\n")
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_a_dropped_item_keeps_its_reason_and_cannot_be_started(initialised: Cli) -> None:
    _plan(initialised, "Parks", "2027", "low", "Cycle")
    said = initialised.ok("programme", "drop", "1", "--reason", "Transferred to the county")
    assert said.stdout == "dropped item 1: Parks, 2027\n"
    assert query(initialised.db, "SELECT status, status_reason FROM programme_items") == [
        ("dropped", "Transferred to the county")]
    refused = initialised("programme", "start", "1", "--coordinator", "jo@exampleshire.gov.uk")
    assert refused.exit_code == 1
    assert "was dropped (Transferred to the county)" in refused.stderr
    assert query(initialised.db, "SELECT count(*) FROM reviews") == [(0,)]


def test_the_programme_report_shows_plan_against_actual_and_the_cycle(
        initialised: Cli, new_review: Callable[..., str],
        travel: time_machine.Coordinates) -> None:
    _plan(initialised, "Libraries", "2026", "high", "Visits halved")  # never started: late
    _plan(initialised, "Parks", "2028", "medium", "Cycle")  # started early
    _plan(initialised, "Waste", "2027", "low", "Contract ends")
    initialised.ok("programme", "start", "2", "--coordinator", "jo@exampleshire.gov.uk")
    initialised.ok("programme", "drop", "3", "--reason", "Outsourced")
    report = initialised.ok("report", "programme", "--format", "md").stdout
    assert ("| 1 | 2026 | Libraries | 4 | high priority; never reviewed. Visits halved | none | "
            "**not started: 1 year late** |") in report
    assert ("| 2 | 2028 | Parks | 3 | medium priority; never reviewed. Cycle | "
            "BV-2027-001 | started 1 year early |") in report
    assert "| 3 | 2027 | Waste | 2 | low priority; never reviewed. Contract ends | none | " \
           "dropped: Outsourced |" in report
    gaps = report.split("## Services outside the 5-year cycle")[1]
    assert "- Libraries: never reviewed" in gaps
    assert "- Waste: never reviewed" in gaps
    assert "Parks" not in gaps
    assert "No review is running late." in report
    travel.shift(86400 * 120)  # the challenge stage's due date has passed
    late = initialised.ok("report", "programme", "--format", "md").stdout
    assert "1 of 1 reviews has run past their current stage's due date: BV-2027-001 " in late
    html = initialised.ok("report", "programme").stdout
    assert "<h2>Planned against actual</h2>" in html
    assert "<strong>not started: 1 year late</strong>" in html


def test_the_cycle_is_a_setting(initialised: Cli, new_review: Callable[..., str],
                                travel: time_machine.Coordinates) -> None:
    new_review()  # Waste, reviewed in 2027
    travel.shift(86400 * 365 * 3)  # 2030: inside a five-year cycle, outside a two-year one
    assert "Every service on record has been reviewed" in initialised.ok(
        "report", "programme", "--format", "md").stdout
    (initialised.db.parent / "bvflow.toml").write_text("[programme]\ncycle_years = 2\n")
    report = initialised.ok("report", "programme", "--format", "md").stdout
    assert "- Waste: last reviewed in 2027" in report
    assert "## Services outside the 2-year cycle" in report
    (initialised.db.parent / "bvflow.toml").write_text("[programme]\ncycle_years = 0\n")
    bad = initialised("report", "programme", "--format", "md")
    assert bad.exit_code == 1
    assert bad.stderr.endswith("[programme] cycle_years must be a whole number from 1 to 10\n")


BAD: list[tuple[tuple[str, ...], str]] = [
    (("programme", "add", "Parks", "--year", "2027", "--priority", "urgent", "--reason", "r"),
     "'urgent' is not one of 'high', 'medium', 'low'"),
    (("programme", "add", "Parks", "--year", "1066", "--priority", "low", "--reason", "r"),
     "1066 is not in the range 1999<=x<=2200"),
    (("programme", "add", " ", "--year", "2027", "--priority", "low", "--reason", "r"),
     "the service must not be empty"),
    (("programme", "add", "Parks", "--year", "2027", "--priority", "low", "--reason", ""),
     "the reason must not be empty"),
    (("programme", "start", "9", "--coordinator", "jo@exampleshire.gov.uk"),
     "no programme item 9; 'bvflow programme list' shows the items"),
    (("programme", "start", "1", "--coordinator", "not-an-address"), "not-an-address"),
    (("programme", "start", "1", "--coordinator", "jo@exampleshire.gov.uk", "--workflow",
      "no-such-flow"), "no-such-flow"),
    (("programme", "drop", "1"), 'dropping a planned review needs a written reason'),
    (("programme", "drop", "9", "--reason", "r"), "no programme item 9"),
    (("programme", "list", "--year", "nineteen"), "'nineteen' is not a valid integer range"),
]


@sqlite_only("byte-for-byte comparison of the database file")
@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a[:3]) + "…" for a, _ in BAD])
def test_bad_input_is_one_line_and_changes_nothing(
        initialised: Cli, args: tuple[str, ...], message: str) -> None:
    _plan(initialised, "Libraries", "2027", "high", "Visits halved")
    before = snapshot(initialised.db)
    result = initialised(*args)
    assert result.exit_code in (1, 2), result.stderr
    assert message in result.stderr
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(initialised.db) == before


def test_an_item_edited_outside_bvflow_is_found_by_verify(initialised: Cli) -> None:
    _plan(initialised, "Libraries", "2027", "low", "Cycle")
    execute(initialised.db, "UPDATE programme_items SET priority = 'high'")
    found = initialised("audit", "verify")
    assert found.exit_code == 5
    assert "programme_items row id=1: priority is \"high\", the chain says \"low\"" in (
        found.stdout + found.stderr)


def test_the_cycle_counts_to_the_year_the_next_review_is_due(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    new_review()  # Waste, reviewed in 2027: due again by 2032 in a five-year cycle
    on_time = _plan(initialised, "Waste", "2032", "low", "On time")
    late = _plan(initialised, "waste", "2033", "low", "A year late")
    assert on_time["signals"] == ["low priority"]
    assert late["signals"] == ["low priority", "last reviewed in 2027, outside the 5-year cycle"]
    assert late["need"] == on_time["need"] + 1


def test_a_service_is_planned_once_a_year_and_reviewed_once_at_a_time(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    running = new_review()  # Waste, active
    _plan(initialised, "Waste", "2027", "high", "Contract ends")
    twice = initialised("programme", "add", " WASTE ", "--year", "2027", "--priority", "low",
                        "--reason", "again")
    assert twice.exit_code == 1
    assert twice.stderr == ("Error: Waste is already planned for 2027 (item 1); "
                            "'bvflow programme drop 1' first to plan it again\n")
    before = query(initialised.db, "SELECT count(*) FROM audit_events")
    refused = initialised("programme", "start", "1", "--coordinator", "jo@exampleshire.gov.uk")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: Waste already has a review running: {running} ")
    assert query(initialised.db, "SELECT count(*) FROM reviews") == [(1,)]
    assert query(initialised.db, "SELECT status FROM programme_items") == [("planned",)]
    assert query(initialised.db, "SELECT count(*) FROM audit_events") == before
    initialised.ok("review", "abandon", running, "--reason", "Replanned")
    initialised.ok("programme", "start", "1", "--coordinator", "jo@exampleshire.gov.uk")
    assert query(initialised.db, "SELECT status FROM programme_items") == [("started",)]


def test_a_running_review_is_in_the_programme_of_a_later_year(
        initialised: Cli, new_review: Callable[..., str]) -> None:
    running = new_review()  # opened in 2027, still in its first stage
    ahead = initialised.ok("report", "programme", "--year", "2028", "--format", "csv").stdout
    assert f"\n{running},Refuse collection,Waste,challenge,active," in ahead
    before = initialised.ok("report", "programme", "--year", "2026", "--format", "csv").stdout
    assert running not in before
