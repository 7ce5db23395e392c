"""Workflow use cases: list, show, diagram and validate definition files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bvflow.domain.definition import Definition
from bvflow.domain.diagram import mermaid
from bvflow.errors import BVFlowError
from bvflow.files import read_text_input
from bvflow.framework_files import FrameworkFile, is_framework_source, read_framework
from bvflow.services.views import View
from bvflow.workflow_files import MAX_BYTES, WorkflowFile, available, read_path, resolve


@dataclass(frozen=True)
class WorkflowSummary(View):
    name: str
    title: str
    version: int
    stages: int
    path: str
    digest: str
    problem: str | None = None


def list_workflows(workflows_dir: Path | None = None) -> list[WorkflowSummary]:
    """Every workflow file found, by name; a council's folder shadows the bundled one.

    A file that does not validate is listed with its problem, not allowed to hide the rest.
    """
    found = []
    for name, path in available(workflows_dir).items():
        try:
            wf = read_path(path)
        except BVFlowError as exc:
            found.append(WorkflowSummary(name, "", 0, 0, str(path), "", exc.message))
            continue
        d = wf.definition
        found.append(
            WorkflowSummary(d.name, d.title, d.version, len(d.stages), str(path), wf.digest)
        )
    return found


def show_workflow(name_or_path: str, workflows_dir: Path | None = None) -> WorkflowFile:
    return resolve(name_or_path, workflows_dir)


def diagram(name_or_path: str, workflows_dir: Path | None = None) -> str:
    return mermaid(resolve(name_or_path, workflows_dir).definition)


def validate(path: Path) -> WorkflowFile | FrameworkFile:
    """Read and validate a workflow or (``kind: competency-framework``) a competency
    framework; raises DefinitionError listing every problem."""
    source = read_text_input(path, "workflow file", MAX_BYTES)
    if is_framework_source(source, str(path.resolve())):
        return read_framework(path)
    return read_path(path)


def definition_dict(definition: Definition) -> dict[str, Any]:
    """A definition as data, for ``workflow show --json``."""
    return {
        "name": definition.name,
        "title": definition.title,
        "version": definition.version,
        "description": definition.description,
        "evidence_kinds": sorted(definition.evidence_kinds),
        "notice": {
            "meeting_notice_days": dict(definition.involvement.meeting_notice_days),
            "statutory_clear_days": definition.involvement.statutory_clear_days,
        },
        "stages": [
            {
                "name": s.name,
                "title": s.title,
                "min_working_days": s.min_working_days,
                "target_working_days": s.target_working_days,
                "final": s.final,
                "next": s.next,
                "requires": [r.as_data() for r in s.guards],
            }
            for s in definition.stages
        ],
    }
