"""The authority's programme of reviews: plan a service's review for a year, rank the plan by
need, start the review from it, or drop it with a reason.

Each item is state of the chain: ``programme.planned``, ``programme.started`` (in the same
transaction as the review it opens) and ``programme.dropped``. Need is read from the record
at the time of asking (bvflow.domain.programme): it is shown, never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import local_date
from bvflow.domain.programme import (
    PRIORITIES,
    Need,
    against_plan,
    out_of_cycle_services,
    service_key,
)
from bvflow.errors import InputError
from bvflow.services.app import App
from bvflow.services.inspections import open_recommendations
from bvflow.services.performance import comparisons
from bvflow.services.reviews import open_review
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import PlanAction, ProgrammeItem, Review
from bvflow.workflow_files import resolve

FIRST_YEAR, LAST_YEAR = 1999, 2200


@dataclass(frozen=True)
class ItemView(View):
    id: int
    service: str
    year: int
    priority: str
    reason: str
    status: str
    review: str | None
    status_reason: str | None
    need: int
    signals: list[str] = field(default_factory=list)


def _view(row: ProgrammeItem, need: Need, cycle_years: int) -> ItemView:
    return ItemView(
        int(row.id or 0),
        row.service,
        row.year,
        row.priority,
        row.reason,
        row.status,
        row.review_ref,
        row.status_reason,
        need.score(row.year, cycle_years),
        need.reasons(row.year, cycle_years),
    )


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"the year must be from {FIRST_YEAR} to {LAST_YEAR}, not {year}")
    return year


def plan_review(app: App, service: str, year: int, priority: str, reason: str) -> ItemView:
    """Plan a service's review for a year, with the priority and reason the authority gave."""
    service = inputs.text(service, "the service")
    if priority not in PRIORITIES:
        raise InputError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    reason = inputs.text(reason, "the reason", max_length=1000)
    now = app.now()
    with app.db.write() as session:
        repo.load_authority(session)
        for other in repo.programme_items(session, year):
            if other.status == "planned" and service_key(other.service) == service_key(service):
                raise InputError(
                    f"{other.service} is already planned for {year} (item {other.id}); "
                    f"'bvflow programme drop {other.id}' first to plan it again"
                )
        row = repo.add_programme_item(
            session,
            ProgrammeItem(
                service=service,
                year=_year(year),
                priority=priority,
                reason=reason,
                added_by=app.actor,
                added_at=now,
                updated_at=now,
            ),
        )
        payload = {"item": row.id, "service": service, "year": year, "priority": priority,
                   "reason": reason}
        repo.append_event(session, NewEvent(now, app.actor, "programme.planned", payload=payload))
        return _view(row, _needs(session, now)(row), app.settings.cycle_years)


def _needs(session: Session, now: datetime) -> _NeedOf:
    """What the record says about each service, read once for the whole programme."""
    today = local_date(now)
    reviews = [r for r in repo.find_reviews(session, repo.ReviewFilter())
               if r.status != "abandoned"]
    open_actions = repo.open_actions_by_review(session)
    by_service: dict[str, list[Review]] = {}
    for review in reviews:
        by_service.setdefault(service_key(review.service), []).append(review)
    return _NeedOf(session, by_service, open_actions, today, open_recommendations(session))


@dataclass
class _NeedOf:
    session: Session
    by_service: dict[str, list[Review]]
    open_actions: dict[int, list[PlanAction]]
    today: date
    recommendations: dict[str, list[str]] = field(default_factory=dict)

    def __call__(self, item: ProgrammeItem) -> Need:
        earlier = [r for r in self.by_service.get(service_key(item.service), [])
                   if r.ref != item.review_ref]
        overdue = tuple(
            f"{r.ref}: {a.title}"
            for r in earlier
            for a in self.open_actions.get(int(r.id or 0), [])
            if a.due < self.today
        )
        latest = max(earlier, key=lambda r: r.created_at, default=None)
        bottom: tuple[str, ...] = ()
        if latest is not None:
            found = comparisons(self.session, int(latest.id or 0))
            bottom = tuple(c.code for c in found if c.result.quartile == 4)
        return Need(
            item.priority,
            bottom,
            overdue,
            local_date(latest.created_at).year if latest is not None else None,
            tuple(self.recommendations.get(service_key(item.service), ())),
        )


def programme_items(app: App, year: int | None = None) -> list[ItemView]:
    """The plan, year by year, each year's items ranked by need (the highest first)."""
    if year is not None:
        _year(year)
    with app.db.read() as session:
        need = _needs(session, app.now())
        views = [_view(r, need(r), app.settings.cycle_years)
                 for r in repo.programme_items(session, year)]
    return sorted(views, key=lambda v: (v.year, v.status != "planned", -v.need, v.id))


