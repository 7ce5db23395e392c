"""Monitoring after the review: its improvement plan's actions stay open after it closes, and
its targets are judged against the actuals recorded since.

What reads here: the programme report's "Actions being monitored" and its per-review counts,
and the review report's Monitoring section. The writes that monitoring allows on a closed
review (``action update``, ``pi record`` of an actual) stay in ``bvflow.services.plan`` and
``bvflow.services.performance``, through ``load_monitored``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from bvflow.domain.performance import against_target
from bvflow.services.performance import IndicatorView, indicator_views
from bvflow.services.views import View
from bvflow.store import Session, repo
from bvflow.store.models import PlanAction, Review

OPEN: Final = ("planned", "in_progress")


def is_open(action: PlanAction) -> bool:
    return action.status in OPEN


def is_overdue(action: PlanAction, today: date) -> bool:
    """Open, and its due date (a London day) has passed."""
    return is_open(action) and action.due < today


@dataclass(frozen=True)
class MonitoredAction(View):
    """An open action of a closed review, as the programme lists it."""

    ref: str
    review_title: str
    id: int
    title: str
    owner: str
    due: str
    status: str
    overdue: bool


def monitored(review: Review, actions: Sequence[PlanAction], today: date) -> list[MonitoredAction]:
    """The open actions of ``review`` if it is closed: the plan that outlives its review (a
    live review's actions are followed in its own stages; an abandoned review's plan ended
    with it)."""
    if review.status != "closed":
        return []
    return [
        MonitoredAction(
            review.ref,
            review.title,
            int(a.id or 0),
            a.title,
            a.owner,
            a.due.isoformat(),
            a.status,
            is_overdue(a, today),
        )
        for a in actions
        if is_open(a)
    ]


def counts(review: Review, actions: Sequence[PlanAction], today: date) -> tuple[int, int]:
    """Open and overdue actions; none for an abandoned review, whose plan ended with it."""
    if review.status == "abandoned":
        return 0, 0
    return sum(map(is_open, actions)), sum(is_overdue(a, today) for a in actions)


def _latest(view: IndicatorView) -> tuple[str, float, bool] | None:
    """The most recent figure: the latest actual, else the baseline (marked as such)."""
    if view.actuals:
        period = max(view.actuals)
        return period, view.actuals[period], False
    if view.baseline_period is not None and view.baseline_value is not None:
        return view.baseline_period, view.baseline_value, True
    return None


def figure(value: float | None, unit: str) -> str:
    """A value as a report writes it: ``40%``, ``52 GBP``, ``-`` for none."""
    if value is None:
        return "-"
    return f"{value:g}{unit}" if unit in ("", "%") else f"{value:g} {unit}"


def _targets(view: IndicatorView) -> list[dict[str, Any]]:
    latest = _latest(view)
    found = []
    for period, target in sorted(view.targets.items()):
        actual = view.actuals.get(period)
        since = None
        if actual is None and latest is not None:
            since = f"{figure(latest[1], view.unit)} in {latest[0]}" + (
                ", the baseline" if latest[2] else ""
            )
        found.append(
            {
                "code": view.code,
                "name": view.name,
                "period": period,
                "target": figure(target, view.unit),
                "actual": figure(actual, view.unit),
                "result": against_target(target, actual, view.higher_is_better),
                "latest": since,
            }
        )
    return found


def monitoring_of(session: Session, review_id: int, today: date) -> dict[str, Any]:
    """The review report's Monitoring section: each indicator target against the actual
    for its period (met, not met, no figure yet), and the plan's progress."""
    targets = [t for view in indicator_views(session, review_id) for t in _targets(view)]
    actions = repo.actions_for(session, review_id)
    progress = {
        "done": sum(a.status == "done" for a in actions),
        "open": sum(map(is_open, actions)),
        "overdue": sum(is_overdue(a, today) for a in actions),
        "dropped": sum(a.status == "dropped" for a in actions),
    }
    return {"targets": targets, "progress": progress, "actions": len(actions)}
