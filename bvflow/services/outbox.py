"""The outbox as users see it: list messages, retry failed ones, preview a notice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bvflow.domain.audit import NewEvent
from bvflow.domain.involvement import REVIEW_COORDINATOR
from bvflow.errors import InputError, RefusedError
from bvflow.notifications import kinds
from bvflow.notifications.render import Rendered, render
from bvflow.services.app import App, load, timing
from bvflow.services.notices import Recipient, sample_context
from bvflow.services.views import View
from bvflow.store import repo

STATUSES: Final = ("pending", "sending", "sent", "failed")


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


def preview(app: App, kind: str, ref: str) -> Rendered:
    """Render a notice for a review as it stands now, to its coordinator, from the kind's
    sample (stand-ins in brackets for what people type), without queueing or sending it."""
    found = kinds.get(kind)
    now = app.now()
    with app.db.read() as session:
        loaded = load(session, ref)
        when = timing(session, loaded, now)
        authority = repo.load_authority(session).name
    coordinator = Recipient(loaded.review.coordinator, "Review coordinator", REVIEW_COORDINATOR)
    context = sample_context(found, loaded, authority, when, coordinator, actor=app.actor, now=now)
    return render(kind, context, app.settings.templates_dir)
