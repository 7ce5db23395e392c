"""The sweep: queue the reminders due today, then deliver the outbox.

Delivery claims a batch (``sending`` with a lease), sends each message outside any
transaction, then records the outcomes, each with its audit event, a batch at a time (up to
``RECORD_EVERY`` messages, or every ``RECORD_WITHIN``). A crash between sending and
recording leaves the rows ``sending``; when the lease runs out they are sent again, with
the same Message-ID: at most once more than recorded, never lost. Transient failures back off
exponentially with jitter; permanent ones, or too many attempts, end as ``failed``.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any, Final

from bvflow import faults
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import local_date
from bvflow.errors import BVFlowError, InputError, StoreError
from bvflow.notifications.invite import invitation
from bvflow.notifications.message import build_email, wire_address
from bvflow.notifications.render import Rendered, render
from bvflow.notifications.transports import DeliveryError, Outgoing, Transport, open_transport
from bvflow.services.app import App, Loaded, calendar_for, timing_from
from bvflow.services.notices import (
    action_rows,
    authority_action_rows,
    plan_rows,
    recipients,
    reminder_rows,
)
from bvflow.services.views import View
from bvflow.settings import Settings
from bvflow.store import Session, repo
from bvflow.store.models import OutboxMessage
from bvflow.workflow_files import definition_from_source

BACKOFF_BASE: Final = timedelta(minutes=1)
BACKOFF_CAP: Final = timedelta(hours=6)
BATCH: Final = 200
# Outcomes are recorded in batches (one transaction, one fsync, for many messages), and no
# later than RECORD_WITHIN after the first of them was sent: the delay between a delivery and
# its record, which a crash would turn into a resend, stays short.
RECORD_EVERY: Final = 25
RECORD_WITHIN: Final = timedelta(seconds=2)


@dataclass
class SweepReport(View):
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    would_queue: list[dict[str, str]] = field(default_factory=list)
    # Sent now, but queued longer ago than [mail] late_after_minutes: their recipients got
    # them late, and any notice period they carry ran short by as much.
    late: int = 0
    late_reviews: list[str] = field(default_factory=list)
    # Still undelivered after this sweep though queued that long ago, and since when.
    waiting: int = 0
    waiting_since: str | None = None

    def warnings(self, minutes: int) -> list[str]:
        found = []
        unit = "minute" if minutes == 1 else "minutes"
        if self.late:
            refs = ", ".join(sorted(set(self.late_reviews)))
            which = f" (for {refs})" if refs else ""
            found.append(
                f"{self.late} message(s){which} were delivered more than {minutes} {unit} after "
                "they were queued: was the scheduler stopped? Any meeting notice or proposal "
                "among them reached people that much later than it was sent"
            )
        if self.waiting:
            found.append(
                f"{self.waiting} message(s) queued since {self.waiting_since} are still not "
                "delivered ('bvflow outbox list --status pending' shows why)"
            )
        return found


def _due_rows(session: Session, now: datetime, settings: Settings) -> list[OutboxMessage]:
    calendar = calendar_for(session)
    authority = repo.load_authority(session).name
    definitions = repo.definitions_by_digest(session)
    suspensions = repo.suspensions_by_review(session)
    watchers = repo.watchers_by_review(session)
    party = repo.party_by_review(session)
    actions = repo.open_actions_by_review(session)
    entries = repo.open_stage_entries(session)
    rows: list[OutboxMessage] = []
    # A closed review's plan is still monitored: its open actions keep their reminders
    # (but its stages have none). A suspended or abandoned review gets none.
    closed = [r for r in repo.reviews_by_status(session, "closed") if r.id in actions]
    for review in [*repo.reviews_by_status(session, "active"), *closed]:
        assert review.id is not None
        source = definitions[review.definition_digest]
        loaded = Loaded(review, definition_from_source(source.source, source.name), calendar)
        relevant = [
            (s, e)
            for s, e in suspensions.get(review.id, [])
            if e is None or e >= review.stage_entered_at
        ]
        timing = timing_from(loaded, now, relevant)
        people = recipients(review, watchers.get(review.id, []), party=party.get(review.id, []))
        if review.status == "active":
            rows += reminder_rows(
                loaded, authority, timing, entries.get(review.id, 0), people, now
            )
        for action in actions.get(review.id, []):
            rows += action_rows(loaded, authority, action, people, timing.today, now)
    today = local_date(now)
    for action in repo.open_authority_actions(session):
        rows += authority_action_rows(calendar, authority, action, today, now)
    officer = settings.performance_officer
    rows += plan_rows(calendar, authority, officer, settings.plan_due, today, now)
    return rows


def queue_reminders(app: App, dry_run: bool = False) -> tuple[int, list[dict[str, str]]]:
    """Queue every reminder due now; the unique keys make this idempotent."""
    now = app.now()
    if dry_run:
        with app.db.read() as session:
            rows = _due_rows(session, now, app.settings)
            known = repo.existing_keys(session, [r.dedupe_key for r in rows])
        fresh = [r for r in rows if r.dedupe_key not in known]
        return 0, [{"kind": r.kind, "recipient": r.recipient, "key": r.dedupe_key} for r in fresh]
    with app.db.write() as session:
        return repo.queue_messages(session, _due_rows(session, now, app.settings)), []


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with +/-20% jitter, capped."""
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return timedelta(seconds=delay.total_seconds() * random.uniform(0.8, 1.2))  # noqa: S311


