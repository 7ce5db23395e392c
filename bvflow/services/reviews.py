"""Review use cases: create, show, list, advance, return, suspend, resume, abandon.

Each change reads the review, asks the domain, then writes state and audit event in one
transaction whose update checks the version that was read: two coordinators acting at once
cannot both win, and the loser gets a ConflictError.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bvflow import faults, inputs
from bvflow.domain.audit import NewEvent, SealedEvent
from bvflow.domain.calendar import WorkingCalendar, local_date
from bvflow.domain.dates import short_instant
from bvflow.domain.machine import ABANDONED, fire, possible, return_trigger
from bvflow.domain.timetable import StageTiming
from bvflow.errors import ConflictError, InputError, NotFoundError, Unmet
from bvflow.services.app import (
    App,
    Loaded,
    calendar_for,
    load,
    timing,
    timing_from,
)
from bvflow.services.corrections import CorrectionView, corrections_of
from bvflow.services.guards import unmet_to_leave
from bvflow.services.meetings import notice_warnings
from bvflow.services.notices import queue_for_event
from bvflow.store import Session, changes, repo
from bvflow.store.models import DefinitionRow, Review, Suspension
from bvflow.workflow_files import WorkflowFile, definition_from_source, resolve

STATUSES = ("active", "suspended", "closed", "abandoned")


@dataclass(frozen=True)
class Change:
    """The outcome of a state change."""

    ref: str
    action: str
    from_stage: str
    to_stage: str
    status: str
    version: int
    overridden: bool = False


def create_review(
    app: App, title: str, service: str, coordinator: str, workflow: str = "best-value"
) -> str:
    """Open a review under the named (or given) workflow file; returns its reference."""
    title = inputs.text(title, "the title")
    service = inputs.text(service, "the service")
    coordinator = inputs.email(coordinator)
    found = resolve(workflow, app.workflows_dir)
    now = app.now()
    with app.db.write() as session:
        return open_review(session, app, now, found, title, service, coordinator)


def open_review(
    session: Session,
    app: App,
    now: datetime,
    found: WorkflowFile,
    title: str,
    service: str,
    coordinator: str,
) -> str:
    """Open a review in the caller's transaction (its inputs already checked)."""
    repo.load_authority(session)
    ref = repo.next_ref(session, local_date(now).year)
    definition = found.definition
    if repo.pin_definition(
        session,
        DefinitionRow(
            digest=found.digest,
            name=definition.name,
            version=definition.version,
            source_name=found.source_name,
            source=found.source,
            pinned_at=now,
        ),
    ):
        repo.append_event(
            session,
            NewEvent(
                now,
                app.actor,
                "definition.pinned",
                ref,
                payload={
                    "digest": found.digest,
                    "workflow": definition.name,
                    "version": definition.version,
                    "source": found.source_name,
                },
            ),
        )
    first = definition.first.name
    review = repo.add_review(
        session,
        Review(
            ref=ref,
            title=title,
            service=service,
            coordinator=coordinator,
            workflow=definition.name,
            definition_digest=found.digest,
            stage=first,
            status="active",
            stage_entered_at=now,
            created_at=now,
            updated_at=now,
        ),
    )
    assert review.id is not None
    repo.enter_stage(session, review.id, first, "created", now)
    created = repo.append_event(
        session,
        NewEvent(
            now,
            app.actor,
            "review.created",
            ref,
            None,
            first,
            {
                "title": title,
                "service": service,
                "coordinator": coordinator,
                "workflow": definition.name,
                "digest": found.digest,
            },
        ),
    )
    _announce(session, Loaded(review, definition, calendar_for(session)), created, now)
    return ref


def _announce(
    session: Session,
    loaded: Loaded,
    event: SealedEvent,
    now: datetime,
    written: dict[str, Any] | None = None,
) -> None:
    """Queue the event's notice, with the review as it now stands, in the same transaction.

    ``written`` is what the change wrote to the review: the notice sees the review with it,
    without reading back the row the same transaction has just updated.
    """
    review = loaded.review
    fresh = Review(**{**review.model_dump(), **(written or {})}) if written else review
    after = Loaded(fresh, loaded.definition, loaded.calendar)
    if fresh.stage_entered_at == now and fresh.status != "suspended":
        # A stage entered just now, and not suspended, has had no suspension in it.
        stage_timing = timing_from(after, now, [])
    else:
        stage_timing = timing(session, after, now)
    queue_for_event(session, after, event, stage_timing, now)


