"""A service's own indicators and the annual performance plan.

Indicators belong to a service, so outturns are recorded each year whether or not a review
runs; each figure's status against its target is given in words (on target, within
tolerance, off target). The plan for a year reports each service's outturns, trend,
quartile among other authorities and targets ahead, and the reviews completed in the
financial year; it is reminded to the performance officer before its deadline, and
published with the public site.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
import time_machine
from conftest import Cli, events, query, snapshot, swept_mail

from bvflow.domain.calendar import LONDON

JO = "jo@exampleshire.gov.uk"
SAM = "sam@exampleshire.gov.uk"
OFFICER = "performance@exampleshire.gov.uk"
HOUSING = "Housing repairs"

# Report, then monitor, then closed, with no periods to wait for.
QUICK = """\
name: quick
title: Quick review
stages:
  - name: report
    title: Report
  - name: monitor
    title: Monitor
  - name: closed
    title: Closed
    final: true
evidence_kinds: [correspondence]
"""

COMPARATORS = """\
authority,code,period,value
Northshire,BV72,2026-27,95
Southshire,BV72,2026-27,85
Eastshire,BV72,2026-27,91
Westshire,BV72,2026-27,97
Northshire,OTHER,2026-27,1
"""


def _at(travel: time_machine.Coordinates, day: str) -> None:
    travel.move_to(datetime.fromisoformat(f"{day} 09:00").replace(tzinfo=LONDON))


def _indicators(cli: Cli, tmp_path: Path) -> None:
    """Three services' indicators, with outturns for two years and one comparison."""
    cli.ok("indicator", "add", "--service", HOUSING, "BV72", "--name",
           "Urgent repairs done on time", "--unit", "%", "--tolerance", "2",
           "--target", "2026-27=92", "--target", "2027-28=94", "--target", "2028-29=95",
           "--target", "2029-30=96")
    cli.ok("indicator", "add", "--service", "Waste", "BV82a", "--name",
           "Household waste recycled", "--unit", "%", "--target", "2026-27=35",
           "--target", "2027-28=40")
    cli.ok("indicator", "add", "--service", "Libraries", "L1", "--name",
           "Cost per visit", "--unit", "GBP", "--lower-is-better", "--tolerance", "0.2",
           "--target", "2026-27=3.0")
    for service, code, period, value in (
        ("housing  REPAIRS", "BV72", "2025-26", "88"),  # matched whatever the case
        (HOUSING, "BV72", "2026-27", "90.5"),          # short by 1.5: within tolerance
        ("Waste", "BV82a", "2025-26", "33"),
        ("Waste", "BV82a", "2026-27", "36.2"),         # on target
        ("Libraries", "L1", "2026-27", "3.4"),          # 0.4 over: off target
    ):
        cli.ok("indicator", "record", "--service", service, code, "--period", period,
               "--value", value)
    extract = tmp_path / "family-group.csv"
    extract.write_text(COMPARATORS, encoding="utf-8")
    out = cli.ok("indicator", "import", "--service", HOUSING, str(extract)).stdout
    assert out.strip() == ("imported 4 new, 0 updated, 1 skipped (indicators not tracked, or "
                           "the authority's own)")


