"""Reads and writes of the strategic plan for involvement."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bvflow.errors import NotFoundError
from bvflow.store import changes
from bvflow.store.models import InvolvementPlanEntry


def add_plan_entry(session: Session, entry: InvolvementPlanEntry) -> InvolvementPlanEntry:
    changes.insert(session, entry)
    return entry


def plan_entries(
    session: Session, review_id: int | None = None, year: int | None = None
) -> Sequence[InvolvementPlanEntry]:
    """Entries, withdrawn ones included: a review's, the authority's for a year, or all."""
    query = select(InvolvementPlanEntry).order_by(col(InvolvementPlanEntry.id))
    if review_id is not None:
        query = query.where(col(InvolvementPlanEntry.review_id) == review_id)
    if year is not None:
        query = query.where(col(InvolvementPlanEntry.year) == year)
    return session.exec(query).all()


def load_plan_entry(session: Session, entry_id: int) -> InvolvementPlanEntry:
    row = session.get(InvolvementPlanEntry, entry_id)
    if row is None:
        raise NotFoundError(
            f"no involvement plan entry {entry_id}; 'bvflow involvement plan list' shows them"
        )
    return row
