"""``bvflow today``: what needs a coordinator now, across every live review.

Stages that can be advanced, stages overdue, due dates within a week of working days,
meetings to record and those in the next fortnight, notices not delivered, and
improvement-plan actions due, a closed review's among them (its plan is still monitored).
Each item says what to do next. It only reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import takewhile
from typing import Any, Final

from bvflow import inputs
from bvflow.domain.calendar import WorkingCalendar, local_date
from bvflow.domain.dates import long_date as _day
from bvflow.domain.dates import long_instant as _when
from bvflow.domain.notice import MEETING_KINDS
from bvflow.services.app import App, Loaded, calendar_for, load
from bvflow.services.guards import unmet_to_leave
from bvflow.services.views import View
from bvflow.store import Session, repo
from bvflow.store.models import Review

# How far ahead "soon" looks: a working week for due dates, a fortnight for meetings.
DUE_WITHIN_WORKING_DAYS: Final = 5
MEETINGS_WITHIN: Final = timedelta(days=14)
# The sections, in the order a coordinator would take them.
SECTIONS: Final = {
    "advance": "Ready to advance",
    "overdue": "Overdue",
    "due": f"Due within {DUE_WITHIN_WORKING_DAYS} working days",
    "record": "Meetings to record (held only once recorded)",
    "meeting": "Meetings in the next 14 days",
    "notice": "Notices not delivered",
    "action": "Improvement-plan actions due",
}


@dataclass(frozen=True)
class Item(View):
    """One thing that needs the coordinator, with what to type next (if anything)."""

    section: str
    ref: str
    title: str
    coordinator: str
    on: str | None
    text: str
    next: str | None = None


@dataclass(frozen=True)
class Today(View):
    today: str
    coordinator: str | None
    items: list[Item] = field(default_factory=list)
    # What is wrong beyond any one review: notices from an address that reaches nobody.
    warnings: list[str] = field(default_factory=list)
    # The live reviews looked at: none for --coordinator is a typo more often than a rest.
    reviews: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today,
            "coordinator": self.coordinator,
            "reviews": self.reviews,
            "items": [i.as_dict() for i in self.items],
            "warnings": list(self.warnings),
        }


def today(app: App, coordinator: str | None = None) -> Today:
    """Everything that needs attention now, for every live review (or one coordinator's)."""
    who = inputs.address(coordinator) if coordinator is not None else None
    now = app.now()
    items: list[Item] = []
    with app.db.read() as session:
        calendar = calendar_for(session)
        unanswerable = app.settings.unanswerable(repo.load_authority(session).sender)
        # A closed review whose plan still has open actions is being monitored.
        monitored = repo.open_actions_by_review(session)
        reviews = [
            r
            for r in repo.find_reviews(session, repo.ReviewFilter())
            if (r.status in ("active", "suspended") or (r.status == "closed" and r.id in monitored))
            and (who is None or r.coordinator.lower() == who)
        ]
        late = now - timedelta(minutes=app.settings.late_after_minutes)
        for review in reviews:
            loaded = load(session, review.ref, calendar)
            if review.status == "closed":
                items += _notice_items(session, loaded, late)
                items += _action_items(session, loaded, calendar, local_date(now))
                continue
            items += _stage_items(session, loaded, now)
            items += _meeting_items(session, loaded, now)
            items += _notice_items(session, loaded, late)
            items += _action_items(session, loaded, calendar, local_date(now))
    order = list(SECTIONS)
    items.sort(key=lambda i: (order.index(i.section), i.on or "", i.ref))
    return Today(local_date(now).isoformat(), who, items,
                 [unanswerable] if unanswerable else [], len(reviews))


def _item(review: Review, section: str, on: date | None, text: str, hint: str | None) -> Item:
    return Item(
        section,
        review.ref,
        review.title,
        review.coordinator,
        on.isoformat() if on else None,
        text,
        hint,
    )


def _stage_items(session: Session, loaded: Loaded, now: datetime) -> list[Item]:
    review, definition = loaded.review, loaded.definition
    if not definition.has_stage(review.stage) or definition.stage(review.stage).final:
        return []
    stage = definition.stage(review.stage)
    timing, unmet = unmet_to_leave(session, loaded, now)
    found = []
    if review.status == "active" and not unmet:
        found.append(
            _item(
                review,
                "advance",
                timing.today,
                f"{stage.title} has met every condition to move on",
                f"bvflow review advance {review.ref}",
            )
        )
    target = timing.target
    if target is None or review.status != "active":
        return found
    if timing.overdue:
        late = len(_working_days(loaded.calendar, target, timing.today))
        found.append(
            _item(
                review,
                "overdue",
                target,
                f"{stage.title} was due by {_day(target)}: {late} working "
                f"day{'' if late == 1 else 's'} overdue",
                f"bvflow review show {review.ref}",
            )
        )
    elif _within_working_days(loaded.calendar, timing.today, target, DUE_WITHIN_WORKING_DAYS):
        waiting = f"; still needed: {'; '.join(u.message for u in unmet)}" if unmet else ""
        found.append(
            _item(
                review,
                "due",
                target,
                f"{stage.title} is due by {_day(target)}{waiting}",
                f"bvflow review show {review.ref}",
            )
        )
    return found


def _meeting_items(session: Session, loaded: Loaded, now: datetime) -> list[Item]:
    review = loaded.review
    found = []
    for meeting in repo.meetings_for(session, int(review.id or 0)):
        if meeting.status != "scheduled":
            continue
        kind = MEETING_KINDS.get(meeting.kind, meeting.kind)
        if meeting.starts_at < now and meeting.held_recorded_at is None:
            found.append(
                _item(
                    review,
                    "record",
                    local_date(meeting.starts_at),
                    f"{kind} '{meeting.title}' took place {_when(meeting.starts_at)}: record "
                    "who attended, apologies and the minutes",
                    f"bvflow meeting record {review.ref} {meeting.id} --attended ORG ...",
                )
            )
            continue
        if not now <= meeting.starts_at <= now + MEETINGS_WITHIN:
            continue
        found.append(
            _item(
                review,
                "meeting",
                local_date(meeting.starts_at),
                f"{kind} '{meeting.title}', {_when(meeting.starts_at)}, {meeting.place}",
                f"bvflow meeting list {review.ref}",
            )
        )
    return found


def _notice_items(session: Session, loaded: Loaded, late: datetime) -> list[Item]:
    review = loaded.review
    review_id = int(review.id or 0)
    # The review's warning in review show counts the waiting ones the same way.
    pending, _ = repo.waiting_since(session, late, review_id)
    failed = len(repo.find_messages(session, repo.OutboxFilter("failed", review_id)))
    found = []
    if failed:
        found.append(
            _item(
                review,
                "notice",
                None,
                f"{failed} message{'s' if failed > 1 else ''} failed and will not be retried",
                f"bvflow outbox list --status failed --review {review.ref}",
            )
        )
    if pending:
        found.append(
            _item(
                review,
                "notice",
                None,
                f"{pending} message{'s' if pending > 1 else ''} queued for a while and not yet "
                "delivered: is the scheduler running?",
                "bvflow sweep",
            )
        )
    return found


def _action_items(
    session: Session, loaded: Loaded, calendar: WorkingCalendar, today_: date
) -> list[Item]:
    review = loaded.review
    found = []
    for action in repo.actions_for(session, int(review.id or 0)):
        if action.status in ("done", "dropped"):
            continue
        if action.due < today_:
            tense = "was"
        elif _within_working_days(calendar, today_, action.due, DUE_WITHIN_WORKING_DAYS):
            tense = "is"
        else:
            continue
        due = _day(action.due)
        text = f"action {action.id} '{action.title}' ({action.owner}) {tense} due {due}"
        if review.status == "closed":
            text += " (the review is closed; its plan is still monitored)"
        found.append(_item(review, "action", action.due, text, f"bvflow action list {review.ref}"))
    return found


def _working_days(calendar: WorkingCalendar, after: date, until: date) -> list[date]:
    """The working days after ``after``, up to and including ``until``."""
    return list(takewhile(lambda day: day <= until, calendar.counting_days(after)))


def _within_working_days(calendar: WorkingCalendar, today_: date, day: date, count: int) -> bool:
    return today_ <= day and len(_working_days(calendar, today_, day)) <= count


