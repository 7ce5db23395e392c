"""What every use case needs: the database, who is acting, the clock; and loading a review."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bvflow.clock import SYSTEM_CLOCK, Clock
from bvflow.domain.audit import NewEvent, SealedEvent
from bvflow.domain.calendar import WorkingCalendar
from bvflow.domain.definition import Definition
from bvflow.domain.requirements import StageFacts
from bvflow.domain.timetable import StageTiming, stage_timing
from bvflow.errors import RefusedError, Unmet
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
    authority = repo.load_authority(session)
    return WorkingCalendar(authority.nation, repo.closure_days(session))


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


def unmet_to_leave(
    session: Session, loaded: Loaded, clock_now: datetime, overrides: frozenset[str] = frozenset()
) -> tuple[StageTiming, list[Unmet]]:
    """Every requirement of the current stage that is not met, each with its remedy."""
    review = loaded.review
    assert review.id is not None
    when = timing(session, loaded, clock_now)
    if not loaded.definition.has_stage(review.stage):
        return when, []
    facts = StageFacts(
        review=review.ref,
        stage=review.stage,
        today=when.today,
        clear_days=when.clear_days,
        earliest=when.earliest,
        suspended=when.suspended,
        evidence_kinds=repo.evidence_kinds_in_stage(session, review.id, review.stage),
        overrides=overrides,
        **involvement_facts(session, loaded, clock_now),
    )
    stage = loaded.definition.stage(review.stage)
    return when, [u for req in stage.guards for u in req.unmet(facts)]


def involvement_facts(session: Session, loaded: Loaded, now: datetime) -> dict[str, Any]:
    """Who was involved by which methods, what was agreed, proposals and meetings, this stage.

    Activities and agreements recorded in the stage count whenever it is entered (a return
    to it keeps them, unless withdrawn); proposals and meetings count per stage entry: a
    return restarts the discussion, so it needs its own proposal and meeting.
    """
    review = loaded.review
    assert review.id is not None
    involved: dict[str, set[str]] = {}
    for activity in repo.activities_for(session, review.id, review.stage):
        for category in json.loads(activity.categories):
            involved.setdefault(category, set()).add(activity.method)
    proposals = []
    entered = review.stage_entered_at
    for proposal in repo.proposals_for(session, review.id, review.stage):
        if proposal.circulated_at < entered:
            continue
        paused = repo.suspensions_since(session, review.id, proposal.circulated_at)
        ran = stage_timing(
            loaded.calendar,
            proposal.circulated_at,
            now,
            0,
            None,
            [(s.started_at, s.ended_at) for s in paused],
        ).clear_days
        proposals.append((proposal.title, ran))
    held = [
        m
        for m in repo.meetings_for(session, review.id, review.stage)
        if m.status == "scheduled" and entered <= m.starts_at <= now
    ]
    return {
        **_compare_compete_report_facts(session, review.id),
        "involved": {k: frozenset(v) for k, v in involved.items()},
        "agreed": frozenset(a.item for a in repo.agreements_for(session, review.id, review.stage)),
        "proposals": tuple(proposals),
        "meetings_held": len(held),
    }


def load_live(app: App, ref: str, action: str) -> Loaded:
    """Read a review that may still change; a closed or abandoned one is refused."""
    with app.db.read() as session:
        loaded = load(session, ref)
    if loaded.review.status in ("closed", "abandoned"):
        raise RefusedError(loaded.review.ref, action, f"it is {loaded.review.status}")
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


def _compare_compete_report_facts(session: Session, review_id: int) -> dict[str, Any]:
    from bvflow.services.appraisal import appraisal_of
    from bvflow.services.performance import benchmarked_count
    from bvflow.services.plan import plan_facts

    appraisal = appraisal_of(session, review_id)
    unscored = tuple(
        a.name
        for a in appraisal.ranked
        if a.scored < len(appraisal.criteria) or not appraisal.criteria
    )
    return {
        "benchmarked": benchmarked_count(session, review_id),
        "options": len(appraisal.ranked),
        "options_unscored": unscored,
        "option_chosen": any(a.chosen for a in appraisal.ranked),
        **plan_facts(session, review_id),
    }
