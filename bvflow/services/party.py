"""The working party: who is on it, and what a newcomer is sent on joining.

A member added while a proposal is under discussion is sent it at once, and its discussion
period then runs until it has reached them too (every member has the full period); a member
added after a meeting was scheduled is sent its notice and invitation, but that copy does
not count in the notice the members on the party when it was scheduled got.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from bvflow import inputs
from bvflow.domain.involvement import ROLE_MEANINGS, ROLES
from bvflow.domain.notice import MEETING_KINDS
from bvflow.errors import InputError, NotFoundError
from bvflow.files import read_text_input
from bvflow.notifications.kinds import welcome_agreements, welcome_stages
from bvflow.services.app import App, Loaded, load_live, record_change, timing
from bvflow.services.involvement import check_category, queue_proposal
from bvflow.services.meetings import queue_meeting
from bvflow.services.notices import Recipient, context_for, outbox_rows
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


@dataclass(frozen=True)
class Joining:
    """A member as entered: checked, not yet added."""

    name: str
    email: str
    organisation: str
    category: str
    role: str


def _joining(name: str, email: str, organisation: str, category: str, role: str) -> Joining:
    """The member's details checked; the category is checked against the review's workflow
    (``check_category``) once the review is loaded."""
    name = inputs.text(name, "the name", max_length=100)
    email = inputs.address(email)
    organisation = inputs.text(organisation, "the organisation", max_length=200)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    return Joining(name, email, organisation, category, role)


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
    joining = _joining(name, email, organisation, category, role)
    loaded = load_live(app, ref, "add a member to")
    check_category(loaded, joining.category)
    now = app.now()
    with app.db.write() as session:
        view = _add(session, app, loaded, joining, now)
    return view


def _add(session: Session, app: App, loaded: Loaded, joining: Joining, now: datetime) -> MemberView:
    """Add (or re-add) one member, with their catch-up and the audited event."""
    review_id = int(loaded.review.id or 0)
    name, email, organisation = joining.name, joining.email, joining.organisation
    category, role = joining.category, joining.role
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
    person = Recipient(email, name, role)
    sent = _catch_up(session, loaded, person, now)
    added = record_change(
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
    _welcome(session, loaded, person, joining, now, added.seq)
    return MemberView(name, email, organisation, category, role, now.isoformat())


IMPORT_COLUMNS: Final = ("name", "email", "organisation", "category", "role")
MAX_IMPORT: Final = 500
MAX_IMPORT_BYTES: Final = 1_000_000
# Bad lines are named one by one in the error while it stays readable (the CLI cuts an
# error at 1,000 characters); the count says how many more there are.
PROBLEMS_BUDGET: Final = 700


def _member_lines(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank lines (with their line numbers) of a member list."""
    try:
        text = read_text_input(path, "the member list", MAX_IMPORT_BYTES)
    except InputError as exc:
        if "not UTF-8" not in exc.message:
            raise
        raise InputError(
            f"{exc.message}: save it from the spreadsheet as 'CSV UTF-8' and import that"
        ) from exc
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"{path.name} is not a CSV file: {exc}") from exc
    if rows and [c.strip().lower() for c in rows[0]] in (["sep=,"], ["sep=", ""]):
        rows = rows[1:]  # the separator line Excel may write first
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(f"{path.name} is empty; give a header line: {','.join(IMPORT_COLUMNS)}")
    header = [cell.strip().lower() for cell in rows[0]]
    required = IMPORT_COLUMNS[:4]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in IMPORT_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        hint = (
            "; the values are separated by semicolons: save it as CSV with commas"
            if len(header) == 1 and ";" in header[0]
            else ""
        )
        raise InputError(
            f"{path.name}: the header must name the columns {', '.join(required)} and "
            f"optionally role, once each (found: {', '.join(header)}){hint}"
        )
    body = [(number, r) for number, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    if not body:
        raise InputError(f"{path.name} lists no members")
    if len(body) > MAX_IMPORT:
        raise InputError(f"{path.name} lists {len(body)} members; the limit is {MAX_IMPORT}")
    return header, body


def import_members(app: App, ref: str, path: Path) -> list[MemberView]:
    """Add every member listed in a CSV file (name, email, organisation, category and an
    optional role, with a header line), all or none: every bad line is named, and nothing
    is added unless every line is good."""
    loaded = load_live(app, ref, "add members to")
    header, body = _member_lines(path)
    with app.db.read() as session:
        current = {
            m.email for m in repo.party_for(session, int(loaded.review.id or 0))
        }
    found: list[Joining] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, cells in body:
        if len(cells) != len(header):
            got = f"{len(cells)} value{'' if len(cells) == 1 else 's'}"
            problems.append(f"line {number}: {got} for {len(header)} columns")
            continue
        values = dict(zip(header, cells, strict=True))
        try:
            joining = _joining(
                values["name"],
                values["email"],
                values["organisation"],
                values["category"].strip().lower(),
                values.get("role", "").strip().lower() or "member",
            )
            check_category(loaded, joining.category)
        except InputError as exc:
            problems.append(f"line {number}: {exc.message}")
            continue
        if joining.email in seen:
            problems.append(
                f"line {number}: {joining.email} is also on line {seen[joining.email]}"
            )
        elif joining.email in current:
            problems.append(f"line {number}: {joining.email} is already in the working party")
        seen.setdefault(joining.email, number)
        found.append(joining)
    if problems:
        count = f"{len(problems)} bad line{'s' if len(problems) > 1 else ''}"
        shown: list[str] = []
        for problem in problems:  # as many as a one-line error can hold, then how many more
            if shown and sum(len(p) + 2 for p in [*shown, problem]) > PROBLEMS_BUDGET:
                break
            shown.append(problem)
        more = len(problems) - len(shown)
        rest = f"; and {more} more bad line{'s' if more > 1 else ''}" if more else ""
        raise InputError(f"{path.name}: {count}, nobody added: {'; '.join(shown)}{rest}")
    now = app.now()
    with app.db.write() as session:
        return [_add(session, app, loaded, joining, now) for joining in found]


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


def welcome_extras(
    session: Session, loaded: Loaded, joining: Joining, now: datetime
) -> dict[str, Any]:
    """What the welcome notice tells a newcomer: their role, the stages and their periods,
    what the working party will be asked to agree, and the meetings to come."""
    meetings = [
        {
            "title": m.title,
            "starts_at": m.starts_at.isoformat(),
            "place": m.place,
            "kind_title": MEETING_KINDS.get(m.kind, m.kind),
        }
        for m in repo.meetings_for(session, int(loaded.review.id or 0))
        if m.status == "scheduled" and m.starts_at > now
    ]
    definition = loaded.definition
    return {
        "member": {
            "name": joining.name,
            "organisation": joining.organisation,
            "category": joining.category,
            "category_title": definition.involvement.categories.get(
                joining.category, joining.category
            ),
            "role": joining.role,
            "role_meaning": ROLE_MEANINGS.get(joining.role, ""),
        },
        "stages": welcome_stages(definition, loaded.review.stage),
        "agreements": welcome_agreements(definition),
        "meetings": meetings,
        "at": now.isoformat(),
    }


def _welcome(
    session: Session,
    loaded: Loaded,
    person: Recipient,
    joining: Joining,
    now: datetime,
    event_seq: int,
) -> None:
    """Queue the newcomer's welcome, keyed by the event that added them (so someone who
    rejoins is welcomed again)."""
    context = context_for(
        loaded,
        repo.load_authority(session).name,
        timing(session, loaded, now),
        **welcome_extras(session, loaded, joining, now),
    )
    key = f"welcome:{event_seq}"
    repo.queue_messages(
        session, outbox_rows(loaded.review, "party_welcome", key, [person], context, now)
    )


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
