"""Evidence use cases: record a piece of evidence (with its file) and list a review's evidence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.involvement import DISCLOSURES
from bvflow.errors import InputError, RefusedError
from bvflow.files import read_paper
from bvflow.services.app import App, Loaded, load
from bvflow.services.views import View
from bvflow.store import Session, repo
from bvflow.store.models import Evidence


@dataclass(frozen=True)
class EvidenceView(View):
    id: int
    review: str
    stage: str
    kind: str
    title: str
    disclosure: str
    file_name: str | None
    file_sha256: str | None
    file_size: int | None
    recorded_by: str
    recorded_at: str
    withdrawn_at: str | None = None  # withdrawn items stay on record, marked
    withdrawn_reason: str | None = None


def _view(ref: str, row: Evidence) -> EvidenceView:
    assert row.id is not None
    return EvidenceView(
        row.id,
        ref,
        row.stage,
        row.kind,
        row.title,
        row.disclosure,
        row.file_name,
        row.file_sha256,
        row.file_size,
        row.recorded_by,
        row.recorded_at.isoformat(),
        row.withdrawn_at.isoformat() if row.withdrawn_at else None,
        row.withdrawn_reason,
    )


def add_evidence(
    app: App,
    ref: str,
    kind: str,
    title: str,
    file: Path | None = None,
    disclosure: str | None = None,
    expected_version: int | None = None,
) -> EvidenceView:
    """Record evidence in the review's current stage; the review's version moves on.

    Without ``disclosure``, the default agreed for the review's information applies
    (``restricted`` until an information-disclosure agreement says otherwise).
    """
    title = inputs.text(title, "the title", max_length=300)
    if disclosure is not None and disclosure not in DISCLOSURES:
        raise InputError(f"disclosure must be one of {', '.join(DISCLOSURES)}, not {disclosure!r}")
    name, content = read_paper(file, app.db.path) if file is not None else (None, None)
    now = app.now()
    with app.db.read() as session:
        loaded = load(session, ref)
        if disclosure is None:
            from bvflow.services.involvement import default_disclosure

            disclosure = default_disclosure(session, int(loaded.review.id or 0))
    review, definition = loaded.review, loaded.definition
    if kind not in definition.evidence_kinds:
        known = ", ".join(sorted(definition.evidence_kinds))
        raise InputError(
            f"workflow {definition.name} has no evidence kind {kind!r} (known: {known})"
        )
    if review.status in ("closed", "abandoned"):
        raise RefusedError(review.ref, "add evidence to", f"it is {review.status}")
    assert review.id is not None
    digest = hashlib.sha256(content).hexdigest() if content is not None else None
    row = Evidence(
        review_id=review.id,
        stage=review.stage,
        kind=kind,
        title=title,
        disclosure=disclosure,
        file_name=name,
        file_sha256=digest,
        file_size=len(content) if content is not None else None,
        content=content,
        recorded_by=app.actor,
        recorded_at=now,
    )
    with app.db.write() as session:
        repo.update_review(session, review, expected_version or review.version, updated_at=now)
        repo.add_evidence(session, row)
        repo.append_event(
            session,
            NewEvent(
                now,
                app.actor,
                "evidence.added",
                review.ref,
                review.stage,
                review.stage,
                {
                    "evidence_id": row.id,
                    "kind": kind,
                    "title": title,
                    "disclosure": disclosure,
                    "file_name": name,
                    "file_sha256": digest,
                    "file_size": row.file_size,
                },
            ),
        )
    return _view(review.ref, row)


def list_evidence(app: App, ref: str) -> list[EvidenceView]:
    """Every piece of evidence recorded for a review, oldest first, withdrawn ones marked."""
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        assert review.id is not None
        rows = repo.evidence_for(session, review.id, include_withdrawn=True)
        return [_view(review.ref, row) for row in rows]


def evidence_facts(session: Session, loaded: Loaded, _now: datetime) -> dict[str, Any]:
    """For the ``evidence`` requirement: the kinds recorded in this stage (not withdrawn)."""
    review = loaded.review
    kinds = repo.evidence_kinds_in_stage(session, int(review.id or 0), review.stage)
    return {"evidence_kinds": kinds}
