"""Reads and writes of the review programme."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bvflow.errors import NotFoundError
from bvflow.store import changes
from bvflow.store.models import ProgrammeItem


def add_programme_item(session: Session, item: ProgrammeItem) -> ProgrammeItem:
    changes.insert(session, item)
    return item


def programme_items(session: Session, year: int | None = None) -> Sequence[ProgrammeItem]:
    query = select(ProgrammeItem).order_by(col(ProgrammeItem.year), col(ProgrammeItem.id))
    if year is not None:
        query = query.where(col(ProgrammeItem.year) == year)
    return session.exec(query).all()


def load_programme_item(session: Session, item_id: int) -> ProgrammeItem:
    row = session.get(ProgrammeItem, item_id)
    if row is None:
        raise NotFoundError(
            f"no programme item {item_id}; 'bvflow programme list' shows the items"
        )
    return row
