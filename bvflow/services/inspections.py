"""Inspection use cases: record a Best Value inspection, its findings and the responses.

In the English regime the Audit Commission's Best Value Inspectorate inspected an authority's
functions (Local Government Act 1999 s.10) and reported on each inspection (s.13), with two
judgements: how good the service is (poor, fair, good, excellent: 0-3 stars) and whether it
will improve (poor, uncertain, promising, excellent). bvflow keeps the inspector's report as
a file (bytes and SHA-256, checked by ``audit verify`` like evidence), the findings with their
recommendations, and the authority's responses. Each recommendation becomes an authority
action (source ``inspection``) with an owner, a due date and the sweep's reminders.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import local_date
from bvflow.domain.programme import PRIORITIES, service_key
from bvflow.errors import InputError
from bvflow.files import read_paper
from bvflow.services import authority_actions as actions
from bvflow.services.app import App
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import (
    Inspection,
    InspectionFinding,
    InspectionRecommendation,
    InspectionResponse,
)

# The Audit Commission's two judgements (its inspection reports under LGA 1999 s.13).
RATINGS: Final = ("poor", "fair", "good", "excellent")  # 0, 1, 2, 3 stars
STARS: Final = {r: n for n, r in enumerate(RATINGS)}
PROSPECTS: Final = ("poor", "uncertain", "promising", "excellent")
MAX_TEXT: Final = 2000


@dataclass(frozen=True)
class InspectionView(View):
    id: int
    service: str
    inspected_on: str
    inspector: str
    title: str
    review: str | None
    rating: str | None
    prospects: str | None
    file_name: str
    file_sha256: str
    file_size: int
    recorded_by: str
    recorded_at: str
    findings: list[dict[str, Any]] = field(default_factory=list)


def _view(row: Inspection, findings: list[dict[str, Any]] | None = None) -> InspectionView:
    return InspectionView(
        int(row.id or 0), row.service, row.inspected_on.isoformat(), row.inspector, row.title,
        row.review_ref, row.rating, row.prospects, row.file_name, row.file_sha256,
        row.file_size, row.recorded_by, row.recorded_at.isoformat(), findings or [],
    )


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is not None and value not in allowed:
        raise InputError(f"{what} must be one of {', '.join(allowed)}")
    return value


def record_inspection(
    app: App,
    service: str,
    inspected_on: date,
    inspector: str,
    file: Path,
    title: str | None = None,
    review: str | None = None,
    rating: str | None = None,
    prospects: str | None = None,
) -> InspectionView:
    """Record an inspection of a service with the inspector's report (its file kept, hashed)."""
    service = inputs.text(service, "the service")
    inspector = inputs.text(inspector, "the inspector")
    title = inputs.text(title or f"Best Value inspection of {service}", "the title",
                        max_length=300)
    _choice(rating, RATINGS, "the rating")
    _choice(prospects, PROSPECTS, "the prospects")
    name, content = read_paper(file, app.db.path)
    now = app.now()
    if inspected_on > local_date(now):
        raise InputError(f"the inspection date {inspected_on} is after today")
    digest = hashlib.sha256(content).hexdigest()
    with app.db.write() as session:
        looked_at = repo.load_review(session, review) if review is not None else None
        if looked_at is not None and service_key(looked_at.service) != service_key(service):
            raise InputError(
                f"{looked_at.ref} is a review of {looked_at.service}, not {service}; "
                "give the service the review is of"
            )
        ref = looked_at.ref if looked_at is not None else None
        row = Inspection(
            service=service, inspected_on=inspected_on, inspector=inspector, title=title,
            review_ref=ref, rating=rating, prospects=prospects, file_name=name,
            file_sha256=digest, file_size=len(content), content=content,
            recorded_by=app.actor, recorded_at=now,
        )
        changes.insert(session, row)
        payload = {
            "inspection_id": row.id, "service": service, "inspected_on": inspected_on.isoformat(),
            "inspector": inspector, "title": title, "review": ref, "rating": rating,
            "prospects": prospects, "file_name": name, "file_sha256": digest,
            "file_size": len(content),
        }
        repo.append_event(session, NewEvent(now, app.actor, "inspection.recorded",
                                            payload=payload))
        return _view(row)


