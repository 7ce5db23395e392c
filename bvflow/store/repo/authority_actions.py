"""Reads of the authority's own improvement actions (``plan_actions`` rows with no review)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlmodel import Session, col, select

from bvflow.errors import NotFoundError
from bvflow.store.models import PlanAction

OPEN_STATUSES = ("planned", "in_progress")


def authority_actions(
    session: Session, source: str | None = None, service: str | None = None
) -> Sequence[PlanAction]:
    """The authority's actions, soonest due first; by source and service if given."""
    query = select(PlanAction).where(col(PlanAction.review_id).is_(None))
    if source is not None:
        query = query.where(col(PlanAction.source) == source)
    if service is not None:
        query = query.where(col(PlanAction.service) == service)
    return session.exec(query.order_by(col(PlanAction.due), col(PlanAction.id))).all()


def open_authority_actions(session: Session) -> Sequence[PlanAction]:
    """The authority's actions still planned or in progress (their reminders go on)."""
    return session.exec(
        select(PlanAction)
        .where(col(PlanAction.review_id).is_(None), col(PlanAction.status).in_(OPEN_STATUSES))
        .order_by(col(PlanAction.due), col(PlanAction.id))
    ).all()


def actions_for_source(
    session: Session, source: str, source_ids: Collection[int]
) -> Sequence[PlanAction]:
    """The actions answering the given rows of one source (e.g. inspection recommendations)."""
    if not source_ids:
        return []
    return session.exec(
        select(PlanAction)
        .where(
            col(PlanAction.review_id).is_(None),
            col(PlanAction.source) == source,
            col(PlanAction.source_id).in_(list(source_ids)),
        )
        .order_by(col(PlanAction.due), col(PlanAction.id))
    ).all()


def load_authority_action(session: Session, action_id: int) -> PlanAction:
    row = session.get(PlanAction, action_id)
    if row is None or row.review_id is not None:
        raise NotFoundError(
            f"no action {action_id} of the authority; 'bvflow improvement list' shows them"
            + (
                f" (action {action_id} belongs to a review: use 'bvflow action update')"
                if row is not None
                else ""
            )
        )
    return row
