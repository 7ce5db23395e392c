"""The kernel every use case needs: the database, who is acting, the clock; loading a review,
its timing, and recording a change. It imports no feature: the guards that judge a stage
(``bvflow.services.guards``) ask each feature for the facts its requirement kinds need."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bvflow.clock import SYSTEM_CLOCK, Clock
from bvflow.domain.audit import NewEvent, SealedEvent
from bvflow.domain.calendar import StoredHolidays, WorkingCalendar
from bvflow.domain.definition import Definition
from bvflow.domain.timetable import StageTiming, stage_timing
from bvflow.errors import RefusedError
from bvflow.settings import Settings
from bvflow.store import Session, repo
from bvflow.store.database import Database
from bvflow.store.models import Review
from bvflow.workflow_files import definition_from_source


@dataclass
class App:
    """The handle every service takes: ``App(Database(url), actor="jo")``."""

    db: Database
    actor: str
    clock: Clock = field(default=SYSTEM_CLOCK)
    workflows_dir: Path | None = None
    settings: Settings = field(default_factory=Settings)

    def now(self) -> datetime:
        return self.clock.now()


@dataclass(frozen=True)
class Loaded:
    """A review with the exact definition it was pinned to and its authority's calendar."""

    review: Review
    definition: Definition
    calendar: WorkingCalendar


def calendar_for(session: Session) -> WorkingCalendar:
    """The authority's calendar in force: the stored bank holidays, closures and openings."""
    stored = repo.holiday_names(session)
    return WorkingCalendar(
        repo.nation(session),
        repo.closure_days(session),
        repo.opened_days(session),
        StoredHolidays.of(stored) if stored else None,
    )


def load(session: Session, ref: str, calendar: WorkingCalendar | None = None) -> Loaded:
    """The review ``ref`` with its pinned definition (never the file as it is now)."""
    review = repo.load_review(session, ref)
    row = repo.load_definition_row(session, review.definition_digest)
    definition = definition_from_source(row.source, f"{row.name} ({row.digest[:12]})")
    return Loaded(review, definition, calendar or calendar_for(session))


def timing(session: Session, loaded: Loaded, now: datetime) -> StageTiming:
    """The current stage's clear working days, earliest leave date and due date."""
    review = loaded.review
    assert review.id is not None
    suspensions = repo.suspensions_since(session, review.id, review.stage_entered_at)
    return timing_from(loaded, now, [(s.started_at, s.ended_at) for s in suspensions])


def timing_from(
    loaded: Loaded, now: datetime, suspensions: list[tuple[datetime, datetime | None]]
) -> StageTiming:
    review = loaded.review
    stage = (
        loaded.definition.stage(review.stage) if loaded.definition.has_stage(review.stage) else None
    )
    return stage_timing(
        loaded.calendar,
        review.stage_entered_at,
        now,
        stage.min_working_days if stage else 0,
        stage.target_working_days if stage else None,
        suspensions,
    )


def load_live(app: App, ref: str, action: str) -> Loaded:
    """Read a review that may still change; a closed or abandoned one is refused."""
    with app.db.read() as session:
        loaded = load(session, ref)
    if loaded.review.status in ("closed", "abandoned"):
        raise RefusedError(loaded.review.ref, action, f"it is {loaded.review.status}")
    return loaded


def load_monitored(app: App, ref: str, action: str) -> Loaded:
    """Read a review whose improvement plan is still monitored: a live one, or a closed one
    (its actions stay open after the review closes); an abandoned one is refused."""
    with app.db.read() as session:
        loaded = load(session, ref)
    if loaded.review.status == "abandoned":
        raise RefusedError(loaded.review.ref, action, "it is abandoned")
    return loaded


def record_change(
    session: Session, app: App, now: datetime, loaded: Loaded, action: str, payload: dict[str, Any]
) -> SealedEvent:
    """Move the review's version on (refusing if it moved since read) and audit the change.

    The version moves once per transaction, however many events the change records.
    """
    review = loaded.review
    bumped = ("version-moved", review.id)
    if not session.info.get(bumped):
        repo.update_review(session, review, review.version, updated_at=now)
        session.info[bumped] = True
    return repo.append_event(
        session, NewEvent(now, app.actor, action, review.ref, review.stage, review.stage, payload)
    )
