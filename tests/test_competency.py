"""Competency self-assessment: a framework as data, rounds scored with evidence, gaps
answered by development actions that are reminded like any action, and the report.

The source document: authorities "compare themselves against these competencies and
highlight the skills they needed to develop in order to improve".
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
from bvflow.resources import data_dir

PAT = "pat@exampleshire.gov.uk"
SAM = "sam@exampleshire.gov.uk"
BUNDLED = data_dir("competencies") / "best-value-competencies.yaml"
CODES = ("local-people", "business-links", "modern-management", "partnership",
         "fair-employment", "performance", "involvement")
FIRST = dict(zip(CODES, (2, 1, 3, 2, 3, 2, 3), strict=True))
SECOND = {**FIRST, "business-links": 2, "performance": 3, "involvement": 4}


def scores_csv(path: Path, levels: dict[str, int], note: str = "") -> Path:
    lines = ["code,level,evidence"] + [f'{c},{lv},"{c} at {lv}{note}, see the 2027 survey"'
                                        for c, lv in levels.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assess(cli: Cli, tmp: Path, round_: str, levels: dict[str, int], *extra: str) -> dict[
        str, object]:
    path = scores_csv(tmp / f"scores-{round_}.csv", levels)
    found = cli.ok("competency", "assess", "--framework", "best-value-competencies", "--round",
                   round_, "--file", str(path), "--participant", PAT, *extra, "--json").stdout
    return dict(json.loads(found))


def score_options(levels: dict[str, int]) -> list[str]:
    found: list[str] = []
    for code, level in levels.items():
        found += ["--score", f"{code}={level}", "--evidence", f"{code}=Seen in the minutes"]
    return found


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_bundled_framework_validates_and_is_listed(initialised: Cli) -> None:
    out = initialised.ok("workflow", "validate", str(BUNDLED)).stdout
    assert out.startswith(f"{BUNDLED}: valid (best-value-competencies, 7 competencies, digest ")
    listed = json.loads(initialised.ok("competency", "frameworks", "--json").stdout)
    assert [(f["name"], f["competencies"], f["levels"], f["rounds"]) for f in listed] == [
        ("best-value-competencies", 7, 4, [])]
    assert "none yet" in initialised.ok("competency", "frameworks").stdout


EMPTY = 'looks_like: "  "'
BROKEN = [
    # (what to replace, with what)
    ("  - code: partnership\n", "  - code: local-people\n"),
    ("    name: Fair employment\n", "    nme: Fair employment\n"),
    ("      - level: 2\n        name: Developing\n        looks_like: Some partnerships",
     "      - level: 3\n        name: Developing\n        looks_like: Some partnerships"),
    ("looks_like: Indicators are collected because they are required, but not used to "
     "manage services.", EMPTY),
    ("kind: competency-framework\n", "kind: competency-framework\ncolour: blue\n"),
]


def test_a_misspelt_kind_is_told_its_kind_not_checked_as_a_workflow(
        initialised: Cli, tmp_path: Path) -> None:
    copy = tmp_path / "best-value-competencies.yaml"
    copy.write_text(BUNDLED.read_text(encoding="utf-8").replace(
        "kind: competency-framework", "kind: competency-framwork"), encoding="utf-8")
    result = initialised("workflow", "validate", str(copy))
    assert result.exit_code == 1
    assert "unknown kind 'competency-framwork'" in result.stderr
    assert "stages" not in result.stderr


def test_a_broken_copy_lists_every_problem_with_its_line(initialised: Cli,
                                                         tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8")
    for old, new in BROKEN:
        assert old in text, old
        text = text.replace(old, new, 1)
    broken = tmp_path / "best-value-competencies.yaml"
    broken.write_text(text, encoding="utf-8")
    lines = text.splitlines()

    def line_of(needle: str, after: int = 0) -> int:
        return next(i for i, line in enumerate(lines, 1) if i > after and needle in line)

    result = initialised("workflow", "validate", str(broken))
    assert result.exit_code == 1
    first_local = line_of("code: local-people")
    expected = [
        f"{line_of('colour: blue')}: framework: unknown key 'colour' (allowed: competencies, "
        "description, kind, name, source, title, version)",
        f"{line_of('level: 3', line_of('code: local-people', first_local))}: competency "
        "'local-people', level 2: levels must run 1..4 in order; found 3 where 2 belongs",
        f"{line_of('code: local-people', first_local)}: competency 'local-people': duplicate "
        f"code (first at line {first_local})",
        f"{line_of('code: fair-employment')}: competency 'fair-employment': name is missing",
        f"{line_of('nme: Fair')}: competency 'fair-employment': unknown key 'nme' "
        "(allowed: code, description, levels, name)",
        f"{line_of(EMPTY)}: competency 'performance', level 1: looks_like must "
        "be non-empty text",
    ]
    expected.sort(key=lambda p: int(p.split(":")[0]))  # listed in the order of the file
    problems = result.stderr.splitlines()
    assert problems[:-1] == [f"{broken.resolve()}:{want}" for want in expected]
    assert problems[-1] == f"Error: {broken.resolve()} is not valid: 6 problems"
    as_json = json.loads(initialised("workflow", "validate", str(broken), "--json").stdout)
    assert as_json["valid"] is False
    assert len(as_json["problems"]) == 6
    # And it cannot be assessed against.
    before = snapshot(initialised.db)
    refused = initialised("competency", "assess", "--framework", str(broken), "--round",
                          "2027", *score_options(FIRST), "--participant", PAT)
    assert refused.exit_code == 1
    assert snapshot(initialised.db) == before


def test_two_rounds_gaps_actions_and_the_report(initialised: Cli, tmp_path: Path) -> None:
    first = assess(initialised, tmp_path, "2027", FIRST, "--participant", SAM)
    assert first["gaps"] == ["local-people", "business-links", "partnership", "performance"]
    assert first["participants"] == [PAT, SAM]
    action = json.loads(initialised.ok(
        "competency", "action", "add", "--round", "2027", "--competency", "business-links",
        "--title", "Set up a business forum", "--owner", SAM, "--due", "2027-06-30",
        "--json").stdout)
    second = initialised.ok("competency", "assess", "--framework", "best-value-competencies",
                            "--round", "2028", *score_options(SECOND), "--participant", PAT,
                            "--target-level", "3").stdout
    assert second.strip() == ("Assessed best-value-competencies for 2028: 7 competencies, gaps "
                              "below level 3: local-people, business-links, partnership")

    rows = query(initialised.db, "SELECT a.round, s.code, s.level FROM competency_scores s "
                                 "JOIN competency_assessments a ON a.id = s.assessment_id "
                                 "ORDER BY a.round, s.id")
    assert rows == [(2027, c, lv) for c, lv in FIRST.items()] + [
        (2028, c, lv) for c, lv in SECOND.items()]
    score_id = query(initialised.db, "SELECT s.id FROM competency_scores s JOIN "
                                     "competency_assessments a ON a.id = s.assessment_id "
                                     "WHERE a.round = 2027 AND s.code = 'business-links'")[0][0]
    assert query(initialised.db, "SELECT source, source_id, owner, review_id, priority FROM "
                                 "plan_actions") == [
        ("competency", score_id, SAM, None, "Links with business")]
    kinds = [(e[2], e[3]) for e in events(initialised.db) if e[2].startswith("competency.")]
    assert kinds == [("competency.assessed", None), ("competency.action_added", None),
                     ("competency.assessed", None)]
    assessed = json.loads(events(initialised.db)[-1][6])["payload"]
    assert assessed["round"] == 2028
    assert assessed["participants"] == [PAT]
    assert len(assessed["framework_digest"]) == 64

    md = initialised.ok("report", "competency", "--format", "md").stdout
    assert "| Links with business | 1 | 2 | up 1 | **Gap** (level 2, target 3) |" in md
    assert "| Involvement | 3 | 4 | up 1 | At or above target |" in md
    assert "| Modern management | 3 | 3 | no change | At or above target |" in md
    assert "- **Partnership working**: level 2, target 3." in md
    assert "**No development action yet.**" in md
    assert (f"| {action['id']} | Links with business | 2027 | Set up a business forum | {SAM} "
            "| Wednesday 30 June 2027 | Planned |") in md
    assert f"Took part: {PAT}, {SAM}." in md
    assert "business-links at 1, see the 2027 survey" in md

    initialised.ok("report", "competency", "-o", str(tmp_path / "c.html"))
    page = _Page()
    page.feed((tmp_path / "c.html").read_text(encoding="utf-8"))
    text = " ".join(" ".join(page.text).split())
    assert page.tags.count("table") == 4  # levels, actions, a round each
    assert "Links with business 1 2 up 1 Gap (level 2, target 3)" in text
    assert "Set up a business forum" in text
    assert "Round 2027: evidence and who took part" in text

    book = openpyxl.load_workbook(io.BytesIO(
        initialised.ok("report", "competency", "--format", "xlsx").stdout_bytes))
    sheet = book.active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0][:6] == ["framework", "round", "code", "competency", "level", "level_name"]
    assert len(table) == 15
    business = [r for r in table[1:] if r[2] == "business-links"]
    assert [(r[1], r[4], r[7]) for r in business] == [(2027, 1, "gap"), (2028, 2, "gap")]
    assert business[0][11] == f"Set up a business forum ({SAM}, due 2027-06-30, planned)"
    assert business[1][8] == "up 1"

    listed = json.loads(initialised.ok("competency", "frameworks", "--json").stdout)
    assert listed[0]["rounds"] == [2027, 2028]
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_a_development_action_is_reminded_by_the_sweep(
        initialised: Cli, tmp_path: Path, travel: time_machine.Coordinates) -> None:
    assess(initialised, tmp_path, "2027", FIRST)
    out = initialised.ok("competency", "action", "add", "--round", "2027", "--competency",
                         "partnership", "--title", "Agree shared targets with partners",
                         "--owner", SAM, "--due", "2027-02-15").stdout
    action = int(out.split()[1])
    assert out.strip().endswith(f"'bvflow improvement update {action}' records progress")
    travel.move_to(datetime(2027, 2, 8, 9, 0, tzinfo=LONDON))
    soon = swept_mail(initialised, SAM)
    assert [str(m["Subject"]) for m in soon] == [
        "Action due Monday 15 February 2027: Agree shared targets with partners (authority)"]
    body = soon[0].get_body(("plain",))
    assert body is not None
    assert "competency self-assessment" in body.get_content()
    travel.move_to(datetime(2027, 2, 16, 9, 0, tzinfo=LONDON))
    swept_mail(initialised, SAM)
    assert "(overdue)" in initialised.ok("report", "competency", "--format", "md").stdout
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


@pytest.mark.parametrize(("args", "message"), [
    (("--framework", "nope", "--round", "2027"), "no competency framework named 'nope'"),
    (("--framework", "best-value-competencies", "--round", "1800"), "1800"),
    (("--framework", "best-value-competencies", "--round", "2027", "--score",
      "local-people=2"), "no score for 'business-links'"),
    (("--framework", "best-value-competencies", "--round", "2027", "--score",
      "local-people=5"), "local-people: level must be 1 to 4, not 5"),
    (("--framework", "best-value-competencies", "--round", "2027", "--score",
      "local-people=two"), "whole number"),
    (("--framework", "best-value-competencies", "--round", "2027", "--score", "zzz=2"),
     "no competency 'zzz'"),
    (("--framework", "best-value-competencies", "--round", "2027", "--score", "local-people"),
     "CODE=VALUE"),
    (("--framework", "best-value-competencies", "--round", "2027", "--file", "missing.csv"),
     "missing.csv"),
], ids=["unknown-framework", "round", "missing-score", "level-range", "level-text",
        "unknown-code", "no-equals", "missing-file"])
def test_bad_input_to_assess_is_refused_and_changes_nothing(
        initialised: Cli, args: tuple[str, ...], message: str) -> None:
    before = snapshot(initialised.db)
    result = initialised("competency", "assess", *args, "--participant", PAT)
    assert result.exit_code == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(initialised.db) == before


@pytest.mark.parametrize(("change", "extra", "message"), [
    ({}, ["--participant", "not-an-address"], "not a valid email address"),
    ({}, ["--target-level", "5"], "the target level must be 1 to 4, not 5"),
    ({"evidence": "\u202eevil"}, [], "invisible or unassigned character"),
    ({"evidence": ""}, [], "the evidence for local-people must not be empty"),
], ids=["participant", "target", "hostile-evidence", "empty-evidence"])
def test_bad_details_are_refused(initialised: Cli, change: dict[str, str], extra: list[str],
                                 message: str) -> None:
    options = score_options(FIRST)
    if "evidence" in change:
        options[options.index("local-people=Seen in the minutes")] = (
            f"local-people={change['evidence']}")
    participants = [] if extra and extra[0] == "--participant" else ["--participant", PAT]
    before = snapshot(initialised.db)
    result = initialised("competency", "assess", "--framework", "best-value-competencies",
                         "--round", "2027", *options, *participants, *extra)
    assert result.exit_code == 1, result.stderr
    assert message in result.stderr
    assert snapshot(initialised.db) == before


def test_a_round_is_assessed_once_and_a_file_needs_its_columns(
        initialised: Cli, tmp_path: Path) -> None:
    assess(initialised, tmp_path, "2027", FIRST)
    before = snapshot(initialised.db)
    again = initialised("competency", "assess", "--framework", "best-value-competencies",
                        "--round", "2027", *score_options(FIRST), "--participant", PAT)
    assert again.exit_code == 1
    assert again.stderr == ("Error: best-value-competencies was already assessed for 2027; "
                            "'bvflow report competency' shows it\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,score\nlocal-people,2\n", encoding="utf-8")
    wrong = initialised("competency", "assess", "--framework", "best-value-competencies",
                        "--round", "2029", "--file", str(bad), "--participant", PAT)
    assert wrong.exit_code == 1
    assert "needs the columns code,level,evidence" in wrong.stderr
    both = initialised("competency", "assess", "--framework", "best-value-competencies",
                       "--round", "2029", "--file", str(bad), "--score", "local-people=2",
                       "--participant", PAT)
    assert both.exit_code == 1
    assert "not both" in both.stderr
    nobody = initialised("competency", "assess", "--framework", "best-value-competencies",
                         "--round", "2029", *score_options(FIRST))
    assert nobody.exit_code == 2  # a usage error: the option is required
    assert "'--participant'" in nobody.stderr
    assert snapshot(initialised.db) == before


@pytest.mark.parametrize(("args", "message"), [
    (("--round", "2030", "--competency", "partnership"), "was not assessed for 2030"),
    (("--round", "2027", "--competency", "nope"), "no competency 'nope'"),
    (("--round", "2027", "--competency", "involvement"), "not below the target 3"),
    (("--round", "2027", "--competency", "partnership", "--framework", "other"),
     "other was not assessed"),
], ids=["round", "code", "not-a-gap", "framework"])
def test_bad_input_to_action_add_is_refused_and_changes_nothing(
        initialised: Cli, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    assess(initialised, tmp_path, "2027", FIRST)
    before = snapshot(initialised.db)
    result = initialised("competency", "action", "add", *args, "--title", "T", "--owner", PAT,
                         "--due", "2027-06-30")
    assert result.exit_code == 1, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(initialised.db) == before


@pytest.mark.parametrize(("args", "message"), [
    (("--title", "", "--owner", PAT, "--due", "2027-06-30"), "title"),
    (("--title", "T", "--owner", "nobody", "--due", "2027-06-30"), "address"),
    (("--title", "T", "--owner", PAT, "--due", "2027-02-30"), "date"),
], ids=["title", "owner", "due"])
def test_bad_action_details_are_refused(initialised: Cli, tmp_path: Path,
                                        args: tuple[str, ...], message: str) -> None:
    assess(initialised, tmp_path, "2027", FIRST)
    before = snapshot(initialised.db)
    result = initialised("competency", "action", "add", "--round", "2027", "--competency",
                         "partnership", *args)
    assert result.exit_code == 1, result.stderr
    assert message in result.stderr.lower()
    assert snapshot(initialised.db) == before


def test_the_report_before_any_round_and_for_an_unknown_framework(initialised: Cli) -> None:
    md = initialised.ok("report", "competency", "--format", "md").stdout
    assert "No round has been assessed yet" in md
    before = snapshot(initialised.db)
    result = initialised("report", "competency", "--framework", "nope")
    assert result.exit_code == 1
    assert "no competency framework named 'nope'" in result.stderr
    assert initialised("report", "competency", "--format", "pdf").exit_code == 1
    assert snapshot(initialised.db) == before


def test_a_councils_own_framework_by_path_is_pinned(initialised: Cli, tmp_path: Path) -> None:
    own = tmp_path / "exampleshire-competencies.yaml"
    text = BUNDLED.read_text(encoding="utf-8").replace(
        "name: best-value-competencies", "name: exampleshire-competencies")
    own.write_text(text, encoding="utf-8")
    initialised.ok("competency", "assess", "--framework", str(own), "--round", "2027",
                   *score_options(FIRST), "--participant", PAT)
    by_path = initialised.ok("report", "competency", "--framework", str(own), "--format",
                             "md").stdout
    row = "| Links with business | 1 | first assessed | **Gap** (level 1, target 3) |"
    assert row in by_path
    own.write_text(text.replace("Links with business", "Business links"), encoding="utf-8")
    initialised.ok("competency", "action", "add", "--framework", "exampleshire-competencies",
                   "--round", "2027", "--competency", "business-links", "--title", "Forum",
                   "--owner", PAT, "--due", "2027-06-30")
    own.unlink()  # the round keeps the text it was scored against
    listed = json.loads(initialised.ok("competency", "frameworks", "--json").stdout)
    assert ("exampleshire-competencies", [2027]) in [(f["name"], f["rounds"]) for f in listed]
    md = initialised.ok("report", "competency", "--framework", "exampleshire-competencies",
                        "--format", "md").stdout
    assert row in md
    assert "| Forum |" in md
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")
