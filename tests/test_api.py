"""The public Python API, and the rules a review pins when it is created."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from conftest import Cli, events, query

import bvflow
from bvflow import App, ConflictError, RefusedError
from bvflow.resources import data_dir


def test_all_is_complete_and_importable() -> None:
    for name in bvflow.__all__:
        assert getattr(bvflow, name) is not None, name
    with pytest.raises(AttributeError):
        bvflow.no_such_thing  # noqa: B018


def test_lifecycle_through_the_api(app: App, travel: time_machine.Coordinates) -> None:
    ref = bvflow.create_review(app, "Libraries", "Culture", "Ann@Exampleshire.gov.uk")
    assert bvflow.show_review(app, ref).review.coordinator == "Ann@exampleshire.gov.uk"
    with pytest.raises(RefusedError) as refused:
        bvflow.advance(app, ref)
    assert [u.kind for u in refused.value.unmet] == [
        "timetable", "evidence", "evidence", "agreement", "agreement", "agreement"]
    assert refused.value.exit_code == 4
    bvflow.add_evidence(app, ref, "scope_statement", "Scope")
    bvflow.add_evidence(app, ref, "baseline_profile", "Baseline")
    for item in ("scope", "baseline_profile", "information_disclosure"):
        bvflow.record_agreement(app, ref, item, ["UNISON"], external=["UNISON"])
    change = bvflow.advance(app, ref, override_timetable=True, reason="Cabinet deadline")
    assert (change.from_stage, change.to_stage, change.overridden) == ("challenge", "compare", True)
    assert [e.action for e in bvflow.audit_log(app, review=ref)][-2:] == [
        "review.timetable_overridden", "review.advanced"]
    assert {e.actor for e in bvflow.audit_log(app, review=ref)} == {"api-user"}
    assert bvflow.verify(app).intact


def test_losing_writer_gets_a_conflict(app: App) -> None:
    ref = bvflow.create_review(app, "Libraries", "Culture", "ann@exampleshire.gov.uk")
    seen = bvflow.show_review(app, ref).review.version
    bvflow.suspend(app, ref, "first coordinator", expected_version=seen)
    with pytest.raises(ConflictError) as lost:
        bvflow.suspend(app, ref, "second coordinator", expected_version=seen)
    assert lost.value.exit_code == 3
    assert [e.action for e in bvflow.audit_log(app, review=ref)].count("review.suspended") == 1


def test_editing_a_workflow_file_does_not_change_a_running_review(
        initialised: Cli, tmp_path: Path) -> None:
    councils = tmp_path / "workflows"
    councils.mkdir()
    mine = councils / "best-value.yaml"
    mine.write_text((data_dir("workflows") / "best-value.yaml").read_text())
    before = initialised.ok("--workflows", str(councils), "review", "create", "Parks",
                            "--service", "Leisure", "--coordinator", "pat@exampleshire.gov.uk")
    ref = before.stdout.strip()
    # The council relaxes its file: no minimum period, no baseline profile needed.
    relaxed = mine.read_text().replace("min_working_days: 10\n    target_working_days: 30",
                                       "min_working_days: 0\n    target_working_days: 30")
    relaxed = relaxed.replace("      - evidence: baseline_profile\n", "", 1)
    relaxed = relaxed.replace(
        "      - agreement: [scope, baseline_profile, information_disclosure]\n", "", 1)
    mine.write_text(relaxed)
    initialised.ok("--workflows", str(councils), "evidence", "add", ref, "--kind",
                   "scope_statement", "--title", "Scope")
    refused = initialised("--workflows", str(councils), "review", "advance", ref)
    assert refused.exit_code == 4
    assert "10 clear working days" in refused.stderr
    assert "baseline_profile" in refused.stderr
    # A review created after the edit follows the new rules.
    after = initialised.ok("--workflows", str(councils), "review", "create", "Pools",
                           "--service", "Leisure", "--coordinator", "pat@exampleshire.gov.uk")
    new_ref = after.stdout.strip()
    initialised.ok("evidence", "add", new_ref, "--kind", "scope_statement", "--title", "Scope")
    initialised.ok("review", "advance", new_ref)
    pinned = query(initialised.db, "SELECT r.ref, d.source FROM reviews r JOIN definitions d "
                                   "ON d.digest = r.definition_digest ORDER BY r.ref")
    assert "baseline_profile" in pinned[0][1]
    assert pinned[1][1] == relaxed
    assert [e[2] for e in events(initialised.db)].count("definition.pinned") == 2


def test_workflow_by_path(initialised: Cli, tmp_path: Path) -> None:
    short = tmp_path / "short.yaml"
    short.write_text("name: short\ntitle: Short review\nstages:\n"
                     "  - name: scope\n    min_working_days: 0\n"
                     "  - name: done\n    final: true\n")
    ref = initialised.ok("review", "create", "Quick look", "--service", "IT", "--coordinator",
                         "it@exampleshire.gov.uk", "--workflow", str(short)).stdout.strip()
    result = initialised.ok("review", "advance", ref, "--json")
    assert '"status": "closed"' in result.stdout
