"""The outbox as users see it: list messages, retry failed ones, preview a notice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import WorkingCalendar
from bvflow.domain.reminders import working_days_before
from bvflow.domain.timetable import StageTiming
from bvflow.errors import InputError, RefusedError
from bvflow.notifications.kinds import KINDS
from bvflow.notifications.render import Rendered, render
from bvflow.services.app import App, load, timing
from bvflow.services.notices import context_for
from bvflow.services.party import Joining, welcome_extras
from bvflow.services.views import View
from bvflow.store import repo

STATUSES: Final = ("pending", "sending", "sent", "failed")
PREVIEW_DAYS_BEFORE: Final = 5


@dataclass(frozen=True)
class MessageView(View):
    id: int
    review: str | None
    kind: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: str
    created_at: str
    sent_at: str | None
    last_error: str | None
    subject: str | None


def list_messages(app: App, status: str | None = None, ref: str | None = None) -> list[MessageView]:
    """Outbox messages, oldest first; bodies are not listed."""
    if status is not None and status not in STATUSES:
        raise InputError(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    with app.db.read() as session:
        review_id = repo.load_review(session, ref).id if ref else None
        rows = repo.find_messages(session, repo.OutboxFilter(status, review_id))
        refs = repo.refs_by_id(session, {r.review_id for r in rows if r.review_id})
    return [
        MessageView(
            int(r.id or 0),
            refs.get(r.review_id or 0),
            r.kind,
            r.recipient,
            r.status,
            r.attempts,
            r.next_attempt_at.isoformat(),
            r.created_at.isoformat(),
            r.sent_at.isoformat() if r.sent_at else None,
            r.last_error,
            r.subject,
        )
        for r in rows
    ]


def retry(app: App, message_id: int | None = None, all_failed: bool = False) -> list[int]:
    """Put failed messages back in the queue (audited); returns their ids."""
    if (message_id is None) == (not all_failed):
        raise InputError("give either a message id or --all-failed")
    now = app.now()
    with app.db.write() as session:
        if message_id is not None:
            rows = [repo.load_message(session, message_id)]
            if rows[0].status != "failed":
                raise RefusedError(
                    f"message {message_id}", "retry", f"it is {rows[0].status}, not failed"
                )
        else:
            rows = list(repo.find_messages(session, repo.OutboxFilter("failed")))
        for row in rows:
            row.status, row.attempts, row.next_attempt_at = "pending", 0, now
            session.add(row)
        if rows:
            repo.append_event(
                session,
                NewEvent(
                    now,
                    app.actor,
                    "outbox.retried",
                    payload={"outbox_ids": [row.id for row in rows]},
                ),
            )
        return [int(row.id or 0) for row in rows]


def _reminder_day(kind: str, when: StageTiming, calendar: WorkingCalendar) -> date:
    """The day the previewed reminder would be sent on."""
    if when.target is None:
        return when.today
    if kind == "reminder_due_soon":
        return working_days_before(calendar, when.target, PREVIEW_DAYS_BEFORE)
    if kind == "reminder_overdue":
        return next(calendar.counting_days(when.target))
    return when.target


def preview(app: App, kind: str, ref: str) -> Rendered:
    """Render a notice for a review as it stands now, without queueing or sending it."""
    if kind not in KINDS:
        raise InputError(f"unknown notice kind {kind!r} (known: {', '.join(KINDS)})")
    now = app.now()
    with app.db.read() as session:
        loaded = load(session, ref)
        when = timing(session, loaded, now)
        authority = repo.load_authority(session).name
        newcomer = Joining(
            "(the member)",
            "member@example.org",
            "(their organisation)",
            next(iter(loaded.definition.involvement.categories), "users"),
            "member",
        )
        welcome = welcome_extras(session, loaded, newcomer, now)
    stage = {"name": loaded.review.stage, "title": loaded.review.stage.capitalize()}
    if loaded.definition.has_stage(loaded.review.stage):
        stage["title"] = loaded.definition.stage(loaded.review.stage).title
    context = context_for(
        loaded,
        authority,
        when,
        from_stage=stage,
        to_stage=stage,
        reason="(the reason given)",
        overridden=False,
        actor=app.actor,
        at=now.isoformat(),
        event_seq=0,
        due_on=_reminder_day(kind, when, loaded.calendar).isoformat(),
        details={
            "days": PREVIEW_DAYS_BEFORE,
            "days_overdue": 1,
            "ends_on": (when.earliest - timedelta(days=1)).isoformat() if when.earliest else None,
            "earliest": when.earliest.isoformat() if when.earliest else None,
        },
        clear_days=when.clear_days,
        min_days=when.min_days,
        recipient={
            "email": loaded.review.coordinator,
            "name": "Review coordinator",
            "role": "review_coordinator",
        },
        papers=[
            {"id": 0, "title": "(a paper)", "file_name": "paper.pdf", "disclosure": "restricted"}
        ],
        attachments=[],
        meeting={
            "id": 0,
            "uid": "preview@bvflow",
            "sequence": 0,
            "title": "Working party",
            "place": "(the place)",
            "starts_at": now.isoformat(),
            "minutes": 120,
            "status": "scheduled",
            "kind": "working_party",
            "kind_title": "Working-party meeting",
            "notice_days": 5,
            "notice": "5 clear working days (agreed notice: the council's workflow file)",
            "notice_label": "agreed notice",
            "override_reason": None,
        },
        proposal={"id": 0, "title": "(the proposal)"},
        member=welcome["member"],
        stages=welcome["stages"],
        agreements=welcome["agreements"],
        meetings=welcome["meetings"],
        action={
            "id": 0,
            "title": "(the action)",
            "owner": loaded.review.coordinator,
            "due": when.today.isoformat(),
            "indicator": None,
            "status": "planned",
        },
    )
    context["kind"] = kind
    return render(kind, json.loads(json.dumps(context, default=str)), app.settings.templates_dir)
