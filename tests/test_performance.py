"""Indicators, benchmarking, options appraisal and the improvement plan, through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from conftest import BENCHMARKS, Cli, advance_when_ready, events, prepare, snapshot

from bvflow.domain.calendar import LONDON
from bvflow.domain.performance import benchmark


@pytest.fixture
def indicators(initialised: Cli, new_review: Callable[..., str]) -> str:
    ref = new_review()
    initialised.ok("pi", "add", ref, "BV82a", "--name", "Household waste recycled", "--unit",
                   "%", "--national", "--baseline", "31.5", "--baseline-period", "2025-26",
                   "--target", "2026-27=36", "--target", "2027-28=42")
    initialised.ok("pi", "add", ref, "BV86", "--name", "Cost per household", "--unit", "GBP",
                   "--lower-is-better", "--baseline", "52", "--baseline-period", "2025-26")
    return ref


def test_indicators_targets_and_actuals(initialised: Cli, indicators: str) -> None:
    initialised.ok("pi", "record", indicators, "BV82a", "--period", "2026-27", "--value", "34.2")
    initialised.ok("pi", "record", indicators, "BV86", "--period", "2027-28", "--value", "49",
                   "--target")
    listed = {i["code"]: i for i in json.loads(initialised.ok("pi", "list", indicators,
                                                               "--json").stdout)}
    assert listed["BV82a"]["targets"] == {"2026-27": 36.0, "2027-28": 42.0}
    assert listed["BV82a"]["actuals"] == {"2026-27": 34.2}
    assert listed["BV82a"]["national"] is True
    assert listed["BV86"]["higher_is_better"] is False
    assert listed["BV86"]["targets"] == {"2027-28": 49.0}
    csv_lines = initialised.ok("pi", "list", indicators, "--csv").stdout.splitlines()
    assert csv_lines[0].startswith("\ufeffcode,name,unit")
    actions = [e[2] for e in events(initialised.db)]
    assert actions.count("indicator.added") == 2
    assert "indicator.actual_recorded" in actions
    assert "indicator.target_recorded" in actions


def test_benchmark_import_and_compare(initialised: Cli, indicators: str, tmp_path: Path) -> None:
    extract = tmp_path / "family-group.csv"
    extract.write_text(BENCHMARKS + "Midshire,BV999,2025-26,1\n")
    result = initialised.ok("pi", "import", indicators, str(extract))
    assert result.stdout == ("imported 8 new, 0 updated, 1 skipped (indicators not tracked, or "
                             "the authority's own)\n")
    again = initialised.ok("pi", "import", indicators, str(extract))
    assert again.stdout.startswith("imported 0 new, 8 updated")
    compared = {c["code"]: c for c in json.loads(initialised.ok("pi", "compare", indicators,
                                                                 "--json").stdout)}
    recycled = compared["BV82a"]
    # 29.4 31.5 35.5 38.1 44.0: on the lower quartile itself, so in the third quarter.
    assert (recycled["rank"], recycled["of"], recycled["quartile"]) == (4, 5, 3)
    expected = benchmark(31.5, [38.1, 29.4, 44.0, 35.5], True)
    assert recycled["top_quartile_threshold"] == expected.top_quartile_threshold == 38.1
    cost = compared["BV86"]
    # Lower is better: only 48.9 beats 52, which is the lower quartile itself (top quarter).
    assert (cost["rank"], cost["quartile"]) == (2, 1)
    table = initialised.ok("pi", "compare", indicators).stdout
    assert "4 of 5" in table
    assert "Q3" in table


@pytest.mark.parametrize(("row", "message"), [
    ("Midshire,BV82a,2025-26,lots", "value 'lots' is not a number"),
    ("Midshire,BV82a,last year,40", "period 'last year' is not like 2027-28"),
    (",BV82a,2025-26,40", "authority must not be empty"),
    ("Midshire,BV82a,2025-26,nan", "value 'nan' is not a number"),
], ids=["not-a-number", "bad-period", "no-authority", "nan"])
def test_a_bad_row_imports_nothing_and_names_the_line(
        initialised: Cli, indicators: str, tmp_path: Path, row: str, message: str) -> None:
    extract = tmp_path / "extract.csv"
    lines = BENCHMARKS.splitlines()
    extract.write_text("\n".join([*lines[:4], row, *lines[4:]]) + "\n")
    before = snapshot(initialised.db)
    result = initialised("pi", "import", indicators, str(extract))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: nothing imported: ")
    assert f"{extract}:5: {message}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(initialised.db) == before


def test_a_csv_without_the_columns_is_refused(initialised: Cli, indicators: str,
                                              tmp_path: Path) -> None:
    extract = tmp_path / "extract.csv"
    extract.write_text("council,score\nNorthshire,3\n")
    result = initialised("pi", "import", indicators, str(extract))
    assert result.exit_code == 1
    assert "the header needs authority, code (or indicator), period and value" in result.stderr


def test_options_appraisal(initialised: Cli, new_review: Callable[..., str]) -> None:
    ref = new_review()
    initialised.ok("option", "criterion", ref, "Quality", "--weight", "60")
    initialised.ok("option", "criterion", ref, "Cost", "--weight", "40")
    for name, quality, cost in (("In-house", 70, 50), ("Partnership", 60, 80), ("Tender", 40,
                                                                                 90)):
        initialised.ok("option", "add", ref, name)
        initialised.ok("option", "score", ref, name, "Quality", str(quality))
        initialised.ok("option", "score", ref, name, "Cost", str(cost))
    initialised.ok("option", "choose", ref, "In-house", "--rationale", "Keeps staff terms")
    data = json.loads(initialised.ok("option", "list", ref, "--json").stdout)
    ranked = [(o["name"], o["total"], o["chosen"]) for o in data["options"]]
    assert ranked == [("Partnership", 68.0, False), ("In-house", 62.0, True),
                      ("Tender", 60.0, False)]
    assert data["rationale"] == "Keeps staff terms"
    bad = initialised("option", "score", ref, "Tender", "Quality", "140")
    assert bad.exit_code == 1
    assert "between 0 and 100" in bad.stderr
    unknown = initialised("option", "choose", ref, "Outsourcing", "--rationale", "x")
    assert unknown.exit_code == 1
    assert "no option 'Outsourcing'" in unknown.stderr
    chosen = [json.loads(e[6])["payload"] for e in events(initialised.db)
              if e[2] == "option.chosen"]
    assert chosen == [{"option": "In-house", "rationale": "Keeps staff terms"}]


def test_improvement_plan(initialised: Cli, indicators: str) -> None:
    initialised.ok("action", "add", indicators, "--title", "Weekly food waste", "--owner",
                   "sam@exampleshire.gov.uk", "--due", "2027-06-01", "--indicator", "BV82a",
                   "--priority", "Recycle more")
    initialised.ok("action", "update", indicators, "1", "--status", "in_progress")
    listed = json.loads(initialised.ok("action", "list", indicators, "--json").stdout)
    assert [(a["title"], a["status"], a["indicator"]) for a in listed] == [
        ("Weekly food waste", "in_progress", "BV82a")]
    assert initialised.ok("action", "list", indicators, "--csv").stdout.splitlines()[0] == \
        "\ufeffid,title,owner,due,indicator,priority,status"
    unknown = initialised("action", "add", indicators, "--title", "X", "--owner",
                          "a@example.org", "--due", "2027-06-01", "--indicator", "NOPE")
    assert unknown.exit_code == 1
    assert "no indicator 'NOPE'" in unknown.stderr
    updated = [json.loads(e[6])["payload"] for e in events(initialised.db)
               if e[2] == "action.updated"]
    assert updated[0]["before"]["status"] == "planned"
    assert updated[0]["after"]["status"] == "in_progress"


def test_the_stages_require_indicators_options_and_a_plan(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    ref = new_review()
    prepare(initialised, ref, "challenge", tmp_path)
    advance_when_ready(initialised, ref, travel)
    unmet = json.loads(initialised.ok("review", "show", ref, "--json").stdout)["unmet"]
    assert "0 of 2 indicators have benchmark figures" in [u["message"] for u in unmet]
    for stage in ("compare", "consult"):
        prepare(initialised, ref, stage, tmp_path)
        advance_when_ready(initialised, ref, travel)
    messages = [u["message"] for u in json.loads(initialised.ok(
        "review", "show", ref, "--json").stdout)["unmet"]]
    assert "0 of at least 2 options appraised" in messages
    assert "no option has been chosen" in messages
    prepare(initialised, ref, "compete", tmp_path)
    advance_when_ready(initialised, ref, travel)
    messages = [u["message"] for u in json.loads(initialised.ok(
        "review", "show", ref, "--json").stdout)["unmet"]]
    assert "the improvement plan has no actions" in messages
    assert "no action serves indicator BV82a's target" in messages


def test_action_reminders_before_and_after_the_due_date(
        initialised: Cli, indicators: str, travel: time_machine.Coordinates) -> None:
    initialised.ok("action", "add", indicators, "--title", "Weekly food waste", "--owner",
                   "sam@exampleshire.gov.uk", "--due", "2027-02-15")
    kinds: dict[str, list[tuple[str, str]]] = {}
    day = datetime(2027, 2, 1, 9, tzinfo=LONDON)
    while day.date().isoformat() <= "2027-02-24":
        travel.move_to(day)
        initialised.ok("sweep")
        initialised.ok("sweep")
        day += timedelta(days=1)
    for message in json.loads(initialised.ok("outbox", "list", "--json").stdout):
        if message["kind"].startswith("action_"):
            kinds.setdefault(message["created_at"][:10], []).append(
                (message["kind"], message["recipient"]))
    assert kinds == {
        "2027-02-08": [("action_due_soon", "sam@exampleshire.gov.uk"),
                       ("action_due_soon", "jo@exampleshire.gov.uk")],
        "2027-02-16": [("action_overdue", "sam@exampleshire.gov.uk"),
                       ("action_overdue", "jo@exampleshire.gov.uk")],
        "2027-02-23": [("action_overdue", "sam@exampleshire.gov.uk"),
                       ("action_overdue", "jo@exampleshire.gov.uk")],
    }
    initialised.ok("action", "update", indicators, "1", "--status", "done")
    travel.move_to(datetime(2027, 3, 2, 9, tzinfo=LONDON))
    initialised.ok("sweep")
    later = [m for m in json.loads(initialised.ok("outbox", "list", "--json").stdout)
             if m["kind"].startswith("action_") and m["created_at"] >= "2027-03"]
    assert later == []
