"""The strategic plan for involvement: categories planned by method and time for two reviews
and for the authority's year, withdrawn with a reason, and `report involvement` setting the
plan against activities, meetings attended and the working party, so the gaps show."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from conftest import Cli, events, query, snapshot

from bvflow.domain.involvement import CATEGORIES, METHODS


def _review(cli: Cli, title: str, service: str) -> str:
    return cli.ok("review", "create", title, "--service", service, "--coordinator",
                  "jo@exampleshire.gov.uk").stdout.strip()


def _plan(cli: Cli, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        cli.ok("involvement", "plan", "add", *args, "--json").stdout)
    return found


@pytest.fixture
def programme(initialised: Cli, travel: time_machine.Coordinates) -> tuple[str, str]:
    """Two reviews and the authority's year planned; some of it met, some not."""
    cli = initialised
    waste, libraries = _review(cli, "Refuse collection", "Waste"), _review(
        cli, "Library opening hours", "Libraries")
    cli.ok("party", "add", waste, "--name", "Sam Patel", "--email", "sam@unison.example",
           "--organisation", "UNISON", "--category", "trade_union")
    cli.ok("party", "add", waste, "--name", "Ann Lee", "--email", "ann@tenants.example",
           "--organisation", "Tenants' Federation", "--category", "tenants")
    _plan(cli, waste, "--category", "trade_union", "--method", "workshop", "--stage",
          "challenge")
    _plan(cli, waste, "--category", "tenants", "--method", "working_party", "--stage",
          "challenge")
    _plan(cli, waste, "--category", "pensioners", "--method", "focus_group", "--method",
          "survey", "--stage", "challenge", "--note", "Age UK's Tuesday club")
    _plan(cli, libraries, "--category", "users", "--method", "user_panel")
    _plan(cli, libraries, "--category", "youth", "--method", "survey")
    _plan(cli, "--year", "2027", "--category", "tenants", "--method", "workshop", "--by",
          "2027-03")
    _plan(cli, "--year", "2027", "--category", "bme", "--method", "public_meeting")
    cli.ok("activity", "add", waste, "--method", "workshop", "--on", "2027-01-04",
           "--category", "trade_union", "--category", "tenants")
    cli.ok("activity", "add", libraries, "--method", "user_panel", "--on", "2027-01-04",
           "--category", "users", "--summary", "Confidential: the closure list")
    cli.ok("meeting", "schedule", waste, "--title", "Working party", "--at",
           "2027-01-20 18:00", "--place", "Town Hall")
    cli.ok("sweep")
    travel.shift(timedelta(days=17))  # 21 January: the meeting has been held
    cli.ok("meeting", "record", waste, "1", "--attended", "Tenants' Federation",
           "--apologies", "UNISON")
    return waste, libraries


def _report(cli: Cli, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        cli.ok("report", "involvement", *args, "--format", "json").stdout)
    return found


