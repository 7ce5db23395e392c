"""Reads and writes of the public site's publication clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bvflow.store import changes
from bvflow.store.models import AuditEvent, Publication


def add_publication(session: Session, row: Publication) -> Publication:
    changes.insert(session, row)
    return row


def publications_for(session: Session, meeting_ids: Sequence[int]) -> Sequence[Publication]:
    """The publication rows of these meetings, oldest first."""
    if not meeting_ids:
        return []
    query = (
        select(Publication)
        .where(col(Publication.meeting_id).in_(list(meeting_ids)))
        .order_by(col(Publication.published_at), col(Publication.id))
    )
    return session.exec(query).all()


def first_publication(session: Session) -> datetime | None:
    """When bvflow first published anything: before then, the council published elsewhere."""
    return session.exec(select(func.min(Publication.published_at))).one()


def record_as_at(session: Session) -> dict[str | None, datetime]:
    """The time of the last event of each review (and, under None, of all), leaving out
    the publications themselves: what a page shows changes only when the record does."""
    rows = session.exec(
        select(AuditEvent.review, func.max(AuditEvent.at))
        .where(col(AuditEvent.action).not_like("publication.%"))
        .group_by(col(AuditEvent.review))
    ).all()
    found: dict[str | None, datetime] = {review: at for review, at in rows if at is not None}
    if found:
        found[None] = max(found.values())
    return found