@dataclass(frozen=True)
class ReviewView:
    """Everything ``review show`` prints."""

    review: Review
    stage_title: str
    next_stage: str | None
    timing: StageTiming
    unmet: list[Unmet]
    actions: list[str]
    history: list[SealedEvent]
    workflow_title: str
    corrections: list[CorrectionView] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        r, t = self.review, self.timing
        return {
            "ref": r.ref,
            "title": r.title,
            "service": r.service,
            "coordinator": r.coordinator,
            "workflow": r.workflow,
            "workflow_title": self.workflow_title,
            "definition_digest": r.definition_digest,
            "stage": r.stage,
            "stage_title": self.stage_title,
            "status": r.status,
            "version": r.version,
            "next_stage": self.next_stage,
            "stage_entered_at": r.stage_entered_at.isoformat(),
            "entered_on": t.entered_on.isoformat(),
            "clear_working_days": t.clear_days,
            "min_working_days": t.min_days,
            "earliest_advance": t.earliest.isoformat() if t.earliest else None,
            "earliest_working_day": t.earliest_working.isoformat() if t.earliest_working else None,
            "target_date": t.target.isoformat() if t.target else None,
            "overdue": t.overdue,
            "unmet": [
                {"kind": u.kind, "message": u.message, "remedy": u.remedy} for u in self.unmet
            ],
            "actions": self.actions,
            "history": [event_dict(e) for e in self.history],
            "corrections": [c.as_dict() for c in self.corrections],
            "warnings": self.warnings,
        }


def event_dict(event: SealedEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "login": event.login or event.data.get("login"),
        "action": event.action,
        "review": event.review,
        "from_stage": event.from_stage,
        "to_stage": event.to_stage,
        "payload": event.payload,
        "hash": event.hash,
    }


def show_review(app: App, ref: str, history: int = 10) -> ReviewView:
    """Where a review stands: its stage, timetable, unmet requirements and recent history."""
    with app.db.read() as session:
        loaded = load(session, ref)
        review, definition = loaded.review, loaded.definition
        when, unmet = unmet_to_leave(session, loaded, app.now())
        live = review.status in ("active", "suspended")
        stage = definition.stage(review.stage) if definition.has_stage(review.stage) else None
        events = repo.find_events(
            session,
            repo.EventFilter(
                review=review.ref,
                limit=history,
                newest_first=True,
                without_prefix="notification.",
            ),
        )
        return ReviewView(
            review=review,
            stage_title=stage.title if stage else review.stage.capitalize(),
            next_stage=stage.next if stage else None,
            timing=when,
            unmet=unmet if live else [],
            actions=possible(definition, review.stage, review.status == "suspended"),
            history=list(reversed(events)),
            workflow_title=definition.title,
            corrections=corrections_of(session, review),
            warnings=[
                *_waiting(app, session, review),
                *(notice_warnings(session, loaded, app.now()) if live else []),
            ],
        )


def _waiting(app: App, session: Session, review: Review) -> list[str]:
    """A warning when this review's notices have waited too long to be delivered."""
    minutes = app.settings.late_after_minutes
    count, oldest = repo.waiting_since(
        session, app.now() - timedelta(minutes=minutes), int(review.id or 0)
    )
    if not count or oldest is None:
        return []
    return [
        f"{count} notice(s) for this review queued since {short_instant(oldest)} "
        f"are still not delivered (more than {minutes} "
        f"minute{'' if minutes == 1 else 's'}): is the scheduler running? 'bvflow sweep' sends "
        "them now; any meeting notice among them is losing notice time meanwhile"
    ]


@dataclass(frozen=True)
class ReviewSummary:
    """One line of ``review list``."""

    ref: str
    title: str
    service: str
    coordinator: str
    stage: str
    status: str
    entered_on: date
    clear_working_days: int
    target_date: date | None
    overdue: bool
    version: int

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["entered_on"] = self.entered_on.isoformat()
        data["target_date"] = self.target_date.isoformat() if self.target_date else None
        return data


