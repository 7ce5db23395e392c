"""The audit chain: appending an event (with the row changes it carries and the login),
reading events back, the head, and the guards that keep the chain append-only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import bindparam, func, insert, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from bvflow.domain.actions import ACTIONS
from bvflow.domain.audit import NewEvent, SealedEvent, seal
from bvflow.errors import ClockError, InputError, StoreError
from bvflow.identity import os_login
from bvflow.store import changes
from bvflow.store.models import (
    AuditEvent,
    AuditHead,
)
from bvflow.store.repo.reviews import find_authority

# Longer than the busy timeout a command may wait for another's write lock, with room to spare.
CLOCK_TOLERANCE: Final = timedelta(minutes=5)


def append_event(session: Session, event: NewEvent, *, in_order: bool = True) -> SealedEvent:
    """Seal ``event``, with the row changes made since the last event, onto the chain.

    Updating the head row first serialises appends. With ``in_order`` (every change a
    person makes), an event stamped well before the review's last event is refused: a clock
    set back must not let a resume precede its suspend. Commands stamp the time before they
    wait for the write lock, so two that ran together may commit a moment out of order:
    ``CLOCK_TOLERANCE`` allows for that. Delivery records pass ``in_order=False``: they
    report what happened, whenever it did.
    """
    if event.action not in ACTIONS:  # a programming error: every action is in the vocabulary
        raise ValueError(f"unknown audit action {event.action!r}: add it to ACTIONS")
    connection = session.connection()
    head = connection.execute(_LOCK_HEAD).first()
    if head is None:
        raise StoreError("the audit chain has no head row; the database was not initialised")
    if in_order and event.review is not None:
        _check_order(connection, event)
    carried = tuple(changes.take_pending(session)) + tuple(event.changes)
    login = event.login or authenticated(session)
    if in_order and event.actor != login:
        _check_acting_for(session, event.actor, login)
    sealed = seal(replace(event, changes=carried, login=login), head.seq + 1, head.hash)
    connection.execute(
        _INSERT_EVENT,
        {
            "seq": sealed.seq,
            "at": sealed.at,
            "actor": sealed.actor,
            "action": sealed.action,
            "review": sealed.review,
            "from_stage": sealed.from_stage,
            "to_stage": sealed.to_stage,
            "record": sealed.record,
            "prev_hash": sealed.prev_hash,
            "hash": sealed.hash,
            "login": sealed.login,
        },
    )
    connection.execute(_MOVE_HEAD, {"new_seq": sealed.seq, "new_hash": sealed.hash})
    return sealed


# Prebuilt Core statements on the model's tables: an append is three statements, with no ORM
# objects. The no-op update takes the head row's lock first (on SQLite the write lock is
# already held by BEGIN IMMEDIATE), so appends are serialised on every backend.
_EVENTS: Final = AuditEvent.__table__  # type: ignore[attr-defined]
_HEAD: Final = AuditHead.__table__  # type: ignore[attr-defined]
_LOCK_HEAD: Final = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq)
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_INSERT_EVENT: Final = insert(_EVENTS)
_MOVE_HEAD: Final = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


_SESSION_USERS: dict[str, str] = {}


# Set on a write session when the settings forbid naming someone other than the login.
NO_ACTING_FOR: Final = "bvflow.no_acting_for"


def authenticated(session: Session) -> str:
    """Who the database or the OS authenticated: PostgreSQL's session_user, else the login.

    Not ``--actor`` (which anyone may type) and not ``$USER`` (which anyone may set).
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return os_login()
    key = bind.engine.url.render_as_string(hide_password=True)
    if key not in _SESSION_USERS:
        _SESSION_USERS[key] = str(session.execute(text("SELECT session_user")).scalar_one())
    return _SESSION_USERS[key]


def _check_acting_for(session: Session, actor: str, login: str) -> None:
    """Refuse naming someone other than the login where the database or the settings say so.

    Delivery records (not ``in_order``) name the system, not a person, and are not refused.
    """
    authority = find_authority(session)
    if authority is not None and not authority.allow_acting_for:
        raise InputError(
            f"--actor {actor!r} is not who is logged in ({login}), and this database forbids "
            "acting for another (set by 'bvflow init --acting-for forbid')"
        )
    if session.info.get(NO_ACTING_FOR):
        raise InputError(
            f"--actor {actor!r} is not who is logged in ({login}), and the settings forbid "
            "acting for another ([audit] allow_acting_for = false)"
        )