def add_finding(
    app: App,
    inspection_id: int,
    judgement: str,
    text: str,
    recommendations: list[str],
    owner: str,
    due: date,
    priority: str = "",
) -> dict[str, Any]:
    """Add a finding; each recommendation becomes an authority action for the service."""
    judgement = inputs.text(judgement, "the judgement")
    text = inputs.text(text, "the finding", max_length=MAX_TEXT)
    wanted = [inputs.text(r, "a recommendation", max_length=300) for r in recommendations]
    if not wanted:
        raise InputError("give at least one --recommendation")
    twice = sorted({r for r in wanted if [inputs.name_key(w) for w in wanted].count(
        inputs.name_key(r)) > 1})
    if twice:
        raise InputError(f"the recommendation {twice[0]!r} is given twice; give each once")
    if priority and priority not in PRIORITIES:
        raise InputError(f"priority must be one of {', '.join(PRIORITIES)}")
    owner = inputs.email(owner)
    now = app.now()
    with app.db.write() as session:
        inspection = repo.load_inspection(session, inspection_id)
        if due < inspection.inspected_on:
            raise InputError(
                f"the due date {due} is before the inspection ({inspection.inspected_on})"
            )
        finding = InspectionFinding(inspection_id=inspection_id, judgement=judgement,
                                    text=text, added_by=app.actor, added_at=now)
        changes.insert(session, finding)
        added = []
        for wording in wanted:
            rec = InspectionRecommendation(finding_id=int(finding.id or 0), text=wording)
            changes.insert(session, rec)
            action = actions.new_action(
                app, session, now, source="inspection", source_id=rec.id,
                service=inspection.service, title=wording, owner=owner, due=due,
                priority=priority,
            )
            added.append({"recommendation_id": rec.id, "text": wording,
                          "action": actions.payload_of(action)})
        payload = {"inspection_id": inspection_id, "finding_id": finding.id,
                   "judgement": judgement, "text": text, "recommendations": added}
        repo.append_event(session, NewEvent(now, app.actor, "inspection.finding_added",
                                            payload=payload))
        return payload


def respond(app: App, finding_id: int, text: str) -> dict[str, Any]:
    """Record the authority's response to a finding (audited; an earlier one stays)."""
    text = inputs.text(text, "the response", max_length=MAX_TEXT)
    now = app.now()
    with app.db.write() as session:
        finding = repo.load_finding(session, finding_id)
        row = InspectionResponse(finding_id=finding_id, text=text, responded_by=app.actor,
                                 responded_at=now)
        changes.insert(session, row)
        payload = {"response_id": row.id, "finding_id": finding_id,
                   "inspection_id": finding.inspection_id, "text": text}
        repo.append_event(session, NewEvent(now, app.actor, "inspection.responded",
                                            payload=payload))
        return payload


def list_inspections(app: App, service: str | None = None) -> list[InspectionView]:
    """Every inspection (of a service, if given: matched whatever its case), oldest first."""
    with app.db.read() as session:
        return [_view(r) for r in _of_service(session, service)]


def _of_service(session: Session, service: str | None) -> list[Inspection]:
    rows = list(repo.inspections(session))
    if service is None:
        return rows
    return [r for r in rows if service_key(r.service) == service_key(service)]


def show_inspection(app: App, inspection_id: int) -> InspectionView:
    """An inspection with its findings, recommendations (and their actions) and responses."""
    today = local_date(app.now())
    with app.db.read() as session:
        row = repo.load_inspection(session, inspection_id)
        return _view(row, findings_of(session, [row], today)[inspection_id])


def findings_of(
    session: Session, rows: list[Inspection], today: date
) -> dict[int, list[dict[str, Any]]]:
    """Each inspection's findings, each with its recommendations (their action's status,
    marked overdue) and the authority's responses."""
    found = list(repo.findings_for(session, [int(r.id or 0) for r in rows]))
    ids = [int(f.id or 0) for f in found]
    recs = list(repo.recommendations_for(session, ids))
    by_rec = {a.source_id: actions.view(a, today)
              for a in actions.actions_for_source(session, "inspection",
                                                  [int(r.id or 0) for r in recs])}
    responses = list(repo.responses_for(session, ids))
    out: dict[int, list[dict[str, Any]]] = {int(r.id or 0): [] for r in rows}
    for f in found:
        out[f.inspection_id].append({
            "id": f.id, "judgement": f.judgement, "text": f.text,
            "added_at": f.added_at.isoformat(),
            "recommendations": [
                {"id": r.id, "text": r.text,
                 "action": by_rec[r.id].as_dict() if r.id in by_rec else None}
                for r in recs if r.finding_id == f.id
            ],
            "responses": [
                {"id": p.id, "text": p.text, "by": p.responded_by,
                 "at": p.responded_at.isoformat()}
                for p in responses if p.finding_id == f.id
            ],
        })
    return out


def history_of(session: Session, service: str, today: date) -> list[InspectionView]:
    """Every inspection of a service, with findings, actions and responses (for the pack)."""
    rows = _of_service(session, service)
    found = findings_of(session, rows, today)
    return [_view(r, found[int(r.id or 0)]) for r in rows]


def open_recommendations(session: Session) -> dict[str, list[str]]:
    """The inspection recommendations whose actions are still open, by service key."""
    out: dict[str, list[str]] = {}
    for action in repo.open_authority_actions(session):
        if action.source == "inspection" and action.service is not None:
            out.setdefault(service_key(action.service), []).append(action.title)
    return out