def list_reviews(
    app: App, stage: str | None = None, status: str | None = None, overdue: bool = False
) -> list[ReviewSummary]:
    """Reviews, filtered; three queries however many there are (no query per review)."""
    if status is not None and status not in STATUSES:
        raise InputError(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    now = app.now()
    with app.db.read() as session:
        calendar = calendar_for(session)
        rows = repo.find_reviews(session, repo.ReviewFilter(stage=stage, status=status))
        suspensions = repo.suspensions_by_review(session)
        definitions = repo.definitions_by_digest(session)
        if stage is not None:
            _check_stage_name(stage, definitions.values(), app)
        summaries = [_summary(r, definitions, calendar, suspensions, now) for r in rows]
    return [s for s in summaries if s.overdue] if overdue else summaries


def _check_stage_name(stage: str, pinned: Iterable[DefinitionRow], app: App) -> None:
    """A typo in --stage would silently list nothing: name the stages that exist instead."""
    known = {ABANDONED}
    for row in pinned:
        known |= {s.name for s in definition_from_source(row.source, row.name).stages}
    known |= {s.name for s in resolve("best-value", app.workflows_dir).definition.stages}
    if stage not in known:
        raise InputError(f"no workflow has a stage {stage!r} (stages: {', '.join(sorted(known))})")


def _summary(
    review: Review,
    definitions: dict[str, DefinitionRow],
    calendar: WorkingCalendar,
    suspensions: dict[int, list[tuple[datetime, datetime | None]]],
    now: datetime,
) -> ReviewSummary:
    row = definitions[review.definition_digest]
    loaded = Loaded(review, definition_from_source(row.source, row.name), calendar)
    assert review.id is not None
    relevant = [
        (s, e)
        for s, e in suspensions.get(review.id, [])
        if e is None or e >= review.stage_entered_at
    ]
    when = timing_from(loaded, now, relevant)
    live = review.status in ("active", "suspended")
    return ReviewSummary(
        review.ref,
        review.title,
        review.service,
        review.coordinator,
        review.stage,
        review.status,
        when.entered_on,
        when.clear_days,
        when.target if live else None,
        when.overdue and live,
        review.version,
    )


def _check_expected(review: Review, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != review.version:
        raise ConflictError(review.ref, expected_version, review.version)


def advance(
    app: App,
    ref: str,
    *,
    override_timetable: bool = False,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Change:
    """Move a review to its next stage, or raise RefusedError naming every unmet condition."""
    if override_timetable:
        reason = inputs.reason(reason, "overriding the timetable")
    now = app.now()
    with app.db.read() as session:
        loaded = load(session, ref)
        _check_expected(loaded.review, expected_version)
        # Judged once: the override sets aside only the timetable's own condition.
        _, unmet_plain = unmet_to_leave(session, loaded, now)
    unmet = [u for u in unmet_plain if not (override_timetable and u.kind == "timetable")]
    review = loaded.review
    target = fire(
        loaded.definition,
        review.ref,
        review.stage,
        "advance",
        suspended=review.status == "suspended",
        unmet=unmet,
    )
    overridden = any(u.kind == "timetable" for u in unmet_plain)
    final = loaded.definition.stage(target).final
    status = "closed" if final else "active"
    written: dict[str, Any] = {
        "stage": target,
        "status": status,
        "stage_entered_at": now,
        "updated_at": now,
    }
    with app.db.write() as session:
        version = repo.update_review(session, review, review.version, **written)
        written["version"] = version
        faults.point("after_state")
        assert review.id is not None
        repo.enter_stage(session, review.id, target, "advanced", now)
        if overridden:
            skipped = next(u for u in unmet_plain if u.kind == "timetable")
            repo.append_event(
                session,
                NewEvent(
                    now,
                    app.actor,
                    "review.timetable_overridden",
                    review.ref,
                    review.stage,
                    target,
                    {"reason": reason, "unmet": skipped.message},
                ),
            )
        advanced = repo.append_event(
            session,
            NewEvent(
                now,
                app.actor,
                "review.advanced",
                review.ref,
                review.stage,
                target,
                {"override_reason": reason if overridden else None, "version": version},
            ),
        )
        faults.point("after_audit")
        _announce(session, loaded, advanced, now, written)
        faults.point("after_outbox")
    faults.point("after_commit")
    return Change(review.ref, "advanced", review.stage, target, status, version, overridden)


def _simple_change(
    app: App,
    ref: str,
    trigger: str,
    action: str,
    *,
    reason: str | None,
    expected_version: int | None,
    status_after: str,
    extra: dict[str, Any] | None = None,
) -> tuple[Loaded, Change, datetime]:
    """Read, fire a trigger, and write the new stage/status with its event; shared plumbing."""
    now = app.now()
    with app.db.read() as session:
        loaded = load(session, ref)
    review = loaded.review
    _check_expected(review, expected_version)
    target = fire(
        loaded.definition, review.ref, review.stage, trigger, suspended=review.status == "suspended"
    )
    written: dict[str, Any] = {
        "stage": target,
        "status": status_after,
        "updated_at": now,
        **({"stage_entered_at": now} if action == "returned" else {}),
    }
    with app.db.write() as session:
        version = repo.update_review(session, review, review.version, **written)
        written["version"] = version
        assert review.id is not None
        if action == "returned":
            repo.enter_stage(session, review.id, target, "returned", now)
        _record_suspension(session, review.id, action, reason, now)
        event = repo.append_event(
            session,
            NewEvent(
                now,
                app.actor,
                f"review.{action}",
                review.ref,
                review.stage,
                target,
                {"reason": reason, "version": version, **(extra or {})},
            ),
        )
        _announce(session, loaded, event, now, written)
    change = Change(review.ref, action, review.stage, target, status_after, version)
    return loaded, change, now


def _record_suspension(
    session: Session, review_id: int, action: str, reason: str | None, now: datetime
) -> None:
    if action == "suspended":
        row = Suspension(review_id=review_id, reason=reason or "", started_at=now)
        changes.insert(session, row)
        return
    if action in ("resumed", "abandoned"):
        open_row = repo.open_suspension(session, review_id)
        if open_row is not None:
            changes.update(session, open_row, {"ended_at": now})


def return_review(
    app: App, ref: str, to: str, reason: str | None, expected_version: int | None = None
) -> Change:
    """Send a review back to an earlier stage; its discussion period starts again."""
    reason = inputs.reason(reason, "returning a review")
    with app.db.read() as session:
        loaded = load(session, ref)
    if not loaded.definition.has_stage(to):
        names = ", ".join(s.name for s in loaded.definition.stages)
        raise NotFoundError(
            f"workflow {loaded.definition.name} has no stage {to!r} (stages: {names})"
        )
    return _simple_change(
        app,
        ref,
        return_trigger(to),
        "returned",
        reason=reason,
        expected_version=expected_version,
        status_after="active",
    )[1]


def suspend(app: App, ref: str, reason: str | None, expected_version: int | None = None) -> Change:
    """Stop a review's clock; suspended days never count toward any period."""
    reason = inputs.reason(reason, "suspending a review")
    return _simple_change(
        app,
        ref,
        "suspend",
        "suspended",
        reason=reason,
        expected_version=expected_version,
        status_after="suspended",
    )[1]


def resume(app: App, ref: str, expected_version: int | None = None) -> Change:
    """Restart a suspended review's clock in the stage where it stopped."""
    return _simple_change(
        app,
        ref,
        "resume",
        "resumed",
        reason=None,
        expected_version=expected_version,
        status_after="active",
    )[1]


def abandon(app: App, ref: str, reason: str | None, expected_version: int | None = None) -> Change:
    """End a review without completing it."""
    reason = inputs.reason(reason, "abandoning a review")
    with app.db.read() as session:
        stage = load(session, ref).review.stage
    return _simple_change(
        app,
        ref,
        "abandon",
        "abandoned",
        reason=reason,
        expected_version=expected_version,
        status_after=ABANDONED,
        extra={"abandoned_in": stage},
    )[1]
