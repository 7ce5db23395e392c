"""Reads of inspections, their findings, recommendations and the authority's responses."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlmodel import Session, col, select

from bvflow.errors import NotFoundError
from bvflow.store.models import (
    Inspection,
    InspectionFinding,
    InspectionRecommendation,
    InspectionResponse,
)


def load_inspection(session: Session, inspection_id: int) -> Inspection:
    row = session.get(Inspection, inspection_id)
    if row is None:
        raise NotFoundError(
            f"no inspection {inspection_id}; 'bvflow inspection list' shows them"
        )
    return row


def load_finding(session: Session, finding_id: int) -> InspectionFinding:
    row = session.get(InspectionFinding, finding_id)
    if row is None:
        raise NotFoundError(
            f"no finding {finding_id}; 'bvflow inspection show ID' shows an inspection's"
        )
    return row


def inspections(session: Session) -> Sequence[Inspection]:
    """Every inspection, oldest first."""
    return session.exec(
        select(Inspection).order_by(col(Inspection.inspected_on), col(Inspection.id))
    ).all()


def findings_for(session: Session, inspection_ids: Collection[int]) -> Sequence[InspectionFinding]:
    if not inspection_ids:
        return []
    return session.exec(
        select(InspectionFinding)
        .where(col(InspectionFinding.inspection_id).in_(list(inspection_ids)))
        .order_by(col(InspectionFinding.id))
    ).all()


def recommendations_for(
    session: Session, finding_ids: Collection[int]
) -> Sequence[InspectionRecommendation]:
    if not finding_ids:
        return []
    return session.exec(
        select(InspectionRecommendation)
        .where(col(InspectionRecommendation.finding_id).in_(list(finding_ids)))
        .order_by(col(InspectionRecommendation.id))
    ).all()


def responses_for(
    session: Session, finding_ids: Collection[int]
) -> Sequence[InspectionResponse]:
    if not finding_ids:
        return []
    return session.exec(
        select(InspectionResponse)
        .where(col(InspectionResponse.finding_id).in_(list(finding_ids)))
        .order_by(col(InspectionResponse.id))
    ).all()