def _render(app: App, row: OutboxMessage) -> Rendered:
    return render(row.kind, json.loads(row.context), app.settings.templates_dir)


def _invite(
    app: App, context: dict[str, Any], row: OutboxMessage, sender: str
) -> tuple[str, str]:
    """The meeting's iCalendar invitation (or cancellation) addressed to this recipient."""
    meeting = context["meeting"]
    return invitation(
        uid=meeting["uid"],
        sequence=meeting["sequence"],
        method="CANCEL" if meeting["status"] == "cancelled" else "REQUEST",
        title=meeting["title"],
        place=meeting["place"],
        starts_at=datetime.fromisoformat(meeting["starts_at"]),
        minutes=meeting["minutes"],
        organiser=context["review"]["coordinator"],
        attendee=row.recipient,
        description=f"{context['review']['ref']} {context['review']['title']}",
        stamp=row.created_at,
        organiser_name=f"{context['review']['ref']} review coordinator",
        attendee_name=row.recipient_name,
        sent_by=parseaddr(sender)[1] or None,
        attendee_role=(context.get("recipient") or {}).get("role"),
    )


def _reply_to(context: dict[str, Any]) -> str | None:
    """Replies go to the review's coordinator (not to the mailer), when the address is good."""
    coordinator = (context.get("review") or {}).get("coordinator")
    if not coordinator:
        return None
    try:
        return wire_address(str(coordinator))
    except InputError:
        return None


def _unique(row: OutboxMessage) -> str:
    """The same for every try of one row; different for a row of another database, which
    has its own creation instant (to the microsecond)."""
    digest = hashlib.sha256(f"{row.dedupe_key}|{row.created_at.isoformat()}".encode())
    return digest.hexdigest()[:12]