def _planned_item(session: Session, item_id: int) -> ProgrammeItem:
    row = repo.load_programme_item(session, item_id)
    if row.status != "planned":
        then = f" as {row.review_ref}" if row.review_ref else f" ({row.status_reason})"
        raise InputError(
            f"programme item {item_id} was {row.status}{then}: only a planned item can be "
            "started or dropped; 'bvflow programme add' plans another"
        )
    return row


def _none_running(session: Session, service: str) -> None:
    """One review of a service at a time: a second would split its working party and its
    record of involvement."""
    for review in repo.find_reviews(session, repo.ReviewFilter()):
        if review.status in ("active", "suspended") and service_key(review.service) == \
                service_key(service):
            raise InputError(
                f"{review.service} already has a review running: {review.ref} "
                f"({review.stage}, {review.status}); close or abandon it before starting "
                "another, or drop this item"
            )


def start_item(
    app: App,
    item_id: int,
    coordinator: str,
    title: str | None = None,
    workflow: str = "best-value",
) -> tuple[ItemView, str]:
    """Open the planned review (one transaction: the review and the item's start)."""
    coordinator = inputs.email(coordinator)
    found = resolve(workflow, app.workflows_dir)
    now = app.now()
    with app.db.write() as session:
        row = _planned_item(session, item_id)
        _none_running(session, row.service)
        named = inputs.text(title or f"Best Value review of {row.service}", "the title")
        ref = open_review(session, app, now, found, named, row.service, coordinator)
        values = {"status": "started", "review_ref": ref, "updated_at": now}
        changes.update(session, row, values)
        repo.append_event(
            session,
            NewEvent(now, app.actor, "programme.started", ref,
                     payload={"item": item_id, "service": row.service, "year": row.year}),
        )
        return _view(row, _needs(session, now)(row), app.settings.cycle_years), ref


def drop_item(app: App, item_id: int, reason: str | None) -> ItemView:
    """Take a planned review off the programme, with a reason (nothing is deleted)."""
    said = inputs.reason(reason, "dropping a planned review")
    now = app.now()
    with app.db.write() as session:
        row = _planned_item(session, item_id)
        changes.update(session, row, {"status": "dropped", "status_reason": said,
                                      "updated_at": now})
        repo.append_event(
            session,
            NewEvent(now, app.actor, "programme.dropped",
                     payload={"item": item_id, "service": row.service, "reason": said}),
        )
        return _view(row, _needs(session, now)(row), app.settings.cycle_years)


@dataclass(frozen=True)
class CycleGap(View):
    """A service whose last review is outside the cycle, with no review planned inside it."""

    service: str
    last_reviewed: int | None


def cycle_gaps(session: Session, now: datetime, cycle_years: int,
               planned: Sequence[ProgrammeItem]) -> list[CycleGap]:
    """Services of the record (reviewed or planned) that the cycle has left behind."""
    this_year = local_date(now).year
    last: dict[str, tuple[str, int | None]] = {}
    for review in repo.find_reviews(session, repo.ReviewFilter()):
        if review.status == "abandoned":
            continue
        key, year = service_key(review.service), local_date(review.created_at).year
        seen = last.get(key, (review.service, None))[1]
        last[key] = (review.service, max(year, seen or year))
    years: dict[str, list[int]] = {}
    for item in planned:
        last.setdefault(service_key(item.service), (item.service, None))
        if item.status == "planned":
            years.setdefault(service_key(item.service), []).append(item.year)
    return [CycleGap(s, y) for s, y in out_of_cycle_services(last, years, this_year, cycle_years)]


def plan_against_actual(
    session: Session, now: datetime, year: int | None, cycle_years: int
) -> dict[str, Any]:
    """For the programme report: each planned item against what happened, and the services
    the cycle has left behind (never reviewed, or not within the cycle, and none planned)."""
    this_year = local_date(now).year
    items = repo.programme_items(session)
    opened = {r.ref: local_date(r.created_at).year
              for r in repo.find_reviews(session, repo.ReviewFilter())}
    need = _needs(session, now)
    plan = []
    for row in items:
        if year is not None and row.year != year:
            continue
        view = _view(row, need(row), cycle_years)
        started = opened.get(row.review_ref) if row.review_ref else None
        outcome = (f"dropped: {row.status_reason}" if row.status == "dropped"
                   else against_plan(row.year, started, this_year))
        plan.append({**view.as_dict(), "outcome": outcome,
                     "late": outcome.endswith("late")})
    plan.sort(key=lambda p: (p["year"], -p["need"], p["id"]))
    gaps = [g.as_dict() for g in cycle_gaps(session, now, cycle_years, items)]
    return {"plan": plan, "gaps": gaps, "cycle_years": cycle_years}
