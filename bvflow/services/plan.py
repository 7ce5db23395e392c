"""The improvement plan: actions with owners, due dates and the indicator targets they serve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from bvflow import inputs
from bvflow.errors import InputError
from bvflow.services.app import App, Loaded, load_live, load_monitored, record_change
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import PlanAction

STATUSES: Final = ("planned", "in_progress", "done", "dropped")


@dataclass(frozen=True)
class ActionView(View):
    id: int
    title: str
    owner: str
    due: str
    indicator: str | None
    priority: str
    status: str


def _view(row: PlanAction) -> ActionView:
    return ActionView(
        int(row.id or 0),
        row.title,
        row.owner,
        row.due.isoformat(),
        row.indicator_code,
        row.priority,
        row.status,
    )


def add_action(
    app: App,
    ref: str,
    title: str,
    owner: str,
    due: date,
    indicator: str | None = None,
    priority: str = "",
) -> ActionView:
    """Add an action to the improvement plan."""
    title = inputs.text(title, "the title", max_length=300)
    owner = inputs.email(owner)
    priority = inputs.text(priority, "the priority", max_length=200, required=False)
    loaded = load_live(app, ref, "add an action to")
    now = app.now()
    with app.db.write() as session:
        review_id = int(loaded.review.id or 0)
        if indicator is not None:
            repo.indicator(session, review_id, indicator)
        row = PlanAction(
            review_id=review_id,
            title=title,
            owner=owner,
            due=due,
            indicator_code=indicator,
            priority=priority,
            added_by=app.actor,
            added_at=now,
            updated_at=now,
        )
        changes.insert(session, row)
        record_change(
            session,
            app,
            now,
            loaded,
            "action.added",
            {
                "action_id": row.id,
                "title": title,
                "owner": owner,
                "due": due.isoformat(),
                "indicator": indicator,
                "priority": priority,
            },
        )
    return _view(row)


def checked_change(status: str | None, due: date | None, owner: str | None) -> str | None:
    """An action update's input, checked before anything is read: the owner normalised."""
    if status is None and due is None and owner is None:
        raise InputError("give --status, --due or --owner")
    if status is not None and status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}")
    return inputs.email(owner) if owner is not None else None


def apply_change(
    session: Session, row: PlanAction, status: str | None, due: date | None,
    owner: str | None, now: datetime,
) -> tuple[dict[str, str], dict[str, str]]:
    """Change a plan action (a review's or the authority's) in the caller's transaction;
    the values before and after, for its event."""
    def values() -> dict[str, str]:
        return {"status": row.status, "due": row.due.isoformat(), "owner": row.owner}

    before = values()
    changes.update(session, row, {"status": status or row.status, "due": due or row.due,
                                  "owner": owner or row.owner, "updated_at": now})
    return before, values()


def update_action(
    app: App,
    ref: str,
    action_id: int,
    status: str | None = None,
    due: date | None = None,
    owner: str | None = None,
) -> ActionView:
    """Change an action's status, due date or owner (audited, with the values before).

    A closed review's plan is still monitored, so its actions may be updated; an abandoned
    review's may not."""
    owner = checked_change(status, due, owner)
    loaded = load_monitored(app, ref, "update an action of")
    now = app.now()
    with app.db.write() as session:
        row = repo.load_action(session, int(loaded.review.id or 0), action_id)
        before, after = apply_change(session, row, status, due, owner, now)
        record_change(
            session,
            app,
            now,
            loaded,
            "action.updated",
            {
                "action_id": action_id,
                "before": before,
                "after": after,
            },
        )
    return _view(row)


def actions(app: App, ref: str) -> list[ActionView]:
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        return [_view(a) for a in repo.actions_for(session, int(review.id or 0))]


def plan_facts(session: Session, loaded: Loaded, _now: datetime) -> dict[str, Any]:
    """For the ``improvement_plan`` requirement: the live actions, and the indicator targets
    that no action serves."""
    review_id = int(loaded.review.id or 0)
    rows = repo.actions_for(session, review_id)
    live = [a for a in rows if a.status != "dropped"]
    served = {a.indicator_code for a in live if a.indicator_code}
    indicators = repo.indicators_for(session, review_id)
    values = repo.indicator_values(session, [int(i.id or 0) for i in indicators])
    with_target = {
        i.code
        for i in indicators
        if any(v.indicator_id == i.id and v.kind == "target" for v in values)
    }
    return {"actions": len(live), "targets_without_action": tuple(sorted(with_target - served))}
