"""Meta-tests: the stage guide, the report reference and the PostgreSQL guide match the code.

docs/stages.md names every requirement kind, and its worked benchmarking example is
recomputed with bvflow's own arithmetic; every ``bvflow report``, ``pi``, ``option`` and
``action`` command is shown in the docs; docs/postgres-roles.sql exists, keeps coordinators
to appending on audit_events, and is what docs/postgresql.md shows; the new pages are in the
site's navigation and the report reference embeds its screenshot.
"""

from __future__ import annotations

import csv
import io
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from bvflow.cli import main
from bvflow.domain.performance import benchmark
from bvflow.domain.requirements import requirement_kinds

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
STAGES = (DOCS / "stages.md").read_text(encoding="utf-8")
REPORTS = (DOCS / "reports.md").read_text(encoding="utf-8")
POSTGRES = (DOCS / "postgresql.md").read_text(encoding="utf-8")
ROLES = DOCS / "postgres-roles.sql"


# --- the stage guide ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", requirement_kinds())
def test_the_stage_guide_names_every_requirement_kind(kind: str) -> None:
    assert f"`{kind}`" in STAGES, f"docs/stages.md does not name the requirement kind {kind}"


def test_the_stage_guide_has_a_section_per_stage_of_the_bundled_workflow() -> None:
    workflow = yaml.safe_load((ROOT / "workflows" / "best-value.yaml").read_text("utf-8"))
    for stage in workflow["stages"]:
        if not stage.get("final"):
            assert f"\n## {stage['title']}\n" in STAGES, stage["name"]


def _code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", markdown, flags=re.S | re.M)


def _console_lines(markdown: str) -> list[str]:
    return [
        line[2:]
        for block in _code_blocks(markdown)
        for line in block.splitlines()
        if line.startswith("$ bvflow ")
    ]


def _benchmark_example() -> tuple[dict[str, list[float]], dict[str, tuple[float, bool]]]:
    """The worked run's comparator CSV and each indicator's baseline and direction."""
    block = next(b for b in _code_blocks(STAGES) if b.count("\n") > 10 and "BV84" in b)
    extract = block.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    figures: dict[str, list[float]] = {}
    for row in csv.DictReader(io.StringIO(extract)):
        figures.setdefault(row["code"], []).append(float(row["value"]))
    baselines = {}
    for line in _console_lines(STAGES):
        words = shlex.split(line)
        if words[1:3] == ["pi", "add"] and "--baseline" in words:
            value = float(words[words.index("--baseline") + 1])
            baselines[words[4]] = (value, "--lower-is-better" not in words)
    return figures, baselines


def _compare_rows() -> list[list[str]]:
    """The first ``pi compare`` table shown after the worked run's import."""
    block = next(b for b in _code_blocks(STAGES) if "$ bvflow pi compare BV-2026-001" in b)
    lines = block.split("$ bvflow pi compare BV-2026-001\n", 1)[1].splitlines()
    rows = []
    for line in lines[1:]:
        if line.startswith("$"):
            break
        rows.append(line.split())
    return rows


def test_the_worked_benchmarking_example_matches_bvflows_arithmetic() -> None:
    figures, baselines = _benchmark_example()
    rows = _compare_rows()
    assert [r[0] for r in rows] == ["BV82a", "BV86"]
    for code, _period, value, rank, _, of, quartile, top in rows:
        own, higher_is_better = baselines[code]
        found = benchmark(own, figures[code], higher_is_better)
        assert float(value) == own
        assert (int(rank), int(of)) == (found.rank, found.of), code
        assert quartile == f"Q{found.quartile}", code
        assert float(top) == pytest.approx(found.top_quartile_threshold), code
    # The quartiles quoted in the text.
    own, higher_is_better = baselines["BV82a"]
    found = benchmark(own, figures["BV82a"], higher_is_better)
    for figure in (found.lower_quartile, found.upper_quartile):
        assert f"({figure:g})" in STAGES or f"= {figure:g}" in STAGES, figure