def _outgoing(
    app: App, row: OutboxMessage, rendered: Rendered, now: datetime, sender: str
) -> Outgoing:
    assert row.id is not None
    context = json.loads(row.context)
    files: list[tuple[str, bytes]] = []
    if context.get("attachments"):
        with app.db.read() as session:
            for paper in repo.evidence_by_ids(session, context["attachments"]):
                if paper.content is not None:
                    files.append((paper.file_name or f"paper-{paper.id}", paper.content))
    invite = _invite(app, context, row, sender) if context.get("meeting") else None
    wire = wire_address(row.recipient)  # checked again: the row may predate today's rules
    message = build_email(
        sender,
        wire,
        row.recipient_name,
        rendered,
        row.id,
        now,
        files,
        invite,
        reply_to=_reply_to(context),
        unique=_unique(row),
    )
    return Outgoing(
        row.id,
        row.kind,
        wire,
        message,
        {"subject": rendered.subject, "body": rendered.text},
    )


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed message, and when, until it is recorded."""

    row: OutboxMessage
    rendered: Rendered | None
    error: DeliveryError | None
    at: datetime


def _record(app: App, outcomes: list[Outcome], report: SweepReport) -> None:
    """Record a batch of outcomes, each with its audit event, in one transaction.

    An outcome is recorded only if the message is still ours (``sending`` under the lease we
    claimed it with): if the lease ran out, another sender took it over and records it.
    """
    if not outcomes:
        return
    with app.db.write() as session:
        current = repo.messages_by_id(session, [int(o.row.id or 0) for o in outcomes])
        refs = repo.refs_by_id(session, {m.review_id for m in current.values() if m.review_id})
        for outcome in outcomes:
            message = current.get(int(outcome.row.id or 0))
            if message is None or message.status != "sending":
                continue
            if message.claimed_until != outcome.row.claimed_until:
                continue  # our lease ran out and another sender took the message over
            _record_one(app, session, message, outcome, refs.get(message.review_id or 0), report)


def _record_one(
    app: App,
    session: Session,
    current: OutboxMessage,
    outcome: Outcome,
    review: str | None,
    report: SweepReport,
) -> None:
    rendered, error, now = outcome.rendered, outcome.error, outcome.at
    payload = {"outbox_id": current.id, "kind": current.kind, "recipient": current.recipient}
    if rendered is not None:
        current.subject, current.body_text = rendered.subject, rendered.text
    current.claimed_until = None
    if error is None:
        current.status, current.sent_at, current.last_error = "sent", now, None
        report.sent += 1
        if current.created_at < now - timedelta(minutes=app.settings.late_after_minutes):
            report.late += 1
            if review:
                report.late_reviews.append(review)
        action = "notification.sent"
    elif error.permanent or current.attempts >= app.settings.max_attempts:
        current.status, current.last_error = "failed", error.reason[:500]
        report.failed += 1
        action = "notification.failed"
        payload["reason"] = error.reason[:500]
    else:
        current.status, current.last_error = "pending", error.reason[:500]
        current.next_attempt_at = now + backoff(current.attempts)
        report.retrying += 1
        action = None
    session.add(current)
    if action:
        repo.append_event(
            session,
            NewEvent(now, "bvflow-mailer", action, review, payload=payload),
            in_order=False,
        )


def _why(exc: Exception) -> str:
    return exc.message if isinstance(exc, BVFlowError) else f"{type(exc).__name__}: {exc}"


def _send_one(app: App, transport: Transport, row: OutboxMessage, sender: str) -> Outcome:
    """Send one message; whatever is wrong with it fails that message alone, with its reason.

    Only the database failing stops the sweep (nothing could be recorded then).
    """
    rendered: Rendered | None = None
    try:
        rendered = _render(app, row)
        outgoing = _outgoing(app, row, rendered, app.now(), sender)
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad message must never stop the others
        failure = DeliveryError(f"cannot build the message: {_why(exc)}", permanent=True)
        return Outcome(row, rendered, failure, app.now())
    try:
        transport.send(outgoing)
    except DeliveryError as exc:
        return Outcome(row, rendered, exc, app.now())
    except Exception as exc:  # noqa: BLE001 - a transport's surprise is this message's failure
        return Outcome(row, rendered, DeliveryError(f"cannot send: {_why(exc)}", True), app.now())
    faults.point("after_send")
    return Outcome(row, rendered, None, app.now())


def from_header(app: App, session: Session) -> str:
    """The From of this sweep's notices: [mail] from, else the authority's sender."""
    authority = repo.find_authority(session)
    return app.settings.from_header(authority.sender if authority else None)


def _margin(app: App) -> timedelta:
    """Time a single send may take: a claimed message is not started with less lease left."""
    slowest = app.settings.smtp.timeout if app.settings.transport == "smtp" else 30.0
    return timedelta(seconds=min(slowest + 1, app.settings.lease_seconds / 2))


def deliver(app: App, report: SweepReport, limit: int | None = None) -> None:
    """Send what is due, batch by batch, until nothing due is left (or ``limit`` is reached)."""
    with app.db.read() as session:
        sender = from_header(app, session)
    try:
        transport = open_transport(app.settings)
    except DeliveryError as exc:
        raise BVFlowError(f"cannot deliver: {exc.reason}") from exc
    handled = 0
    try:
        while limit is None or handled < limit:
            now = app.now()
            with app.db.write() as session:
                lease = timedelta(seconds=app.settings.lease_seconds)
                batch = repo.claim_due(session, now, now + lease, BATCH)
            if not batch:
                return
            margin = _margin(app)
            outcomes: list[Outcome] = []
            try:
                for row in batch:
                    # Stop before our lease runs out: what is left is taken over, not sent
                    # twice.
                    if row.claimed_until is not None and app.now() + margin >= row.claimed_until:
                        break
                    outcomes.append(_send_one(app, transport, row, sender))
                    handled += 1
                    if len(outcomes) >= RECORD_EVERY or app.now() - outcomes[0].at > RECORD_WITHIN:
                        _record(app, outcomes, report)
                        outcomes = []
            finally:
                _record(app, outcomes, report)
    finally:
        transport.close()


def sweep(app: App, dry_run: bool = False) -> SweepReport:
    """One idempotent pass: queue what is due, then deliver the outbox."""
    report = SweepReport()
    report.queued, report.would_queue = queue_reminders(app, dry_run)
    if not dry_run:
        deliver(app, report)
    now = app.now()
    with app.db.read() as session:
        count, oldest = repo.waiting_since(
            session, now - timedelta(minutes=app.settings.late_after_minutes)
        )
    report.waiting, report.waiting_since = count, oldest.isoformat() if oldest else None
    return report
