"""Best Value inspections (Local Government Act 1999 s.10, reported under s.13).

An inspection is recorded with the inspector's report (its bytes and SHA-256 kept, checked by
`audit verify`); its findings carry recommendations, each an authority action with an owner,
a due date and the sweep's reminders; the authority responds to findings; the inspection
pack holds a README, the review's evidence files, the service's earlier inspections with the
responses, and a SHA-256 manifest of every file; and the programme ranks a service with open
recommendations higher until their actions are done.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from conftest import Cli, events, query, snapshot, swept_mail

from bvflow.domain.calendar import LONDON

PAT = "pat@exampleshire.gov.uk"
REPORT = b"%PDF-1.4 The inspector's report on Waste\n"


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "inspection-report.pdf"
    path.write_bytes(REPORT)
    return path


def _record(cli: Cli, report: Path, *extra: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(cli.ok(
        "inspection", "record", "--service", "Waste", "--date", "2027-01-04", "--inspector",
        "Best Value Inspectorate", "--file", str(report), "--json", *extra).stdout)
    return found


def _finding(cli: Cli, inspection: int, *extra: str, due: str = "2027-01-15") -> dict[str, Any]:
    found: dict[str, Any] = json.loads(cli.ok(
        "inspection", "finding", "add", str(inspection), "--judgement",
        "Fair, uncertain prospects", "--text", "Complaints are logged but not analysed",
        "--recommendation", "Analyse complaints quarterly", "--recommendation",
        "Publish the analysis", "--owner", PAT, "--due", due, "--priority", "high", "--json",
        *extra).stdout)
    return found


def test_an_inspection_is_recorded_with_its_report_and_audited(
        initialised: Cli, report: Path) -> None:
    found = _record(initialised, report, "--rating", "fair", "--prospects", "uncertain",
                    "--title", "Waste inspection 2027")
    digest = hashlib.sha256(REPORT).hexdigest()
    assert (found["id"], found["file_sha256"], found["file_size"]) == (1, digest, len(REPORT))
    assert query(initialised.db, "SELECT service, CAST(inspected_on AS TEXT), inspector, "
                                 "title, rating, "
                                 "prospects, file_name, content FROM inspections") == [
        ("Waste", "2027-01-04", "Best Value Inspectorate", "Waste inspection 2027", "fair",
         "uncertain", "inspection-report.pdf", REPORT)]
    recorded = [json.loads(e[6])["payload"] for e in events(initialised.db)
                if e[2] == "inspection.recorded"]
    assert recorded[0]["file_sha256"] == digest
    assert "content" not in recorded[0]
    listed = initialised.ok("inspection", "list").stdout
    assert "Waste inspection 2027" in listed
    assert "fair" in listed
    assert json.loads(initialised.ok("inspection", "list", "--service", "Libraries",
                                     "--json").stdout) == []
    shown = initialised.ok("inspection", "show", "1").stdout
    assert "rating fair (1 star), prospects uncertain" in shown
    assert digest in shown
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_recommendations_become_actions_and_responses_are_recorded(
        initialised: Cli, report: Path) -> None:
    inspection = _record(initialised, report)["id"]
    added = _finding(initialised, inspection)
    actions = json.loads(initialised.ok("improvement", "list", "--source", "inspection",
                                        "--json").stdout)
    assert [(a["title"], a["service"], a["owner"], a["due"], a["priority"], a["source_id"])
            for a in actions] == [
        ("Analyse complaints quarterly", "Waste", PAT, "2027-01-15", "high", 1),
        ("Publish the analysis", "Waste", PAT, "2027-01-15", "high", 2)]
    assert [r["action"]["action_id"] for r in added["recommendations"]] == \
        [a["id"] for a in actions]

    said = initialised.ok("inspection", "respond", str(added["finding_id"]), "--text",
                          "Agreed: a quarterly analysis goes to cabinet from April").stdout
    assert said.strip() == "Response 1 recorded to finding 1"
    shown = json.loads(initialised.ok("inspection", "show", str(inspection), "--json").stdout)
    finding = shown["findings"][0]
    assert finding["judgement"] == "Fair, uncertain prospects"
    assert [r["action"]["status"] for r in finding["recommendations"]] == ["planned", "planned"]
    assert [p["text"] for p in finding["responses"]] == [
        "Agreed: a quarterly analysis goes to cabinet from April"]
    kinds = [e[2] for e in events(initialised.db) if e[2].startswith("inspection.")]
    assert kinds == ["inspection.recorded", "inspection.finding_added", "inspection.responded"]
    assert all(e[3] is None for e in events(initialised.db) if e[2].startswith("inspection."))
    assert "No response yet" not in initialised.ok("inspection", "show", "1").stdout
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_an_overdue_recommendation_is_reminded_to_its_owner(
        initialised: Cli, report: Path, travel: time_machine.Coordinates) -> None:
    _finding(initialised, _record(initialised, report)["id"])
    travel.move_to(datetime(2027, 1, 18, 9, 0, tzinfo=LONDON))
    subjects = [str(m["Subject"]) for m in swept_mail(initialised, PAT)]
    assert any(s.startswith("Action overdue: Analyse complaints quarterly") for s in subjects)
    assert any(s.startswith("Action overdue: Publish the analysis") for s in subjects)
    shown = initialised.ok("inspection", "show", "1").stdout
    assert "(OVERDUE)" in shown
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_the_pack_holds_readme_evidence_history_and_a_manifest_that_checks(
        initialised: Cli, reviewed: str, report: Path, tmp_path: Path) -> None:
    paper = tmp_path / "staffing.txt"
    paper.write_bytes(b"Confidential staffing figures\n")
    initialised.ok("evidence", "add", reviewed, "--kind", "improvement_plan", "--title",
                   "Staffing", "--file", str(paper), "--disclosure", "confidential")
    inspection = _record(initialised, report, "--review", reviewed)["id"]
    finding = _finding(initialised, inspection, due="2027-12-01")["finding_id"]
    initialised.ok("inspection", "respond", str(finding), "--text", "Agreed")
    out = tmp_path / "pack.zip"
    said = initialised.ok("report", "inspection", reviewed, "-o", str(out)).stdout
    assert "inspections/ (1 file)" in said
    with zipfile.ZipFile(out) as pack:
        names = sorted(pack.namelist())
        contents = {n: pack.read(n) for n in names}
    papers = [n for n in names if n.startswith("evidence/")]
    assert [n for n in names if "/" not in n] == [
        "MANIFEST.sha256", "README.txt", "audit-trail.csv", "earlier-inspections.json",
        "evidence-index.csv", "report.html", "report.md", "verify.json"]
    assert set(names) - set(papers) - {n for n in names if "/" not in n} == {
        "inspections/1-inspection-report.pdf"}
    assert f"evidence/ ({len(papers)} files)" in said
    index = {row["id"]: row for row in csv.DictReader(
        io.StringIO(contents["evidence-index.csv"].decode("utf-8-sig")))}
    for name in papers:  # each paper is the file its index line hashes
        row = index[name.split("/")[1].split("-")[0]]
        assert hashlib.sha256(contents[name]).hexdigest() == row["sha256"], name
        assert name.endswith(row["file_name"])
    assert "confidential" in {index[n.split("/")[1].split("-")[0]]["disclosure"] for n in papers}
    manifest = dict(
        reversed(line.split("  ", 1)) for line in contents["MANIFEST.sha256"].decode().splitlines()
    )
    assert sorted(manifest) == [n for n in names if n != "MANIFEST.sha256"]
    for name, digest in manifest.items():
        assert hashlib.sha256(contents[name]).hexdigest() == digest, name
    assert contents["inspections/1-inspection-report.pdf"] == REPORT
    assert b"Confidential staffing figures\n" in contents.values()
    readme = contents["README.txt"].decode()
    assert "sha256sum -c MANIFEST.sha256" in readme
    assert "bvflow audit verify" in readme
    assert "s.11" in readme
    history = json.loads(contents["earlier-inspections.json"])
    assert history[0]["review"] == reviewed
    assert [r["action"]["status"] for r in history[0]["findings"][0]["recommendations"]] == \
        ["planned", "planned"]
    assert history[0]["findings"][0]["responses"][0]["text"] == "Agreed"
    assert "content" not in history[0]
    assert json.loads(contents["verify.json"])["intact"] is True


def test_open_recommendations_raise_the_service_in_the_programme_until_done(
        initialised: Cli, report: Path) -> None:
    def need() -> tuple[int, list[str]]:
        item = json.loads(initialised.ok("programme", "list", "--json").stdout)[0]
        return item["need"], item["signals"]

    initialised.ok("programme", "add", "waste", "--year", "2028", "--priority", "low",
                   "--reason", "Contract ends")
    before = need()
    assert before == (2, ["low priority", "never reviewed"])
    _finding(initialised, _record(initialised, report)["id"])
    assert need() == (4, ["low priority", "2 open inspection recommendations (Analyse "
                          "complaints quarterly; Publish the analysis)", "never reviewed"])
    initialised.ok("improvement", "update", "1", "--status", "done")
    assert need()[0] == 3
    initialised.ok("improvement", "update", "2", "--status", "dropped")
    assert need() == before
    assert "open inspection" not in initialised.ok("programme", "list").stdout
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_an_altered_report_file_is_found_by_verify(initialised: Cli, report: Path) -> None:
    _record(initialised, report)
    path = initialised.db.path
    if path is None:
        pytest.skip("edits the SQLite file directly")
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE inspections SET content = ?", (b"altered",))
    result = initialised("audit", "verify")
    assert result.exit_code == 5
    assert "inspections row id=1" in result.stderr


BAD: list[tuple[tuple[str, ...], str]] = [
    (("record", "--service", "", "--date", "2027-01-04", "--inspector", "I", "--file", "R"),
     "service"),
    (("record", "--service", "Waste", "--date", "2027-02-30", "--inspector", "I", "--file", "R"),
     "date"),
    (("record", "--service", "Waste", "--date", "2027-06-01", "--inspector", "I", "--file", "R"),
     "after today"),
    (("record", "--service", "Waste", "--date", "2027-01-04", "--inspector", " ", "--file", "R"),
     "inspector"),
    (("record", "--service", "Waste", "--date", "2027-01-04", "--inspector", "I", "--file",
      "missing.pdf"), "missing.pdf"),
    (("record", "--service", "Waste", "--date", "2027-01-04", "--inspector", "I", "--file", "R",
      "--review", "BV-2027-999"), "no review"),
    (("record", "--service", "Waste", "--date", "2027-01-04", "--inspector", "I", "--file", "R",
      "--rating", "superb"), "superb"),
    (("finding", "add", "9", "--judgement", "J", "--text", "T", "--recommendation", "R",
      "--owner", PAT, "--due", "2027-06-01"), "no inspection 9"),
    (("finding", "add", "1", "--judgement", "", "--text", "T", "--recommendation", "R",
      "--owner", PAT, "--due", "2027-06-01"), "judgement"),
    (("finding", "add", "1", "--judgement", "J", "--text", "T", "--recommendation", " ",
      "--owner", PAT, "--due", "2027-06-01"), "recommendation"),
    (("finding", "add", "1", "--judgement", "J", "--text", "T", "--recommendation", "x" * 301,
      "--owner", PAT, "--due", "2027-06-01"), "recommendation"),
    (("finding", "add", "1", "--judgement", "J", "--text", "T", "--recommendation", "R",
      "--owner", "nobody", "--due", "2027-06-01"), "address"),
    (("finding", "add", "1", "--judgement", "J", "--text", "T", "--recommendation", "R",
      "--owner", PAT, "--due", "2026-12-01"), "before the inspection"),
    (("finding", "add", "1", "--judgement", "J", "--text", "T", "--recommendation", "R",
      "--owner", PAT, "--due", "2027-06-01", "--priority", "urgent"), "urgent"),
    (("finding", "add", "1", "--judgement", "J", "--text", "T", "--owner", PAT, "--due",
      "2027-06-01"), "recommendation"),
    (("finding", "add", "1", "--judgement", "J", "--text", "T", "--recommendation", "Analyse",
      "--recommendation", "analyse ", "--owner", PAT, "--due", "2027-06-01"), "given twice"),
    (("respond", "9", "--text", "Agreed"), "no finding 9"),
    (("respond", "1", "--text", "\u202e"), "response"),
    (("respond", "x", "--text", "Agreed"), "x"),
    (("show", "9"), "no inspection 9"),
    (("show", "0"), "0"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a[:2]) + f" {i}"
                                                       for i, (a, _) in enumerate(BAD)])
def test_bad_input_is_refused_and_changes_nothing(
        initialised: Cli, report: Path, args: tuple[str, ...], message: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _finding(initialised, _record(initialised, report)["id"])
    monkeypatch.chdir(report.parent)
    args = tuple(report.name if a == "R" else a for a in args)
    before = snapshot(initialised.db)
    result = initialised("inspection", *args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert snapshot(initialised.db) == before


def test_the_pack_for_a_review_with_no_inspection_says_so(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    out = tmp_path / "pack.zip"
    initialised.ok("report", "inspection", ref, "-o", str(out))
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as pack:
        assert json.loads(pack.read("earlier-inspections.json")) == []
        assert not [n for n in pack.namelist() if n.startswith("inspections/")]


def test_the_inspected_review_must_be_of_the_service_and_the_database_is_no_report(
        initialised: Cli, new_review: Callable[..., str], report: Path) -> None:
    ref = new_review()  # a review of Waste
    before = snapshot(initialised.db)
    wrong = initialised("inspection", "record", "--service", "Libraries", "--date",
                        "2027-01-04", "--inspector", "I", "--file", str(report), "--review", ref)
    assert wrong.exit_code == 1
    assert f"{ref} is a review of Waste, not Libraries" in wrong.stderr
    if initialised.db.path is not None:  # SQLite: the database is a file that could be sent
        for name in (str(initialised.db.path), f"{initialised.db.path}-wal"):
            if not Path(name).exists():
                continue
            leaked = initialised("inspection", "record", "--service", "Waste", "--date",
                                 "2027-01-04", "--inspector", "I", "--file", name)
            assert leaked.exit_code == 1
            assert "is the bvflow database (or one of its files), not a paper" in leaked.stderr
        as_paper = initialised("evidence", "add", ref, "--kind", "scope_statement", "--title",
                               "T", "--file", str(initialised.db.path))
        assert as_paper.exit_code == 1
        assert "not a paper" in as_paper.stderr
    assert snapshot(initialised.db) == before
