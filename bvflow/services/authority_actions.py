"""The authority's own improvement actions: those that belong to no single review.

A competency self-assessment's development actions, an inspection's recommendations and the
authority's corporate actions join the improvement-plan machinery (``plan_actions``): an
owner, a due date, the same statuses, and the same due-soon and overdue reminders from
``bvflow sweep``, to the owner. Each is state of the audit chain: ``action.added``
(carried by the event of whatever made it: a finding, an assessment, ``improvement add``)
and ``action.updated``, both with no review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import local_date
from bvflow.errors import InputError
from bvflow.services.app import App
from bvflow.services.plan import apply_change, checked_change
from bvflow.services.service_indicators import known_service
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import PlanAction

# Where an authority action comes from; "authority" is one the authority set itself.
SOURCES: Final = ("authority", "competency", "inspection")
OPEN: Final = ("planned", "in_progress")


@dataclass(frozen=True)
class AuthorityActionView(View):
    id: int
    source: str
    source_id: int | None
    service: str | None
    title: str
    owner: str
    due: str
    priority: str
    status: str
    overdue: bool


def view(row: PlanAction, today: date) -> AuthorityActionView:
    return AuthorityActionView(
        int(row.id or 0),
        str(row.source),
        row.source_id,
        row.service,
        row.title,
        row.owner,
        row.due.isoformat(),
        row.priority,
        row.status,
        row.status in OPEN and row.due < today,
    )


def _source(value: str) -> str:
    if value not in SOURCES:
        raise InputError(f"source must be one of {', '.join(SOURCES)}")
    return value


def new_action(
    app: App,
    session: Session,
    now: datetime,
    *,
    source: str,
    source_id: int | None,
    service: str | None,
    title: str,
    owner: str,
    due: date,
    priority: str = "",
) -> PlanAction:
    """Insert an authority action inside the caller's write transaction and return it (its id
    set). It appends no event: the caller's next event carries the insert, and should name
    the action in its payload."""
    row = PlanAction(
        review_id=None,
        source=_source(source),
        source_id=source_id,
        service=known_service(session, service) if service is not None else None,
        title=inputs.text(title, "the title", max_length=300),
        owner=inputs.email(owner),
        due=due,
        priority=inputs.text(priority, "the priority", max_length=200, required=False),
        added_by=app.actor,
        added_at=now,
        updated_at=now,
    )
    changes.insert(session, row)
    return row


def payload_of(row: PlanAction) -> dict[str, object]:
    """What an event says of an action it adds."""
    return {
        "action_id": row.id,
        "source": row.source,
        "source_id": row.source_id,
        "service": row.service,
        "title": row.title,
        "owner": row.owner,
        "due": row.due.isoformat(),
        "priority": row.priority,
    }


def add_authority_action(
    app: App,
    title: str,
    owner: str,
    due: date,
    service: str | None = None,
    priority: str = "",
) -> AuthorityActionView:
    """An action the authority sets itself (``bvflow improvement add``): e.g. for an indicator
    off target outside any review, or a council resolution."""
    now = app.now()
    with app.db.write() as session:
        row = new_action(
            app, session, now, source="authority", source_id=None, service=service,
            title=title, owner=owner, due=due, priority=priority,
        )
        repo.append_event(session, NewEvent(now, app.actor, "action.added",
                                            payload=payload_of(row)))
        return view(row, local_date(now))


def update_authority_action(
    app: App,
    action_id: int,
    status: str | None = None,
    due: date | None = None,
    owner: str | None = None,
) -> AuthorityActionView:
    """Change an authority action's status, due date or owner (audited, with the values
    before). A done or dropped action stays on the record."""
    owner = checked_change(status, due, owner)
    now = app.now()
    with app.db.write() as session:
        row = repo.load_authority_action(session, action_id)
        before, after = apply_change(session, row, status, due, owner, now)
        repo.append_event(
            session,
            NewEvent(now, app.actor, "action.updated",
                     payload={"action_id": action_id, "source": row.source,
                              "before": before, "after": after}),
        )
        return view(row, local_date(now))


def authority_actions(
    app: App, source: str | None = None, service: str | None = None
) -> list[AuthorityActionView]:
    """The authority's actions, soonest due first, each marked overdue if it is."""
    if source is not None:
        _source(source)
    today = local_date(app.now())
    with app.db.read() as session:
        return [view(r, today) for r in repo.authority_actions(session, source, service)]


def actions_for_source(
    session: Session, source: str, source_ids: list[int] | set[int]
) -> list[PlanAction]:
    """The actions answering given rows of one source, for that source's own reports."""
    return list(repo.actions_for_source(session, _source(source), source_ids))
