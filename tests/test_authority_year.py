"""An authority through a year, as its performance officer runs it (issue 17, done means).

Three services' indicators recorded year by year, two reviews completed, a competency
self-assessment in two rounds, an inspection with findings; then the performance plan, the
competency report and the inspection pack are produced and read as their readers would:
the HTML parsed, the workbooks opened with openpyxl, the pack's files listed and each hashed
against its manifest. The record verifies at the end.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from html import unescape
from pathlib import Path

import openpyxl
import time_machine
from conftest import Cli, query, swept_mail
from test_performance_plan import close_review, parse_page

from bvflow.domain.calendar import LONDON

PAT = "pat@exampleshire.gov.uk"
SAM = "sam@exampleshire.gov.uk"
OFFICER = "performance@exampleshire.gov.uk"
SERVICES = {
    # service: (code, name, unit, direction, tolerance, outturns 2024-25..2026-27, targets)
    "Housing repairs": ("BV72", "Urgent repairs done on time", "%", "--higher-is-better", "2",
                        (85, 88, 90.5), {"2026-27": 92, "2027-28": 94, "2028-29": 95,
                                         "2029-30": 96}),
    "Waste": ("BV82a", "Household waste recycled", "%", "--higher-is-better", "1",
              (30, 33, 31), {"2026-27": 35, "2027-28": 38, "2028-29": 40, "2029-30": 42}),
    "Libraries": ("L1", "Cost per visit", "GBP", "--lower-is-better", "0.2",
                  (3.6, 3.2, 2.9), {"2026-27": 3.0, "2027-28": 2.9, "2028-29": 2.8}),
}
EXTRACT = "authority,code,period,value\n" + "".join(
    f"{a},{code},2026-27,{v}\n"
    for code, figures in (("BV72", (95, 85, 91, 97)), ("BV82a", (40, 42, 38, 36)),
                          ("L1", (3.1, 2.7, 3.3, 3.5)))
    for a, v in zip(("Northshire", "Southshire", "Eastshire", "Westshire"), figures,
                    strict=True)
)
CODES = ("local-people", "business-links", "modern-management", "partnership",
         "fair-employment", "performance", "involvement")


def _at(travel: time_machine.Coordinates, day: str) -> None:
    travel.move_to(datetime.fromisoformat(f"{day} 09:00").replace(tzinfo=LONDON))


def _scores(path: Path, levels: tuple[int, ...]) -> str:
    lines = ["code,level,evidence"] + [f"{c},{lv},Seen in the {c} minutes"
                                        for c, lv in zip(CODES, levels, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _indicators(cli: Cli, tmp_path: Path) -> None:
    for service, (code, name, unit, direction, tolerance, _, targets) in SERVICES.items():
        cli.ok("indicator", "add", "--service", service, code, "--name", name, "--unit", unit,
               direction, "--tolerance", tolerance,
               *[a for p, v in targets.items() for a in ("--target", f"{p}={v}")])
    for service, (code, *_, outturns, _) in SERVICES.items():
        for period, value in zip(("2024-25", "2025-26"), outturns[:2], strict=True):
            cli.ok("indicator", "record", "--service", service, code, "--period", period,
                   "--value", str(value))


def _year(cli: Cli, tmp_path: Path, travel: time_machine.Coordinates) -> dict[str, str]:
    """The year's work, in the order the calendar in docs/performance-plan.md gives it."""
    (cli.db.parent / "bvflow.toml").write_text(
        f'[performance]\nplan_due = "06-30"\nofficer = "{OFFICER}"\n', encoding="utf-8")
    _indicators(cli, tmp_path)
    # Two reviews completed in 2026-27 (January 2027).
    paper = tmp_path / "round.txt"
    paper.write_text("Notes of the assessment\n", encoding="utf-8")
    waste = close_review(cli, tmp_path, "Refuse collection", "Waste",
                         "Collections moved to weekdays after the tenants' survey", paper)
    housing = close_review(cli, tmp_path, "Repairs service", "Housing repairs",
                           "Evening appointments offered from April")
    # The first self-assessment round.
    cli.ok("competency", "assess", "--framework", "best-value-competencies", "--round", "2026",
           "--file", _scores(tmp_path / "2026.csv", (2, 1, 3, 2, 3, 2, 3)),
           "--participant", PAT, "--participant", SAM)
    # The inspector visits Waste in February.
    _at(travel, "2027-02-15")
    report = tmp_path / "inspection.pdf"
    report.write_bytes(b"%PDF-1.4 Best Value inspection of Waste\n")
    inspection = json.loads(cli.ok(
        "inspection", "record", "--service", "Waste", "--date", "2027-02-12", "--inspector",
        "Best Value Inspectorate", "--file", str(report), "--review", waste, "--rating", "fair",
        "--prospects", "promising", "--json").stdout)["id"]
    finding = json.loads(cli.ok(
        "inspection", "finding", "add", str(inspection), "--judgement", "Fair",
        "--text", "Recycling has fallen", "--recommendation", "Relaunch kerbside recycling",
        "--recommendation", "Report recycling quarterly", "--owner", SAM, "--due",
        "2027-09-30", "--priority", "high", "--json").stdout)["finding_id"]
    cli.ok("inspection", "respond", str(finding), "--text", "Agreed: relaunch in September")
    # April and May: the year's outturns and the benchmarking club's figures.
    _at(travel, "2027-05-10")
    for service, (code, *_, outturns, _) in SERVICES.items():
        cli.ok("indicator", "record", "--service", service, code, "--period", "2026-27",
               "--value", str(outturns[2]))
        extract = tmp_path / f"{code}.csv"
        extract.write_text(EXTRACT, encoding="utf-8")
        cli.ok("indicator", "import", "--service", service, str(extract))
    # The second round, with a development action for the gap that remains.
    cli.ok("competency", "assess", "--framework", "best-value-competencies", "--round", "2027",
           "--file", _scores(tmp_path / "2027.csv", (3, 2, 3, 2, 3, 3, 4)),
           "--participant", PAT)
    cli.ok("competency", "action", "add", "--round", "2027", "--competency", "partnership",
           "--title", "Join the county partnership board", "--owner", PAT, "--due",
           "2027-11-30")
    return {"waste": waste, "housing": housing}


