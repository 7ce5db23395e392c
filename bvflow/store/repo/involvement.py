"""Reads of the working party, activities, meetings, proposals and agreements."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bvflow.errors import NotFoundError
from bvflow.store.models import (
    Activity,
    Agreement,
    Meeting,
    PartyMember,
    Proposal,
    Review,
)


def party_for(
    session: Session, review_id: int, include_removed: bool = False
) -> Sequence[PartyMember]:
    query = select(PartyMember).where(col(PartyMember.review_id) == review_id)
    if not include_removed:
        query = query.where(col(PartyMember.removed_at).is_(None))
    return session.exec(query.order_by(col(PartyMember.id))).all()


def party_member(session: Session, review_id: int, email: str) -> PartyMember | None:
    return session.exec(
        select(PartyMember).where(
            col(PartyMember.review_id) == review_id, col(PartyMember.email) == email
        )
    ).first()


def activities_for(
    session: Session, review_id: int, stage: str | None = None, include_withdrawn: bool = False
) -> Sequence[Activity]:
    query = select(Activity).where(col(Activity.review_id) == review_id)
    if not include_withdrawn:
        query = query.where(col(Activity.withdrawn_at).is_(None))
    if stage is not None:
        query = query.where(col(Activity.stage) == stage)
    return session.exec(query.order_by(col(Activity.held_on), col(Activity.id))).all()


def meetings_for(session: Session, review_id: int, stage: str | None = None) -> Sequence[Meeting]:
    query = select(Meeting).where(col(Meeting.review_id) == review_id)
    if stage is not None:
        query = query.where(col(Meeting.stage) == stage)
    return session.exec(query.order_by(col(Meeting.starts_at))).all()


def load_meeting(session: Session, review: Review, meeting_id: int) -> Meeting:
    row = session.get(Meeting, meeting_id)
    if row is None or row.review_id != review.id:
        raise NotFoundError(
            f"no meeting {meeting_id} for {review.ref}; 'bvflow meeting list {review.ref}' "
            "shows them"
        )
    return row


def proposals_for(session: Session, review_id: int, stage: str | None = None) -> Sequence[Proposal]:
    query = select(Proposal).where(col(Proposal.review_id) == review_id)
    if stage is not None:
        query = query.where(col(Proposal.stage) == stage)
    return session.exec(query.order_by(col(Proposal.id))).all()


def agreements_for(
    session: Session, review_id: int, stage: str | None = None, include_withdrawn: bool = False
) -> Sequence[Agreement]:
    query = select(Agreement).where(col(Agreement.review_id) == review_id)
    if not include_withdrawn:
        query = query.where(col(Agreement.withdrawn_at).is_(None))
    if stage is not None:
        query = query.where(col(Agreement.stage) == stage)
    return session.exec(query.order_by(col(Agreement.id))).all()


def party_by_review(session: Session) -> dict[int, list[PartyMember]]:
    """Every current working-party member, grouped by review id (one query)."""
    found: dict[int, list[PartyMember]] = {}
    query = select(PartyMember).where(col(PartyMember.removed_at).is_(None))
    for row in session.exec(query.order_by(col(PartyMember.id))).all():
        found.setdefault(row.review_id, []).append(row)
    return found