def _results(entries: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return [(e["category"], e["result"], e["overdue"]) for e in entries]


def test_the_report_sets_each_entry_against_the_record(
        initialised: Cli, programme: tuple[str, str]) -> None:
    waste, libraries = programme
    report = _report(initialised, "--year", "2027")
    assert _results(report["authority_plan"]) == [
        ("tenants", "reached", False), ("bme", "not reached", False)]
    by_ref = {r["ref"]: r for r in report["reviews"]}
    assert list(by_ref) == [waste, libraries]
    assert _results(by_ref[waste]["plan"]) == [
        ("trade_union", "reached", False), ("tenants", "reached", False),
        ("pensioners", "not reached", False)]
    tenants = by_ref[waste]["plan"][1]
    assert tenants["first_reached"] == "2027-01-20"  # the meeting they attended
    assert (tenants["activities"], tenants["meetings"], tenants["members"]) == (1, 1, 1)
    unions = by_ref[waste]["plan"][0]
    assert (unions["activities"], unions["meetings"], unions["members"]) == (1, 0, 1)
    assert _results(by_ref[libraries]["plan"]) == [
        ("users", "reached", False), ("youth", "not reached", False)]
    assert [g["category"] for g in report["gaps"]] == ["bme", "pensioners", "youth"]
    cells = {row["category"]: [c["state"] for c in row["cells"]] for row in report["matrix"]}
    assert cells["pensioners"] == ["planned, not reached", "not involved"]
    assert cells["youth"] == ["not involved", "planned, not reached"]
    assert cells["users"] == ["not involved", "reached"]
    assert cells["tenants"] == ["reached", "not involved"]
    assert list(cells) == list(CATEGORIES)
    never = {n["category"]: n["planned"] for n in report["never_reached"]}
    assert set(never) == set(CATEGORIES) - {"trade_union", "tenants", "users"}
    assert (never["youth"], never["pensioners"], never["bme"], never["women"]) == (
        True, True, True, False)


def test_the_markdown_report_shows_the_gaps_and_no_summary(
        initialised: Cli, programme: tuple[str, str]) -> None:
    waste, libraries = programme
    text = initialised.ok("report", "involvement", "--year", "2027", "--format", "md").stdout
    assert text.startswith("# Exampleshire County Council: involvement against the plan, "
                           "2027\n")
    assert ("4 of 7 planned entries reached; 3 not reached: Black and ethnic minority "
            "organisations (the authority's plan, during 2027), Pensioner groups "
            f"({waste}, in Challenge), Youth clubs and school/college clubs ({libraries}, "
            "during the review).") in text
    assert ("| 3 | Pensioner groups | Focus group; User research and survey | in Challenge. "
            "Age UK's Tuesday club | 0 | 0 | 0 | **Not reached** (still to come) |") in text
    assert ("| 6 | Tenants' and community organisations | Workshop on a specific issue | by "
            "the end of March 2027 | 1 | 1 | 1 | Reached, first on Monday 4 January 2027 |"
            ) in text
    assert f"| Category | {waste} (Waste) | {libraries} (Libraries) |" in text
    assert "| Pensioner groups | **Planned, not reached** | - |" in text
    assert "- Pensioner groups (planned)\n" in text
    assert "- Women's organisations\n" in text
    assert "closure list" not in text  # an activity's summary is never shown
    html = initialised.ok("report", "involvement", "--year", "2027").stdout
    assert "closure list" not in html
    assert "<th scope=\"row\">Pensioner groups</th><td><strong>Planned, not reached" in html


def test_one_review_and_time_passing(initialised: Cli, programme: tuple[str, str],
                                     travel: time_machine.Coordinates) -> None:
    waste, _ = programme
    one = _report(initialised, waste)
    assert one["review"] == waste
    assert one["authority_plan"] == []
    assert [r["ref"] for r in one["reviews"]] == [waste]
    initialised.ok("review", "abandon", waste, "--reason", "Service transferred")
    travel.shift(timedelta(days=100))  # May: March has passed
    report = _report(initialised, "--year", "2027")
    assert _results(report["authority_plan"]) == [
        ("tenants", "reached", False), ("bme", "not reached", False)]
    assert _results(report["reviews"][0]["plan"])[2] == ("pensioners", "not reached", True)
    later = initialised.ok("involvement", "plan", "add", "--year", "2027", "--category",
                           "women", "--method", "workshop", "--by", "2027-04")
    assert later.stdout == "planned entry 8 in the authority's plan for 2027: women by workshop\n"
    assert _results(_report(initialised)["authority_plan"])[2] == ("women", "not reached", True)
    csv = initialised.ok("report", "involvement", "--format", "csv").stdout
    assert csv.splitlines()[0] == ("\ufeffid,review,year,category,methods,when,note,result,"
                                   "overdue,first_reached,activities,meetings,members")
    assert "8,,2027,women,workshop,by the end of April 2027,,not reached,True,,0,0,0" in csv


def test_withdrawn_entries_stay_on_record_and_leave_the_report(
        initialised: Cli, programme: tuple[str, str]) -> None:
    waste, libraries = programme
    said = initialised.ok("involvement", "plan", "remove", "3", "--reason",
                          "Pensioners are on the tenants' panel")
    assert said.stdout == f"withdrew entry 3: pensioners ({waste})\n"
    listed = json.loads(initialised.ok("involvement", "plan", "list", "--json").stdout)
    assert [(e["id"], e["status"]) for e in listed][:4] == [
        (1, "planned"), (2, "planned"), (3, "withdrawn"), (4, "planned")]
    assert listed[2]["withdrawn_reason"] == "Pensioners are on the tenants' panel"
    mine = json.loads(initialised.ok("involvement", "plan", "list", waste, "--json").stdout)
    assert [e["id"] for e in mine] == [1, 2, 3]
    year = json.loads(initialised.ok("involvement", "plan", "list", "--year", "2027",
                                     "--json").stdout)
    assert [e["id"] for e in year] == [1, 2, 3, 4, 5, 6, 7]  # both reviews opened in 2027
    table = initialised.ok("involvement", "plan", "list", libraries).stdout
    assert table.splitlines()[0].split() == ["ID", "SCOPE", "CATEGORY", "METHODS", "WHEN",
                                             "NOTE"]
    assert "withdrawn: Pensioners" in initialised.ok("involvement", "plan", "list").stdout
    report = _report(initialised, "--year", "2027")
    assert [e["id"] for e in report["reviews"][0]["plan"]] == [1, 2]
    assert query(initialised.db, "SELECT status, withdrawn_reason FROM involvement_plan "
                                 "WHERE id = 3") == [
        ("withdrawn", "Pensioners are on the tenants' panel")]


def test_each_change_is_an_audit_event_and_the_chain_verifies(
        initialised: Cli, programme: tuple[str, str]) -> None:
    waste, libraries = programme
    initialised.ok("involvement", "plan", "remove", "7", "--reason", "No BME forum this year")
    found = [(e[2], e[3], json.loads(e[6])["payload"]) for e in events(initialised.db)
             if e[2].startswith("involvement.")]
    assert [(a, r) for a, r, _ in found] == [
        ("involvement.planned", waste), ("involvement.planned", waste),
        ("involvement.planned", waste), ("involvement.planned", libraries),
        ("involvement.planned", libraries), ("involvement.planned", None),
        ("involvement.planned", None), ("involvement.plan_withdrawn", None)]
    assert found[2][2] == {"entry": 3, "year": None, "category": "pensioners",
                           "methods": ["focus_group", "survey"], "stage": "challenge",
                           "by": None, "note": "Age UK's Tuesday club"}
    assert found[5][2]["by"] == "2027-03"
    assert found[7][2] == {"entry": 7, "category": "bme", "reason": "No BME forum this year"}
    assert initialised.ok("audit", "verify").stdout.startswith("intact")
    log = initialised.ok("audit", "log", "--action", "involvement.*", "--json").stdout
    assert len(json.loads(log)) == 8


BAD = [
    pytest.param(["BV-2027-001", "--category", "teenagers", "--method", "survey"],
                 "Error: unknown category 'teenagers' (known: " + ", ".join(CATEGORIES) + ")",
                 id="unknown-category"),
    pytest.param(["--year", "2027", "--category", "teenagers", "--method", "survey"],
                 "Error: unknown category 'teenagers' (known: " + ", ".join(CATEGORIES) + ")",
                 id="unknown-category-for-the-year"),
    pytest.param(["BV-2027-001", "--category", "youth", "--method", "tiktok"],
                 "Error: unknown method 'tiktok' (known: " + ", ".join(METHODS) + ")",
                 id="unknown-method"),
    pytest.param(["BV-2027-001", "--category", "youth"],
                 "Error: name at least one --method (known: " + ", ".join(METHODS) + ")",
                 id="no-method"),
    pytest.param(["BV-2027-001", "--year", "2027", "--category", "youth", "--method", "survey"],
                 "Error: give a review (REF) for its plan, or --year YYYY for the authority's "
                 "plan; not both, not neither", id="both-scopes"),
    pytest.param(["--category", "youth", "--method", "survey"],
                 "Error: give a review (REF) for its plan, or --year YYYY for the authority's "
                 "plan; not both, not neither", id="no-scope"),
    pytest.param(["--year", "2027", "--category", "youth", "--method", "survey", "--stage",
                  "consult"],
                 "Error: --stage is for a review's plan; the authority's plan for a year gives "
                 "--by YYYY-MM", id="stage-for-the-year"),
    pytest.param(["BV-2027-001", "--category", "youth", "--method", "survey", "--by",
                  "2027-06"],
                 "Error: --by is for the authority's plan (--year); a review's plan gives "
                 "--stage", id="month-for-a-review"),
    pytest.param(["--year", "2027", "--category", "youth", "--method", "survey", "--by",
                  "June"],
                 "Error: --by must be a month, YYYY-MM (e.g. 2027-06), not 'June'",
                 id="not-a-month"),
    pytest.param(["--year", "2027", "--category", "youth", "--method", "survey", "--by",
                  "2027-13"],
                 "Error: --by must be a month, YYYY-MM (e.g. 2027-06), not '2027-13'",
                 id="month-13"),
    pytest.param(["--year", "2027", "--category", "youth", "--method", "survey", "--by",
                  "2028-01"],
                 "Error: --by 2028-01 is not in 2027, the year of the plan", id="other-year"),
    pytest.param(["BV-2027-001", "--category", "youth", "--method", "survey", "--stage",
                  "closed"],
                 "Error: BV-2027-001 has no stage 'closed' to involve people in (its stages: "
                 "challenge, compare, consult, compete, report, monitor)", id="final-stage"),
    pytest.param(["BV-2027-009", "--category", "youth", "--method", "survey"],
                 "Error: no review 'BV-2027-009'; 'bvflow review list' shows the references",
                 id="unknown-review"),
    pytest.param(["BV-2027-001", "--category", "trade_union", "--method", "workshop",
                  "--stage", "challenge"],
                 "Error: entry 1 already plans this; 'bvflow involvement plan list' shows it",
                 id="duplicate"),
    pytest.param(["BV-2027-001", "--category", "youth", "--method", "survey", "--note",
                  "two\nlines"], "Error: the note ", id="note-with-a-line-break"),
]


@pytest.mark.parametrize(("args", "error"), BAD)
def test_bad_plan_entries_are_refused_and_nothing_changes(
        initialised: Cli, programme: tuple[str, str], args: list[str], error: str) -> None:
    before = snapshot(initialised.db)
    result = initialised("involvement", "plan", "add", *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(error), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(initialised.db) == before


@pytest.mark.parametrize(("args", "code", "error"), [
    pytest.param(["involvement", "plan", "remove", "99", "--reason", "Gone"], 1,
                 "Error: no involvement plan entry 99; 'bvflow involvement plan list' shows "
                 "them", id="unknown-entry"),
    pytest.param(["involvement", "plan", "remove", "1"], 1,
                 'Error: withdrawing a plan entry needs a written reason: add --reason "..."',
                 id="no-reason"),
    pytest.param(["involvement", "plan", "list", "BV-2027-009"], 1,
                 "Error: no review 'BV-2027-009'", id="list-unknown-review"),
    pytest.param(["report", "involvement", "BV-2027-009"], 1,
                 "Error: no review 'BV-2027-009'", id="report-unknown-review"),
    pytest.param(["report", "involvement", "--year", "1800"], 1,
                 "Error: Invalid value for '--year'", id="year-range"),
    pytest.param(["involvement", "plan", "add", "--year", "3000", "--category", "youth",
                  "--method", "survey"], 1, "Error: Invalid value for '--year'",
                 id="plan-year-range"),
])
def test_bad_commands_exit_cleanly(initialised: Cli, programme: tuple[str, str],
                                   args: list[str], code: int, error: str) -> None:
    before = snapshot(initialised.db)
    result = initialised(*args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(error), result.stderr
    assert snapshot(initialised.db) == before


def test_a_withdrawn_entry_cannot_be_withdrawn_again_nor_a_closed_review_planned(
        initialised: Cli, programme: tuple[str, str]) -> None:
    waste, _ = programme
    initialised.ok("involvement", "plan", "remove", "1", "--reason", "Merged")
    before = snapshot(initialised.db)
    again = initialised("involvement", "plan", "remove", "1", "--reason", "Again")
    assert (again.exit_code, again.stderr) == (
        1, "Error: entry 1 was withdrawn already (Merged)\n")
    initialised.ok("review", "abandon", waste, "--reason", "Transferred")
    before = snapshot(initialised.db)
    late = initialised("involvement", "plan", "add", waste, "--category", "youth",
                       "--method", "survey")
    assert (late.exit_code, late.stderr) == (
        4, f"Error: cannot plan the involvement of {waste}: it is abandoned\n")
    assert snapshot(initialised.db) == before
    both = initialised("involvement", "plan", "list", waste, "--year", "2027")
    assert (both.exit_code, both.stderr) == (
        1, "Error: give a review or --year, not both: a review's plan is listed whole\n")


def test_a_custom_workflow_category_is_the_reviews_to_plan(
        initialised: Cli, programme: tuple[str, str]) -> None:
    """A review plans the categories its workflow knows; the authority the source list."""
    waste, _ = programme
    result = initialised("involvement", "plan", "add", waste, "--category", "staff",
                         "--method", "workplace_improvement")
    assert result.exit_code == 0, result.stderr
    assert "staff" in CATEGORIES


def test_an_empty_year_reports_nothing_planned(initialised: Cli) -> None:
    text = initialised.ok("report", "involvement", "--year", "2026", "--format", "md").stdout
    assert "Nothing is planned: `bvflow involvement plan add`" in text
    assert "No review was opened or running in 2026." in text
    assert "- Individual users\n" in text
    assert initialised.ok("involvement", "plan", "list").stdout == (
        "Nothing is planned; 'bvflow involvement plan add' plans a category.\n")