def test_an_authority_runs_its_year_and_its_outputs_read_as_they_should(
        initialised: Cli, tmp_path: Path, travel: time_machine.Coordinates) -> None:
    reviews = _year(initialised, tmp_path, travel)

    # June: the officer is reminded, and produces the plan.
    _at(travel, "2027-06-02")
    assert [str(m["Subject"]) for m in swept_mail(initialised, OFFICER)] == [
        "Performance plan 2027 due Wednesday 30 June 2027 (authority)"]
    html = tmp_path / "plan-2027.html"
    initialised.ok("report", "performance-plan", "--year", "2027", "-o", str(html))
    page = parse_page(html.read_text(encoding="utf-8"))
    assert [h for h in page.headings if h in SERVICES] == ["Housing repairs", "Libraries",
                                                          "Waste"]
    lines = {r[0].split()[0]: r for r in page.rows if r and r[0].split()[0] in
             {"BV72", "BV82a", "L1"}}
    assert {code: line[3] for code, line in lines.items()} == {
        "BV72": "Within tolerance", "BV82a": "Off target", "L1": "On target"}
    assert lines["BV82a"][4] == "2024-25: 30 %; 2025-26: 33 %"
    assert lines["BV82a"][5] == "Worse"
    assert lines["L1"][6].startswith("Quartile 1 of 4")
    assert lines["BV72"][7:] == ["94 %", "95 %", "96 %"]
    text = " ".join(" ".join(r) for r in page.rows)
    assert "Relaunch kerbside recycling" in text  # the inspector's, under Waste
    for ref in reviews.values():
        assert any(h.startswith(f"{ref}:") for h in page.headings)
    shown = unescape(html.read_text(encoding="utf-8"))
    assert "Collections moved to weekdays after the tenants' survey" in shown
    book = tmp_path / "plan-2027.xlsx"
    initialised.ok("report", "performance-plan", "--year", "2027", "--format", "xlsx", "-o",
                   str(book))
    sheet = openpyxl.load_workbook(book).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2,
                                                                     values_only=True)]
    assert sorted((r["service"], r["status"]) for r in rows) == [
        ("Housing repairs", "within tolerance"), ("Libraries", "on target"),
        ("Waste", "off target")]

    # The competency report: two rounds, the gap, the action.
    competency = tmp_path / "competency.html"
    initialised.ok("report", "competency", "-o", str(competency))
    content = competency.read_text(encoding="utf-8")
    rows_seen = [" ".join(r) for r in parse_page(content).rows]
    assert any(r.startswith("Partnership working 2 2 no change Gap") for r in rows_seen), rows_seen
    assert "Join the county partnership board" in content
    assert "2026" in content
    assert "2027" in content
    workbook = tmp_path / "competency.xlsx"
    initialised.ok("report", "competency", "--format", "xlsx", "-o", str(workbook))
    levels = openpyxl.load_workbook(workbook).active
    assert levels is not None
    table = [[c.value for c in row] for row in levels.iter_rows(values_only=False)]
    head = table[0]
    partnership = [dict(zip(head, r, strict=True)) for r in table[1:]
                   if r[head.index("code")] == "partnership"]
    assert sorted((r["round"], r["level"]) for r in partnership) == [(2026, 2), (2027, 2)]

    # The inspection pack for the Waste review: every file listed and hashed.
    pack = tmp_path / "pack.zip"
    initialised.ok("report", "inspection", reviews["waste"], "-o", str(pack))
    with zipfile.ZipFile(pack) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    manifest = dict(reversed(line.split("  ", 1))
                    for line in files["MANIFEST.sha256"].decode().splitlines())
    assert sorted(manifest) == sorted(n for n in files if n != "MANIFEST.sha256")
    for name, digest in manifest.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    assert b"Notes of the assessment\n" in files.values()  # a confidential paper, for s.11
    history = json.loads(files["earlier-inspections.json"])
    assert history[0]["findings"][0]["responses"][0]["text"] == "Agreed: relaunch in September"
    assert "README.txt" in files

    # The programme: Waste's open recommendations raise it above Libraries.
    for service in ("Libraries", "Waste"):
        initialised.ok("programme", "add", service, "--year", "2028", "--priority", "low",
                       "--reason", "Cycle")
    ranked = json.loads(initialised.ok("programme", "list", "--year", "2028", "--json").stdout)
    assert [i["service"] for i in ranked] == ["Waste", "Libraries"]

    # Reminders went to the owners of the authority's actions, and the record verifies.
    assert query(initialised.db, "SELECT count(*) FROM plan_actions WHERE review_id IS NULL "
                                 "AND source IN ('inspection', 'competency')") == [(3,)]
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")
