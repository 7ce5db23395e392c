"""Queueing notices and reminders into the outbox, inside the caller's transaction.

A notice is queued in the same transaction as the stage change and audit event that cause
it (rule 1); its key is the audit event and the recipient. A reminder's key is (review, stage
entry, kind, recipient, due date), unique in the database, so any number of sweeps queue it
once. Bodies are rendered at delivery from the context captured here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bvflow.domain.audit import SealedEvent
from bvflow.domain.calendar import WorkingCalendar
from bvflow.domain.involvement import REVIEW_COORDINATOR, audience
from bvflow.domain.reminders import (
    ACTION_PLAN,
    PERFORMANCE_PLAN,
    Due,
    deadline_reminders,
    due_reminders,
    next_yearly,
)
from bvflow.domain.timetable import StageTiming
from bvflow.notifications import kinds
from bvflow.notifications.kinds import CLOSED_NOTICE, REMINDER_PREFIX, Basis, NoticeKind
from bvflow.services.app import Loaded
from bvflow.store import Session, repo
from bvflow.store.models import OutboxMessage, PartyMember, PlanAction, Review, Watcher


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    role: str | None = None  # coordinator, a working-party role, or None for outsiders


def recipients(
    review: Review,
    watchers: list[Watcher],
    coordinator_only: bool = False,
    party: list[PartyMember] | None = None,
) -> list[Recipient]:
    """The coordinator, the working party, then watchers (once each, case-insensitively)."""
    found = [Recipient(review.coordinator, "Review coordinator", REVIEW_COORDINATOR)]
    if not coordinator_only:
        found += [Recipient(m.email, m.name, m.role) for m in party or []]
        found += [Recipient(w.email, w.name, None) for w in watchers]
    seen: set[str] = set()
    unique = []
    for person in found:
        if person.email.lower() not in seen:
            seen.add(person.email.lower())
            unique.append(person)
    return unique


def everyone(session: Session, review: Review) -> list[Recipient]:
    """Every recipient of a review's notices."""
    assert review.id is not None
    return recipients(
        review,
        list(repo.watchers_for(session, review.id)),
        party=list(repo.party_for(session, review.id)),
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def context_for(
    loaded: Loaded, authority: str, timing: StageTiming | None, **extra: Any
) -> dict[str, Any]:
    """The data templates receive (see docs/notifications.md)."""
    review, definition = loaded.review, loaded.definition
    return {
        "authority": authority,
        "review": {
            "ref": review.ref,
            "title": review.title,
            "service": review.service,
            "coordinator": review.coordinator,
            "status": review.status,
            "workflow": definition.title,
        },
        "stage": kinds.stage_entry(definition, review.stage),
        "dates": {
            "entered_on": _iso(timing.entered_on) if timing else None,
            "earliest": _iso(timing.earliest) if timing else None,
            "target": _iso(timing.target) if timing else None,
        },
        **extra,
    }


def for_recipient(
    kind: NoticeKind, person: Recipient, context: dict[str, Any], papers: list[dict[str, Any]]
) -> dict[str, Any]:
    """The context one recipient may see, by the kind's disclosure rule: papers beyond their
    disclosure level are left out, and what the kind withholds with them."""
    visible = kind.disclosure.apply(context, papers, audience(person.role))
    recipient = {"email": person.email, "name": person.name, "role": person.role}
    return {**visible, "recipient": recipient, "kind": kind.name}


def sample_context(
    kind: NoticeKind,
    loaded: Loaded,
    authority: str,
    timing: StageTiming,
    person: Recipient,
    *,
    actor: str,
    now: datetime,
    text: str = "",
) -> dict[str, Any]:
    """The context ``kind``'s sample would be stored with for ``person``, on this review as
    it stands: what ``notify preview`` renders and the template tests check."""
    review = loaded.review
    basis = Basis(
        loaded.definition, loaded.calendar, timing, review.stage, review.coordinator, actor, now,
        text,
    )
    context = context_for(
        loaded, authority, timing if kind.stage_dates else None, **kind.sample(basis)
    )
    stored = for_recipient(kind, person, context, kind.sample_papers(basis))
    found: dict[str, Any] = json.loads(json.dumps(stored, sort_keys=True, default=str))
    return found


def outbox_rows(
    review: Review | None,
    kind: str,
    key: str,
    people: list[Recipient],
    context: dict[str, Any],
    now: datetime,
    papers: list[dict[str, Any]] | None = None,
) -> list[OutboxMessage]:
    """One outbox row per recipient, each keyed by ``key`` and the address (``review`` None
    for the authority's own messages)."""
    found = kinds.get(kind)
    return [
        OutboxMessage(
            dedupe_key=f"{key}:{person.email.lower()}",
            review_id=review.id if review is not None else None,
            kind=kind,
            recipient=person.email,
            recipient_name=person.name,
            context=json.dumps(
                for_recipient(found, person, context, papers or []), sort_keys=True, default=str
            ),
            next_attempt_at=now,
            created_at=now,
        )
        for person in people
    ]


def queue_for_event(
    session: Session, loaded: Loaded, event: SealedEvent, timing: StageTiming | None, now: datetime
) -> int:
    """Queue the notice an audited review action causes, to every recipient."""
    kind = kinds.for_action(event.action)
    if kind is None:
        return 0
    review = loaded.review
    if (
        event.to_stage
        and loaded.definition.has_stage(event.to_stage)
        and loaded.definition.stage(event.to_stage).final
    ):
        kind = CLOSED_NOTICE
    assert review.id is not None
    authority = repo.load_authority(session).name
    payload = event.payload
    context = context_for(
        loaded,
        authority,
        timing,
        from_stage=kinds.stage_entry(loaded.definition, event.from_stage),
        to_stage=kinds.stage_entry(loaded.definition, event.to_stage),
        reason=payload.get("reason") or payload.get("override_reason"),
        overridden=bool(payload.get("override_reason")),
        actor=event.actor,
        at=event.at.isoformat(),
        event_seq=event.seq,
    )
    return repo.queue_messages(
        session,
        outbox_rows(review, kind, f"event:{event.seq}", everyone(session, review), context, now),
        keys_are_new=True,
    )


def reminder_rows(
    loaded: Loaded,
    authority: str,
    timing: StageTiming,
    entry_id: int,
    people: list[Recipient],
    now: datetime,
) -> list[OutboxMessage]:
    """Outbox rows for every reminder due today for one review (not yet de-duplicated)."""
    review, definition = loaded.review, loaded.definition
    if not definition.has_stage(review.stage):
        return []
    plan = definition.plan_for(definition.stage(review.stage))
    rows: list[OutboxMessage] = []
    for due in due_reminders(plan, timing, loaded.calendar):
        rows += _reminder(loaded, authority, timing, entry_id, people, due, now)
    return rows


def _reminder(
    loaded: Loaded,
    authority: str,
    timing: StageTiming,
    entry_id: int,
    people: list[Recipient],
    due: Due,
    now: datetime,
) -> list[OutboxMessage]:
    review = loaded.review
    details = {k: v.isoformat() if isinstance(v, date) else v for k, v in due.details.items()}
    context = context_for(
        loaded,
        authority,
        timing,
        due_on=due.due_on.isoformat(),
        details=details,
        clear_days=timing.clear_days,
        min_days=timing.min_days,
    )
    key = f"reminder:{review.id}:{entry_id}:{due.kind}:{due.due_on.isoformat()}"
    if due.coordinator_only:
        people = [p for p in people if p.role == REVIEW_COORDINATOR]
    return outbox_rows(review, REMINDER_PREFIX + due.kind, key, people, context, now)


def action_rows(
    loaded: Loaded,
    authority: str,
    action: PlanAction,
    people: list[Recipient],
    today: date,
    now: datetime,
) -> list[OutboxMessage]:
    """Reminders for an improvement-plan action, to its owner and the coordinator."""
    rows: list[OutboxMessage] = []
    owner = Recipient(action.owner, "Action owner", "officer")
    coordinator = [p for p in people if p.role == REVIEW_COORDINATOR]
    for due in deadline_reminders(ACTION_PLAN, loaded.calendar, action.due, today):
        context = context_for(
            loaded,
            authority,
            None,
            due_on=due.due_on.isoformat(),
            details=dict(due.details),
            action={
                "id": action.id,
                "title": action.title,
                "owner": action.owner,
                "due": action.due.isoformat(),
                "indicator": action.indicator_code,
                "status": action.status,
            },
        )
        key = f"action:{action.id}:{due.kind}:{due.due_on.isoformat()}"
        rows += outbox_rows(
            loaded.review, f"action_{due.kind}", key, [owner, *coordinator], context, now
        )
    return rows


def authority_context(authority: str) -> dict[str, Any]:
    """What every message of the authority's own (no review) carries: no review, no stage,
    no stage dates."""
    return {
        "authority": authority,
        "review": None,
        "stage": None,
        "dates": {"entered_on": None, "earliest": None, "target": None},
    }


def authority_action_rows(
    calendar: WorkingCalendar, authority: str, action: PlanAction, today: date, now: datetime
) -> list[OutboxMessage]:
    """Reminders for one of the authority's own actions (no review), to its owner: the same
    kinds, days and keys as a review's action, with the action's source in place of the
    review."""
    rows: list[OutboxMessage] = []
    owner = Recipient(action.owner, "Action owner", "officer")
    for due in deadline_reminders(ACTION_PLAN, calendar, action.due, today):
        context = {
            **authority_context(authority),
            "due_on": due.due_on.isoformat(),
            "details": dict(due.details),
            "action": {
                "id": action.id,
                "title": action.title,
                "owner": action.owner,
                "due": action.due.isoformat(),
                "indicator": action.indicator_code,
                "status": action.status,
                "source": action.source,
                "service": action.service,
            },
        }
        key = f"action:{action.id}:{due.kind}:{due.due_on.isoformat()}"
        rows += outbox_rows(None, f"action_{due.kind}", key, [owner], context, now)
    return rows


def plan_rows(
    calendar: WorkingCalendar,
    authority: str,
    officer: str | None,
    plan_due: tuple[int, int],
    today: date,
    now: datetime,
) -> list[OutboxMessage]:
    """Reminders to the performance officer (``[performance] officer``) before the year's
    performance-plan deadline (``[performance] plan_due``); none if no officer is named."""
    if officer is None:
        return []
    deadline = next_yearly(today, *plan_due)
    rows: list[OutboxMessage] = []
    person = Recipient(officer, "Performance officer", "officer")
    for due in deadline_reminders(PERFORMANCE_PLAN, calendar, deadline, today):
        context = {
            **authority_context(authority),
            "due_on": due.due_on.isoformat(),
            "details": {"days": dict(due.details).get("days", 0)},
            "plan": {"year": deadline.year, "due": deadline.isoformat(),
                     "reported": f"{deadline.year - 1}-{deadline.year % 100:02d}"},
        }
        key = f"plan:{deadline.year}:{due.kind}:{due.due_on.isoformat()}"
        rows += outbox_rows(None, "plan_due", key, [person], context, now)
    return rows