def test_service_indicators_are_recorded_without_a_review_with_status_in_words(
        initialised: Cli, tmp_path: Path) -> None:
    _indicators(initialised, tmp_path)
    listed = {i["code"]: i for i in json.loads(
        initialised.ok("indicator", "list", "--json").stdout)}
    assert {c: (i["service"], i["latest"], i["status"], i["trend"]) for c, i in listed.items()} == {
        "BV72": (HOUSING, 90.5, "within tolerance", "improving"),
        "BV82a": ("Waste", 36.2, "on target", "improving"),
        "L1": ("Libraries", 3.4, "off target", "too few figures"),
    }
    # Among the five (itself included) 90.5 ranks fourth: the third quarter.
    assert listed["BV72"]["benchmark"] == {"period": "2026-27", "rank": 4, "of": 5,
                                           "quartile": 3, "median": 91.0}
    text = initialised.ok("indicator", "list", "--service", "waste").stdout
    assert "on target" in text
    assert "BV72" not in text
    # The rows are the service's, no review's; the events name the service.
    assert query(initialised.db, "SELECT service, code, review_id, tolerance FROM indicators "
                                 "ORDER BY id") == [
        (HOUSING, "BV72", None, 2.0), ("Waste", "BV82a", None, None),
        ("Libraries", "L1", None, 0.2)]
    assert query(initialised.db, "SELECT count(*), count(DISTINCT service) FROM comparators "
                                 "WHERE review_id IS NULL") == [(4, 1)]
    recorded = [(e[3], json.loads(e[6])["payload"]) for e in events(initialised.db)
                if e[2] == "indicator.actual_recorded"]
    assert recorded[0] == (None, {"service": HOUSING, "code": "BV72", "period": "2025-26",
                                  "value": 88.0, "before": None})
    sheet = openpyxl.load_workbook(io.BytesIO(
        initialised.ok("indicator", "list", "--format", "xlsx").stdout_bytes)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True))
            for row in sheet.iter_rows(min_row=2)]
    assert [(r["code"], r["status"]) for r in rows] == [
        ("BV72", "within tolerance"), ("L1", "off target"), ("BV82a", "on target")]
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_a_replaced_outturn_keeps_the_figure_before_in_the_trail(
        initialised: Cli, tmp_path: Path) -> None:
    _indicators(initialised, tmp_path)
    out = initialised.ok("indicator", "record", "--service", "Libraries", "L1", "--period",
                         "2026-27", "--value", "3.1").stdout
    assert out.strip() == "Libraries L1 2026-27 outturn: 3.1 (within tolerance)"
    last = json.loads(events(initialised.db)[-1][6])["payload"]
    assert (last["value"], last["before"]) == (3.1, 3.4)
    assert query(initialised.db, "SELECT count(*) FROM indicator_values v JOIN indicators i "
                                 "ON i.id = v.indicator_id WHERE i.code = 'L1' AND "
                                 "v.kind = 'actual'") == [(1,)]


BAD = [
    (("indicator", "add", "--service", HOUSING, "BV 72", "--name", "x"), "indicator code"),
    (("indicator", "add", "--service", " ", "X1", "--name", "x"), "service"),
    (("indicator", "add", "--service", HOUSING, "X1", "--name", "x", "--tolerance", "-1"),
     "tolerance"),
    (("indicator", "add", "--service", HOUSING, "X1", "--name", "x", "--target", "2027=1",
      "--target", "2027=2"), "twice"),
    (("indicator", "add", "--service", HOUSING, "BV72", "--name", "again"), "already has"),
    (("indicator", "add", "--service", HOUSING, "X1", "--name", "x", "--tolerance", "nan"),
     "tolerance"),
    (("indicator", "record", "--service", HOUSING, "NOPE", "--period", "2026-27", "--value",
      "1"), "no indicator"),
    (("indicator", "record", "--service", "Parks", "BV72", "--period", "2026-27", "--value",
      "1"), "no indicator"),
    (("indicator", "record", "--service", HOUSING, "BV72", "--period", "2026-28", "--value",
      "1"), "financial year"),
    (("indicator", "record", "--service", HOUSING, "BV72", "--period", "2026-27", "--value",
      "inf"), "value"),
    (("indicator", "import", "--service", "Parks", "EXTRACT"), "no indicators"),
    (("indicator", "import", "--service", HOUSING, "BROKEN"), "broken.csv:3"),
    (("indicator", "import", "--service", HOUSING, "MISSING"), "missing.csv"),
    (("report", "performance-plan", "--year", "1800"), "1800"),
    (("report", "performance-plan", "--year", "2027", "--format", "pdf"), "pdf"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a[:2]) + f"-{n}"
                                                        for n, (a, _) in enumerate(BAD)])