# --- commands shown in the docs ----------------------------------------------------------


def _shown_commands() -> set[str]:
    """``bvflow GROUP COMMAND`` for every ``$ bvflow …`` line of every page, global options
    (``--db PATH``) skipped."""
    shown = set()
    for page in DOCS.glob("*.md"):
        for line in _console_lines(page.read_text(encoding="utf-8")):
            words = shlex.split(line.split("|")[0].split(">")[0])[1:]
            while words and words[0].startswith("--"):
                words = words[2:] if "=" not in words[0] else words[1:]
            shown.add(" ".join(words[:2]))
    return shown


GROUPS = ("report", "pi", "option", "action")
SUBCOMMANDS = [
    f"{group} {name}"
    for group in GROUPS
    for name in sorted(getattr(main.commands[group], "commands", {}))
]


def test_the_groups_have_subcommands() -> None:
    for group in GROUPS:
        assert isinstance(main.commands[group], click.Group)
    assert len(SUBCOMMANDS) >= 16


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_report_pi_option_and_action_command_is_shown(command: str) -> None:
    assert command in _shown_commands(), f"no '$ bvflow {command} …' example in docs/"


# --- the report reference ----------------------------------------------------------------


@pytest.mark.parametrize("audience", ["public", "working-party", "internal"])
def test_the_report_reference_describes_every_audience(audience: str) -> None:
    assert f"| `{audience}` |" in REPORTS


def test_the_report_reference_embeds_small_screenshots() -> None:
    images = re.findall(r"!\[[^\]]+\]\((images/[^)]+\.png)\)", REPORTS)
    assert "images/report.png" in images
    for image in images:
        path = DOCS / image
        assert path.is_file(), image
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
        assert path.stat().st_size < 400_000, f"{image} is too large for the repository"


def test_the_report_reference_names_every_file_of_the_inspection_pack() -> None:
    for name in (
        "report.html",
        "report.md",
        "evidence-index.csv",
        "audit-trail.csv",
        "verify.json",
        "README.txt",
        "MANIFEST.sha256",
        "earlier-inspections.json",
    ):
        assert f"| `{name}` |" in REPORTS, name


# --- PostgreSQL --------------------------------------------------------------------------


def test_the_role_set_up_exists_and_protects_audit_events() -> None:
    assert ROLES.is_file()
    sql = ROLES.read_text(encoding="utf-8")
    assert "audit_events" in sql
    statements = re.findall(r"EXECUTE format\('([^']*)'", sql)
    # Privileges are granted table by table; nothing is granted on all tables at once.
    assert "ON ALL TABLES" not in sql
    branch = re.search(r"IF t = 'audit_events' THEN(.*?)ELSIF", sql, flags=re.S)
    assert branch is not None
    granted = re.findall(r"EXECUTE format\('([^']*)'", branch.group(1))
    assert granted == ["GRANT SELECT, INSERT ON bvflow.%I TO bvflow_coordinator"]
    # Auditors read, and only read, every table.
    assert "GRANT SELECT ON bvflow.%I TO bvflow_auditor" in statements
    assert not [
        s
        for s in statements
        if "bvflow_auditor" in s and s.startswith("GRANT") and not s.startswith("GRANT SELECT ON")
    ]


def test_the_postgresql_guide_shows_the_role_file_as_it_is() -> None:
    blocks = re.findall(r"^```sql\n(.*?)^```", POSTGRES, flags=re.S | re.M)
    assert ROLES.read_text(encoding="utf-8") in blocks


# --- navigation --------------------------------------------------------------------------


def test_the_new_pages_are_in_the_site_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = [next(iter(entry.values())) for entry in config["nav"]]
    for page in ("stages.md", "reports.md", "postgresql.md", "testing.md", "reliability.md"):
        assert page in pages, page
