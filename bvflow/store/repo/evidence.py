"""Reads and writes of evidence, and the corrections to the record."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bvflow.store import changes
from bvflow.store.models import (
    Correction,
    Evidence,
)


def add_evidence(session: Session, evidence: Evidence) -> Evidence:
    changes.insert(session, evidence)
    return evidence


def evidence_for(
    session: Session, review_id: int, stage: str | None = None, include_withdrawn: bool = False
) -> Sequence[Evidence]:
    query = select(Evidence).where(col(Evidence.review_id) == review_id)
    if not include_withdrawn:
        query = query.where(col(Evidence.withdrawn_at).is_(None))
    if stage is not None:
        query = query.where(col(Evidence.stage) == stage)
    return session.exec(query.order_by(col(Evidence.id))).all()


def evidence_kinds_in_stage(session: Session, review_id: int, stage: str) -> frozenset[str]:
    query = (
        select(Evidence.kind)
        .where(
            col(Evidence.review_id) == review_id,
            col(Evidence.stage) == stage,
            col(Evidence.withdrawn_at).is_(None),
        )
        .distinct()
    )
    return frozenset(session.exec(query).all())


def evidence_by_ids(session: Session, ids: Sequence[int]) -> list[Evidence]:
    if not ids:
        return []
    rows = session.exec(select(Evidence).where(col(Evidence.id).in_(list(ids)))).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def corrections_for(session: Session, review_id: int) -> Sequence[Correction]:
    return session.exec(
        select(Correction)
        .where(col(Correction.review_id) == review_id)
        .order_by(col(Correction.id))
    ).all()