def test_bad_input_is_one_line_exit_1_and_changes_nothing(
        initialised: Cli, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    _indicators(initialised, tmp_path)
    broken = tmp_path / "broken.csv"
    broken.write_text("authority,code,period,value\nA,BV72,2026-27,1\nB,BV72,2026-27,x\n",
                      encoding="utf-8")
    paths = {"EXTRACT": str(tmp_path / "family-group.csv"), "BROKEN": str(broken),
             "MISSING": str(tmp_path / "missing.csv")}
    before = snapshot(initialised.db)
    result = initialised(*(paths.get(a, a) for a in args))
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert snapshot(initialised.db) == before


class _Page(HTMLParser):
    """The text of each table cell, row by row, and every heading."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.headings: list[str] = []
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None
        self.classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.classes += [v or "" for k, v in attrs if k == "class"]
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h2", "h3", "h4"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("h2", "h3", "h4") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


def parse_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def close_review(cli: Cli, tmp_path: Path, title: str, service: str,
                 outcome: str | None = None, paper: Path | None = None) -> str:
    """A review of ``service`` taken to closed today, with a chosen option, an agreement,
    an involvement outcome, an improvement action and (if given) a confidential paper."""
    workflow = tmp_path / "quick.yaml"
    workflow.write_text(QUICK, encoding="utf-8")
    ref = cli.ok("review", "create", title, "--service", service, "--coordinator", JO,
                 "--workflow", str(workflow)).stdout.strip()
    cli.ok("option", "add", ref, "In-house improvement")
    cli.ok("option", "criterion", ref, "Quality", "--weight", "100")
    cli.ok("option", "score", ref, "In-house improvement", "Quality", "70")
    cli.ok("option", "choose", ref, "In-house improvement", "--rationale", "Keeps staff terms")
    cli.ok("agreement", "record", ref, "--item", "priorities", "--agreed-by", "UNISON",
           "--dissent", "GMB", "--external", "UNISON", "--external", "GMB")
    if outcome:
        cli.ok("activity", "add", ref, "--method", "survey", "--on",
               datetime.now(LONDON).date().isoformat(), "--category", "tenants",
               "--summary", "Tenants asked for evening slots", "--outcome", outcome)
    cli.ok("action", "add", ref, "--title", f"Improve {service.lower()}", "--owner", SAM,
           "--due", "2027-09-30")
    if paper is not None:
        cli.ok("evidence", "add", ref, "--kind", "correspondence", "--title", paper.stem,
               "--file", str(paper), "--disclosure", "confidential")
    cli.ok("review", "advance", ref)
    cli.ok("review", "advance", ref)
    return ref


def test_the_performance_plan_reports_each_service_and_the_reviews_of_the_year(
        initialised: Cli, tmp_path: Path) -> None:
    _indicators(initialised, tmp_path)
    ref = close_review(initialised, tmp_path, "Repairs service", HOUSING,
                       "Evening appointments offered from April")
    initialised.ok("improvement", "add", "--title", "Answer the inspector on void times",
                   "--owner", SAM, "--due", "2027-05-31", "--service", HOUSING)
    html = initialised.ok("report", "performance-plan", "--year", "2027").stdout
    page = parse_page(html)
    assert page.headings[:3] == ["Summary", "Housing repairs", "Reviewed in 2026-27"]
    header = next(r for r in page.rows if r and r[0] == "Indicator")
    assert header[-3:] == ["Target 2027-28", "Target 2028-29", "Target 2029-30"]
    bv72 = next(r for r in page.rows if r and r[0].startswith("BV72"))
    assert bv72[1:] == [
        "90.5 %", "92 %", "Within tolerance", "2025-26: 88 %", "Improving",
        "Quartile 3 of 4 (1 is the best); rank 4 of 5; median 91 %", "94 %", "95 %", "96 %"]
    l1 = next(r for r in page.rows if r and r[0].startswith("L1"))
    assert l1[3] == "Off target"
    # The colour only repeats the words.
    assert "status status-off-target" in page.classes
    assert f"{ref}: Repairs service" in " ".join(page.headings)
    assert "Evening appointments offered from April" in html
    assert "In-house improvement" in html
    assert "Keeps staff terms" in html
    assert "dissent: GMB" in html
    assert ["Improve housing repairs", SAM, "Thursday 30 September 2027", "Planned"] in page.rows
    assert any("Answer the inspector on void times" in r for r in page.rows)
    assert "1 on target, 1 within tolerance, 1 off target" in html
    assert "by Wednesday 30 June 2027" in html
    # A year later the review is not the next plan's, and last year's outturn is an
    # earlier year's: 2027-28 has no figure yet.
    later = initialised.ok("report", "performance-plan", "--year", "2028").stdout
    assert ref not in later
    bv72_later = next(r for r in parse_page(later).rows if r and r[0].startswith("BV72"))
    assert bv72_later[1:5] == ["–", "94 %", "No figure yet", "2025-26: 88 %; 2026-27: 90.5 %"]

    md = initialised.ok("report", "performance-plan", "--year", "2027", "--format", "md").stdout
    assert md.startswith("# Exampleshire County Council: performance plan 2027\n")
    assert "| BV72 Urgent repairs done on time | 90.5 % | 92 % | **Within tolerance** |" in md
    assert f"### {ref}: Repairs service" in md

    out = tmp_path / "plan.xlsx"
    initialised.ok("report", "performance-plan", "--year", "2027", "--format", "xlsx",
                   "-o", str(out))
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    rows = {r[1]: dict(zip(header, r, strict=True))
            for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["BV72"]["status"] == "within tolerance"
    assert (rows["BV72"]["outturn"], rows["BV72"]["quartile"]) == (90.5, 3)
    assert (rows["BV72"]["target_1"], rows["BV72"]["target_3"]) == (94, 96)
    assert rows["L1"]["status"] == "off target"


def test_the_officer_is_reminded_before_the_deadline_and_the_site_carries_the_plan(
        initialised: Cli, tmp_path: Path, travel: time_machine.Coordinates) -> None:
    _indicators(initialised, tmp_path)
    (initialised.db.parent / "bvflow.toml").write_text(
        f'[performance]\nplan_due = "06-30"\nofficer = "{OFFICER}"\n', encoding="utf-8")
    early = tmp_path / "early-site"  # January: 2026-27 is not over, so no 2027 plan yet
    initialised.ok("publish", "--out", str(early))
    assert sorted(p.name for p in (early / "performance-plan").iterdir()) == ["2026"]
    _at(travel, "2027-05-28")  # more than four weeks before: nothing yet
    assert swept_mail(initialised, OFFICER) == []
    _at(travel, "2027-06-02")  # 20 working days before Wednesday 30 June
    mail = swept_mail(initialised, OFFICER)
    assert [str(m["Subject"]) for m in mail] == [
        "Performance plan 2027 due Wednesday 30 June 2027 (authority)"]
    body = mail[0].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "bvflow report performance-plan --year 2027" in text
    assert "outturns for 2026-27" in text
    initialised.ok("sweep")  # once only
    _at(travel, "2027-06-30")
    swept_mail(initialised, OFFICER)
    assert query(initialised.db, "SELECT dedupe_key, review_id, status FROM outbox WHERE "
                                 "kind = 'plan_due' ORDER BY id") == [
        (f"plan:2027:due_soon:2027-06-02:{OFFICER}", None, "sent"),
        (f"plan:2027:due_today:2027-06-30:{OFFICER}", None, "sent")]

    initialised.ok("improvement", "add", "--title", "Cut void times", "--owner", SAM,
                   "--due", "2027-09-30", "--service", HOUSING)
    site = tmp_path / "site"
    initialised.ok("publish", "--out", str(site))
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="performance-plan/2027/index.html"' in index
    plan = (site / "performance-plan" / "2027" / "index.html").read_text(encoding="utf-8")
    assert "Within tolerance" in plan
    assert "Cut void times" in plan
    assert SAM not in plan  # the public site names no person
    # Nothing changed: the next run writes nothing.
    again = json.loads(initialised.ok("publish", "--out", str(site), "--json").stdout)
    assert again["changed"] is False
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


@pytest.mark.parametrize(("settings", "message"), [
    ('[performance]\nplan_due = "02-29"\n', "plan_due"),
    ('[performance]\nofficer = "nobody"\n', "officer"),
    ('[performance]\ndeadline = "06-30"\n', "deadline"),
])
def test_bad_performance_settings_are_refused_naming_the_key(
        initialised: Cli, settings: str, message: str) -> None:
    (initialised.db.parent / "bvflow.toml").write_text(settings, encoding="utf-8")
    result = initialised("sweep")
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_figures_at_the_edges_read_as_a_performance_officer_expects(
        initialised: Cli, tmp_path: Path) -> None:
    _indicators(initialised, tmp_path)
    # Exactly at the tolerance is within it (3.2 - 3.0 is not 0.2000000000000002 here).
    out = initialised.ok("indicator", "record", "--service", "Libraries", "L1", "--period",
                         "2026-27", "--value", "3.2").stdout
    assert out.strip() == "Libraries L1 2026-27 outturn: 3.2 (within tolerance)"
    # The status is the recorded period's, and a target has none.
    out = initialised.ok("indicator", "record", "--service", "Waste", "BV82a", "--period",
                         "2025-26", "--value", "30").stdout
    assert out.strip() == "Waste BV82a 2025-26 outturn: 30 (no target)"
    out = initialised.ok("indicator", "record", "--service", "Waste", "BV82a", "--period",
                         "2028-29", "--value", "45", "--target").stdout
    assert out.strip() == "Waste BV82a 2028-29 target: 45"
    # An outturn for a year not begun is refused.
    before = snapshot(initialised.db)
    future = initialised("indicator", "record", "--service", "Waste", "BV82a", "--period",
                         "2099-00", "--value", "1")
    assert future.exit_code == 1
    assert "has not begun" in future.stderr
    assert snapshot(initialised.db) == before
    # The authority's own row in a club's extract is its outturn, not a comparator.
    extract = tmp_path / "club.csv"
    extract.write_text("authority,code,period,value\nexampleshire county council,L1,2026-27,9\n"
                       "Northshire,L1,2026-27,3.1\n", encoding="utf-8")
    out = initialised.ok("indicator", "import", "--service", "Libraries", str(extract)).stdout
    assert out.strip() == ("imported 1 new, 0 updated, 1 skipped (indicators not tracked, or "
                           "the authority's own)")
    assert query(initialised.db, "SELECT authority FROM comparators WHERE code = 'L1'") == [
        ("Northshire",)]


def test_an_older_outturn_is_never_reported_as_the_years(
        initialised: Cli, tmp_path: Path) -> None:
    initialised.ok("indicator", "add", "--service", "Roads", "R1", "--name", "Potholes fixed",
                   "--unit", "%", "--target", "2025-26=80", "--target", "2026-27=85")
    initialised.ok("indicator", "record", "--service", "Roads", "R1", "--period", "2025-26",
                   "--value", "81")
    md = initialised.ok("report", "performance-plan", "--year", "2027", "--format", "md").stdout
    assert ("| R1 Potholes fixed | – | 85 % | **No figure yet** | 2025-26: 81 % |") in md
    assert "0 on target, 0 within tolerance, 0 off target, 1 with no figure yet" in md


def test_listing_a_service_with_no_indicators_says_so(initialised: Cli, tmp_path: Path) -> None:
    assert "No service indicators" in initialised.ok("indicator", "list").stdout
    _indicators(initialised, tmp_path)
    result = initialised("indicator", "list", "--service", "Nowhere")
    assert result.exit_code == 1
    assert "no service 'Nowhere' has indicators" in result.stderr
