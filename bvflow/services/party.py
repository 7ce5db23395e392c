"""The working party: who is on it, and what a newcomer is sent on joining.

A member added while a proposal is under discussion is sent it at once, and its discussion
period then runs until it has reached them too (every member has the full period); a member
added after a meeting was scheduled is sent its notice and invitation, but that copy does
not count in the notice the members on the party when it was scheduled got.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bvflow import inputs
from bvflow.domain.involvement import ROLES
from bvflow.errors import InputError, NotFoundError
from bvflow.services.app import App, Loaded, load_live, record_change
from bvflow.services.involvement import check_category, queue_proposal
from bvflow.services.meetings import queue_meeting
from bvflow.services.notices import Recipient
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import PartyMember


@dataclass(frozen=True)
class MemberView(View):
    name: str
    email: str
    organisation: str
    category: str
    role: str
    added_at: str


def add_member(
    app: App,
    ref: str,
    name: str,
    email: str,
    organisation: str,
    category: str,
    role: str = "member",
) -> MemberView:
    """Add someone to the review's working party; they receive its notices from now on, and
    at once the proposals still under discussion in this stage and the meetings to come."""
    name = inputs.text(name, "the name", max_length=100)
    email = inputs.address(email)
    organisation = inputs.text(organisation, "the organisation", max_length=200)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    loaded = load_live(app, ref, "add a member to")
    check_category(loaded, category)
    now = app.now()
    review_id = int(loaded.review.id or 0)
    with app.db.write() as session:
        row = repo.party_member(session, review_id, email)
        if row is not None and row.removed_at is None:
            raise InputError(f"{email} is already in the working party of {loaded.review.ref}")
        details = {"name": name, "organisation": organisation, "category": category}
        if row is None:
            changes.insert(
                session,
                PartyMember(
                    review_id=review_id,
                    email=email,
                    name=name,
                    organisation=organisation,
                    category=category,
                    role=role,
                    added_by=app.actor,
                    added_at=now,
                ),
            )
        else:  # rejoining: the removal stays in the audit trail
            rejoin = {"role": role, "removed_at": None, "removed_reason": None, "added_at": now}
            changes.update(session, row, {**details, **rejoin, "added_by": app.actor})
        sent = _catch_up(session, loaded, Recipient(email, name, role), now)
        record_change(
            session,
            app,
            now,
            loaded,
            "party.member_added",
            {
                "name": name,
                "email": email,
                "organisation": organisation,
                "category": category,
                "role": role,
                "sent": sent,
            },
        )
    return MemberView(name, email, organisation, category, role, now.isoformat())


def remove_member(app: App, ref: str, email: str, reason: str | None) -> None:
    """Take someone off the working party (recorded with the reason, not deleted)."""
    email = inputs.address(email)
    why = inputs.reason(reason, "removing a member")
    loaded = load_live(app, ref, "remove a member from")
    now = app.now()
    with app.db.write() as session:
        row = repo.party_member(session, int(loaded.review.id or 0), email)
        if row is None or row.removed_at is not None:
            raise NotFoundError(f"{email} is not in the working party of {loaded.review.ref}")
        changes.update(session, row, {"removed_at": now, "removed_reason": why})
        record_change(
            session, app, now, loaded, "party.member_removed", {"email": email, "reason": why}
        )


def members(app: App, ref: str) -> list[MemberView]:
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        return [
            MemberView(m.name, m.email, m.organisation, m.category, m.role, m.added_at.isoformat())
            for m in repo.party_for(session, int(review.id or 0))
        ]


def _catch_up(
    session: Session, loaded: Loaded, person: Recipient, now: datetime
) -> dict[str, list[int]]:
    """Send a newcomer the proposals of this stage entry and the meetings still to come."""
    review = loaded.review
    review_id = int(review.id or 0)
    sent: dict[str, list[int]] = {"proposals": [], "meetings": []}
    for proposal in repo.proposals_for(session, review_id, review.stage):
        if proposal.circulated_at < review.stage_entered_at:
            continue
        (paper,) = repo.evidence_by_ids(session, [proposal.evidence_id])
        if queue_proposal(session, loaded, proposal, paper, [person], now):
            sent["proposals"].append(int(proposal.id or 0))
    for meeting in repo.meetings_for(session, review_id):
        if meeting.status != "scheduled" or meeting.starts_at <= now:
            continue
        papers = repo.evidence_by_ids(session, json.loads(meeting.papers))
        key = f"joined:meeting:{meeting.id}:{meeting.sequence}"
        queue_meeting(session, loaded, meeting, "meeting_notice", now, papers, None, [person], key)
        sent["meetings"].append(int(meeting.id or 0))
    return sent