def _check_order(connection: Connection, event: NewEvent) -> None:
    last = connection.execute(
        sa_select(func.max(_EVENTS.c.at)).where(_EVENTS.c.review == event.review)
    ).scalar_one()
    if last is not None and event.at < last - CLOCK_TOLERANCE:
        raise ClockError(event.review or "", event.at, last)


def _sealed(row: AuditEvent) -> SealedEvent:
    return SealedEvent(
        row.seq,
        row.at,
        row.actor,
        row.action,
        row.review,
        row.from_stage,
        row.to_stage,
        row.record,
        row.prev_hash,
        row.hash,
        row.login,
    )


def iter_events(session: Session, batch: int = 5000) -> Iterator[SealedEvent]:
    """Every event in sequence order, fetched in batches."""
    # Plain column tuples, not ORM objects: verifying a million events is dominated by this.
    columns = AuditEvent.__table__.c  # type: ignore[attr-defined]
    after = 0
    while True:
        rows = session.execute(
            sa_select(
                columns.seq,
                columns.at,
                columns.actor,
                columns.action,
                columns.review,
                columns.from_stage,
                columns.to_stage,
                columns.record,
                columns.prev_hash,
                columns.hash,
                columns.login,
            )
            .where(columns.seq > after)
            .order_by(columns.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield SealedEvent(*row)
        after = rows[-1][0]


@dataclass(frozen=True)
class EventFilter:
    review: str | None = None
    actor: str | None = None
    actions: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    newest_first: bool = False
    without_prefix: str | None = None


def find_events(session: Session, where: EventFilter) -> list[SealedEvent]:
    query = select(AuditEvent)
    if where.review:
        query = query.where(col(AuditEvent.review) == where.review)
    if where.actor:
        query = query.where(col(AuditEvent.actor) == where.actor)
    if where.actions:
        query = query.where(col(AuditEvent.action).in_(where.actions))
    if where.since:
        query = query.where(col(AuditEvent.at) >= where.since)
    if where.until:
        query = query.where(col(AuditEvent.at) < where.until)
    if where.without_prefix:
        query = query.where(col(AuditEvent.action).not_like(f"{where.without_prefix}%"))
    order = col(AuditEvent.seq).desc() if where.newest_first else col(AuditEvent.seq)
    query = query.order_by(order)
    if where.limit:
        query = query.limit(where.limit)
    return [_sealed(row) for row in session.exec(query).all()]


def events_until(session: Session, moment: datetime) -> int:
    """How far the record had got at ``moment``: the events before the first one stamped
    after it. A prefix, so that what is replayed is a state the chain really passed through
    even where stamps go back (a clock corrected, a delivery recorded late)."""
    later = session.exec(select(func.min(AuditEvent.seq)).where(col(AuditEvent.at) > moment)).one()
    if later is not None:
        return int(later) - 1
    return chain_head(session)[0]


# The triggers that keep the chain append-only and its head following it (migrations 0001,
# 0005, 0006, 0007), by backend.
GUARDS: Final = {
    "sqlite": (
        "audit_events_no_update",
        "audit_events_no_delete",
        "audit_events_no_replace",
        "audit_head_follows_chain",
        "audit_head_no_delete",
        "audit_head_no_insert",
    ),
    "postgresql": (
        "audit_events_append_only",
        "audit_events_authenticated",
        "audit_head_follows_chain",
        "audit_head_no_truncate",
    ),
}


def missing_guards(session: Session) -> list[str]:
    """The chain's guard triggers that were dropped (or, on PostgreSQL, disabled)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname IN ('audit_events', 'audit_head') "
            "AND c.relnamespace = to_regnamespace(current_schema())::oid "
            "AND t.tgenabled <> 'D'"
        )
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    present = {str(row[0]) for row in session.execute(text(query))}
    return [name for name in GUARDS.get(dialect, ()) if name not in present]


def chain_head(session: Session) -> tuple[int, str]:
    # Core, not session.get: an append moves the head without the ORM's identity map.
    head = session.execute(sa_select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).first()
    if head is None:
        raise StoreError("the audit chain has no head row; the database was not initialised")
    return int(head.seq), str(head.hash)


def count_events(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEvent)).one())
