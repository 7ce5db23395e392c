"""Monitoring after the review: a closed review's improvement plan stays live.

Its open actions keep their reminders, `today` lists them, their progress and the actuals
can still be recorded (nothing else can), and the programme and review reports show them.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import time_machine
from conftest import Cli, events, query, snapshot, swept_mail

from bvflow.domain.calendar import LONDON

JO = "jo@exampleshire.gov.uk"
SAM = "sam@exampleshire.gov.uk"
OPS = "ops@exampleshire.gov.uk"
PAT = "pat@exampleshire.gov.uk"

# Report, then monitor, then closed, with no periods to wait for: the plan is what matters.
MONITORED = """\
name: monitored
title: Monitored review
stages:
  - name: report
    title: Report
    requires:
      - improvement_plan: true
  - name: monitor
    title: Monitor
  - name: closed
    title: Closed
    final: true
evidence_kinds: [correspondence]
"""


def _at(cli: Cli, travel: time_machine.Coordinates, day: str) -> None:
    travel.move_to(datetime.fromisoformat(f"{day} 09:00").replace(tzinfo=LONDON))


def _open_review(cli: Cli, tmp_path: Path, title: str = "Refuse collection") -> str:
    workflow = tmp_path / "monitored.yaml"
    workflow.write_text(MONITORED, encoding="utf-8")
    return cli.ok("review", "create", title, "--service", "Waste", "--coordinator", JO,
                  "--workflow", str(workflow)).stdout.strip()


def _close(cli: Cli, ref: str) -> None:
    cli.ok("review", "advance", ref)
    assert "closed" in cli.ok("review", "advance", ref).stdout
    assert json.loads(cli.ok("review", "show", ref, "--json").stdout)["status"] == "closed"


@pytest.fixture
def closed(initialised: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> str:
    """A review closed on Monday 4 January 2027 with two indicators' targets and three open
    actions: one due 15 February (recycling), one 1 June (cost), one 20 January (leaflets)."""
    ref = _open_review(initialised, tmp_path)
    initialised.ok("pi", "add", ref, "BV82a", "--name", "Household waste recycled", "--unit",
                   "%", "--baseline", "31.5", "--baseline-period", "2025-26",
                   "--target", "2026-27=35", "--target", "2027-28=40")
    initialised.ok("pi", "add", ref, "BV86", "--name", "Cost of collection per household",
                   "--unit", "GBP", "--lower-is-better", "--target", "2026-27=50")
    initialised.ok("action", "add", ref, "--title", "Weekly food waste collection", "--owner",
                   SAM, "--due", "2027-02-15", "--indicator", "BV82a")
    initialised.ok("action", "add", ref, "--title", "Route optimisation", "--owner", OPS,
                   "--due", "2027-06-01", "--indicator", "BV86")
    initialised.ok("action", "add", ref, "--title", "Leaflet every household", "--owner", PAT,
                   "--due", "2027-01-20")
    _close(initialised, ref)
    initialised.ok("sweep")  # the notices of its closing are delivered
    return ref


def _action_messages(cli: Cli) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in query(  # type: ignore[misc]
        cli.db, "SELECT kind, recipient, dedupe_key FROM outbox WHERE kind LIKE 'action_%' "
        "ORDER BY id")]


def test_a_closed_reviews_open_actions_keep_their_reminders(
        initialised: Cli, closed: str, travel: time_machine.Coordinates) -> None:
    _at(initialised, travel, "2027-02-08")  # 5 working days before 15 February
    to_sam = swept_mail(initialised, SAM)
    assert [str(m["Subject"]) for m in to_sam] == [
        f"Action due Monday 15 February 2027: Weekly food waste collection ({closed})"]
    body = to_sam[0].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "The review has closed; its improvement plan is still monitored" in text
    # The coordinator is told too, and a second sweep the same day queues nothing more.
    queued = _action_messages(initialised)
    assert ("action_due_soon", JO, f"action:1:due_soon:2027-02-08:{JO}") in queued
    initialised.ok("sweep")
    assert _action_messages(initialised) == queued

    _at(initialised, travel, "2027-02-16")  # the first working day after it was due
    overdue = [str(m["Subject"]) for m in swept_mail(initialised, SAM)]
    assert f"Action overdue: Weekly food waste collection ({closed}), due Monday 15 February " \
        "2027" in overdue
    # Done: no more reminders for it, but the other open actions still get theirs.
    initialised.ok("action", "update", closed, "1", "--status", "done")
    for day in range(17, 27):
        _at(initialised, travel, f"2027-02-{day}")
        initialised.ok("sweep")
    later = {key.split(":")[1] for _, _, key in _action_messages(initialised)
             if key.split(":")[3] > "2027-02-16"}
    assert later == {"3"}


def test_an_abandoned_reviews_plan_is_not_monitored(
        initialised: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    ref = _open_review(initialised, tmp_path)
    initialised.ok("pi", "add", ref, "BV82a", "--name", "Recycled", "--target", "2026-27=35")
    initialised.ok("action", "add", ref, "--title", "Food waste", "--owner", SAM,
                   "--due", "2027-02-15", "--indicator", "BV82a")
    initialised.ok("review", "abandon", ref, "--reason", "Service transferred to the district")
    _at(initialised, travel, "2027-02-16")
    initialised.ok("sweep")
    assert _action_messages(initialised) == []
    assert "action" not in {i["section"] for i in
                            json.loads(initialised.ok("today", "--json").stdout)["items"]}
    before = snapshot(initialised.db)
    for args in (("action", "update", ref, "1", "--status", "done"),
                 ("pi", "record", ref, "BV82a", "--period", "2026-27", "--value", "36")):
        refused = initialised(*args)
        assert refused.exit_code == 4
        assert refused.stderr.startswith("Error: cannot ")
        assert refused.stderr.endswith(f" {ref}: it is abandoned\n")
    assert snapshot(initialised.db) == before


def test_today_lists_a_closed_reviews_actions_due(
        initialised: Cli, closed: str, travel: time_machine.Coordinates) -> None:
    _at(initialised, travel, "2027-02-10")  # food waste due within 5 working days
    found = json.loads(initialised.ok("today", "--coordinator", JO, "--json").stdout)
    assert found["reviews"] == 1
    actions = [(i["ref"], i["on"]) for i in found["items"] if i["section"] == "action"]
    assert actions == [(closed, "2027-01-20"), (closed, "2027-02-15")]
    text = initialised.ok("today", "--coordinator", JO).stdout
    assert "Improvement-plan actions due (2)" in text
    assert (f"  {closed} Refuse collection: action 3 'Leaflet every household' ({PAT}) was "
            "due Wednesday 20 January 2027 (the review is closed; its plan is still "
            "monitored)") in text
    assert "is due Monday 15 February 2027" in text
    # Nothing about the closed review's stages: it has none left.
    assert {i["section"] for i in found["items"]} == {"action"}
    initialised.ok("action", "update", closed, "3", "--status", "done")
    initialised.ok("action", "update", closed, "1", "--status", "dropped")
    assert initialised.ok("today").stdout.startswith("Nothing needs you today, ")


def test_action_update_and_actuals_are_recorded_on_a_closed_review(
        initialised: Cli, closed: str, travel: time_machine.Coordinates) -> None:
    _at(initialised, travel, "2027-03-01")
    result = initialised.ok("action", "update", closed, "2", "--status", "in_progress")
    assert result.stdout == f"Action 2: in_progress, due 2027-06-01, owner {OPS}\n"
    initialised.ok("pi", "record", closed, "BV82a", "--period", "2026-27", "--value", "36.5")
    last = events(initialised.db)[-2:]
    assert [(e[2], e[3], e[4], e[5]) for e in last] == [
        ("action.updated", closed, "closed", "closed"),
        ("indicator.actual_recorded", closed, "closed", "closed")]
    updated = json.loads(last[0][6])["payload"]
    assert (updated["before"]["status"], updated["after"]["status"]) == ("planned",
                                                                         "in_progress")
    assert json.loads(last[1][6])["payload"] == {"code": "BV82a", "period": "2026-27",
                                                  "value": 36.5}
    listed = json.loads(initialised.ok("pi", "list", closed, "--json").stdout)
    assert listed[0]["actuals"] == {"2026-27": 36.5}
    show = json.loads(initialised.ok("review", "show", closed, "--json").stdout)
    assert (show["stage"], show["status"]) == ("closed", "closed")
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pi", "record", "{ref}", "BV82a", "--period", "2028-29", "--value", "45",
          "--target"),
         "cannot set a target for {ref}: it is closed, and the targets it agreed stand (only "
         "actuals may be recorded while its plan is monitored)"),
        (("pi", "add", "{ref}", "BV99", "--name", "New"),
         "cannot change the indicators of {ref}: it is closed"),
        (("action", "add", "{ref}", "--title", "More", "--owner", SAM, "--due", "2027-09-01"),
         "cannot add an action to {ref}: it is closed"),
        (("evidence", "add", "{ref}", "--kind", "correspondence", "--title", "Letter"),
         "cannot add evidence to {ref}: it is closed"),
    ],
    ids=["target", "new-indicator", "new-action", "evidence"],
)
def test_everything_else_stays_refused_on_a_closed_review(
        initialised: Cli, closed: str, args: tuple[str, ...], message: str) -> None:
    before = snapshot(initialised.db)
    refused = initialised(*(a.format(ref=closed) for a in args))
    assert (refused.exit_code, refused.stdout) == (4, "")
    assert refused.stderr == f"Error: {message.format(ref=closed)}\n"
    assert snapshot(initialised.db) == before


def _programme_csv(cli: Cli, *extra: str) -> list[dict[str, str]]:
    text = cli.ok("report", "programme", "--format", "csv", *extra).stdout
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_programme_shows_the_actions_being_monitored(
        initialised: Cli, closed: str, travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    # A second review, closed with its only action done: nothing of it is monitored.
    done = _open_review(initialised, tmp_path, "Libraries")
    initialised.ok("action", "add", done, "--title", "Opening hours", "--owner", PAT,
                   "--due", "2027-03-01")
    _close(initialised, done)
    initialised.ok("action", "update", done, "4", "--status", "done")
    _at(initialised, travel, "2028-02-01")  # a year on: two of the three actions overdue
    initialised.ok("action", "update", closed, "3", "--status", "done")

    md = initialised.ok("report", "programme", "--format", "md").stdout
    section = md[md.index("## Actions being monitored"):md.index("## Planned against actual")]
    assert section.splitlines()[4:8] == [
        "| Review | Action | Owner | Due | Status |",
        "|---|---|---|---|---|",
        f"| {closed} | Weekly food waste collection | {SAM} | Monday 15 February 2027 "
        "**(overdue)** | Planned |",
        f"| {closed} | Route optimisation | {OPS} | Tuesday 1 June 2027 **(overdue)** | "
        "Planned |",
    ]
    assert md.index("## Reviews running late") < md.index("## Actions being monitored")
    html = initialised.ok("report", "programme").stdout
    assert "<h2>Actions being monitored</h2>" in html
    assert (f'<tr class="overdue"><td>{closed}</td><td>Route optimisation</td><td>{OPS}</td>'
            "<td>Tuesday 1 June 2027 <strong>(overdue)</strong></td><td>Planned</td></tr>"
            ) in html

    rows = {r["ref"]: r for r in _programme_csv(initialised)}
    assert (rows[closed]["actions_open"], rows[closed]["actions_overdue"]) == ("2", "2")
    assert (rows[done]["actions_open"], rows[done]["actions_overdue"]) == ("0", "0")
    # --year 2028: the 2027 review still monitored is kept, the finished one is not.
    assert [r["ref"] for r in _programme_csv(initialised, "--year", "2028")] == [closed]
    data = json.loads(initialised.ok("report", "programme", "--format", "json").stdout)
    watched = {r["ref"]: r["monitored_actions"] for r in data}
    assert watched[done] == []
    assert [(a["id"], a["title"], a["owner"], a["due"], a["status"], a["overdue"])
            for a in watched[closed]] == [
        (1, "Weekly food waste collection", SAM, "2027-02-15", "planned", True),
        (2, "Route optimisation", OPS, "2027-06-01", "planned", True)]
    workbook = tmp_path / "programme.xlsx"
    initialised.ok("report", "programme", "--format", "xlsx", "-o", str(workbook))
    sheet = openpyxl.load_workbook(workbook).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][-2:] == ["actions_open", "actions_overdue"]
    assert (cells[1][0], cells[1][-2:]) == (closed, [2, 2])

    # All done: the table empties.
    for action in ("1", "2"):
        initialised.ok("action", "update", closed, action, "--status", "done")
    md = initialised.ok("report", "programme", "--format", "md").stdout
    assert "No closed review has an improvement-plan action still open." in md


def test_the_review_report_monitors_targets_and_actions(
        initialised: Cli, closed: str, travel: time_machine.Coordinates) -> None:
    _at(initialised, travel, "2027-05-04")
    initialised.ok("pi", "record", closed, "BV82a", "--period", "2026-27", "--value", "36")
    initialised.ok("pi", "record", closed, "BV86", "--period", "2026-27", "--value", "55")
    initialised.ok("action", "update", closed, "3", "--status", "done")
    md = initialised.ok("report", "review", closed, "--format", "md").stdout
    section = md[md.index("## Monitoring"):md.index("## Evidence")]
    assert section.splitlines() == [
        "## Monitoring",
        "",
        "The plan's progress: 1 of 3 actions done, 2 open (**1 overdue**). The review has "
        "closed; its open actions are still monitored.",
        "",
        "| Indicator | Period | Target | Actual | Against the target |",
        "|---|---|---|---|---|",
        "| BV82a Household waste recycled | 2026-27 | 35% | 36% | Met |",
        "| BV82a Household waste recycled | 2027-28 | 40% | - | No figure yet (latest "
        "figure: 36% in 2026-27) |",
        "| BV86 Cost of collection per household | 2026-27 | 50 GBP | 55 GBP | **Not met** |",
        "",
    ]
    assert ("- Weekly food waste collection: sam@exampleshire.gov.uk, due Monday 15 February "
            "2027 **(overdue)**, indicator BV82a (Planned)") in md
    html = initialised.ok("report", "review", closed).stdout
    assert '<h2 id="monitoring">Monitoring</h2>' in html
    assert ("<tr><td>BV86 Cost of collection per household</td><td>2026-27</td>"
            "<td>50 GBP</td><td>55 GBP</td><td><strong>Not met</strong></td></tr>") in html
    assert "2 open (<strong>1 overdue</strong>)" in html
