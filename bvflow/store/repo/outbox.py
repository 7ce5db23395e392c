"""Watchers and the outbox: who is sent a review's notices, and the queue of messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from bvflow.errors import NotFoundError
from bvflow.store import changes
from bvflow.store.models import (
    OutboxMessage,
    Watcher,
)


def watchers_for(session: Session, review_id: int) -> Sequence[Watcher]:
    return session.exec(
        select(Watcher).where(col(Watcher.review_id) == review_id).order_by(col(Watcher.id))
    ).all()


def watchers_by_review(session: Session) -> dict[int, list[Watcher]]:
    found: dict[int, list[Watcher]] = {}
    for row in session.exec(select(Watcher).order_by(col(Watcher.id))).all():
        found.setdefault(row.review_id, []).append(row)
    return found


def add_watcher(session: Session, watcher: Watcher) -> bool:
    """Add a watcher; False if that address already watches the review."""
    exists = session.exec(
        select(Watcher).where(
            col(Watcher.review_id) == watcher.review_id, col(Watcher.email) == watcher.email
        )
    ).first()
    if exists is not None:
        return False
    changes.insert(session, watcher)
    return True


def remove_watcher(session: Session, review_id: int, email: str) -> bool:
    row = session.exec(
        select(Watcher).where(col(Watcher.review_id) == review_id, col(Watcher.email) == email)
    ).first()
    if row is None:
        return False
    changes.delete(session, row)
    return True


@dataclass(frozen=True)
class Delivery:
    """One recipient's copy of a notice: who, in which role, and whether it was delivered."""

    email: str
    name: str
    role: str | None
    status: str
    sent_at: datetime | None


def deliveries(session: Session, key: str) -> list[Delivery]:
    """Every recipient's copy of the notice queued under ``key`` (``meeting:3:0``)."""
    rows = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.dedupe_key).startswith(f"{key}:", autoescape=True))
        .order_by(col(OutboxMessage.id))
    ).all()
    return [
        Delivery(
            row.recipient,
            row.recipient_name,
            json.loads(row.context).get("recipient", {}).get("role"),
            row.status,
            row.sent_at,
        )
        for row in rows
    ]


def queued_times(session: Session, meeting_id: int) -> dict[int, datetime]:
    """The start time each notice sequence of a meeting announced, as queued."""
    rows = session.exec(
        select(OutboxMessage.dedupe_key, OutboxMessage.context).where(
            col(OutboxMessage.dedupe_key).startswith(f"meeting:{meeting_id}:", autoescape=True)
        )
    ).all()
    found: dict[int, datetime] = {}
    for key, context in rows:
        sequence = int(key.split(":")[2])
        if sequence not in found:
            found[sequence] = datetime.fromisoformat(json.loads(context)["meeting"]["starts_at"])
    return found


def messages_queued_until(session: Session, until: datetime) -> Sequence[OutboxMessage]:
    """The outbox rows queued by ``until``, oldest first (views of the past)."""
    return session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.created_at) <= until)
        .order_by(col(OutboxMessage.id))
    ).all()


def queue_messages(
    session: Session, rows: Sequence[OutboxMessage], *, keys_are_new: bool = False
) -> int:
    """Insert outbox rows, skipping any whose dedupe key exists; returns how many were new.

    ``keys_are_new`` (a notice keyed by the event just appended) skips reading the keys
    first; the insert still skips a key that exists.
    """
    known = set() if keys_are_new else existing_keys(session, [row.dedupe_key for row in rows])
    fresh = [row.model_dump(exclude={"id"}) for row in rows if row.dedupe_key not in known]
    if not fresh:
        return 0
    # One prebuilt statement, executed for many rows (SQLAlchemy batches them as multi-row
    # VALUES); ON CONFLICT still guards against a concurrent sweep inserting the same key,
    # and RETURNING counts what was inserted on both backends (rowcount is -1 on psycopg).
    statement = _queue_statement(session.get_bind().dialect.name)
    return len(session.connection().execute(statement, fresh).all())


_QUEUE: dict[str, Any] = {}


def _queue_statement(dialect: str) -> Any:
    if dialect not in _QUEUE:
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        _QUEUE[dialect] = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table.c.id)
        )
    return _QUEUE[dialect]


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        found |= set(
            session.exec(
                select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(chunk))
            ).all()
        )
    return found


def claim_due(
    session: Session, now: datetime, lease_until: datetime, limit: int
) -> list[OutboxMessage]:
    """Take up to ``limit`` messages due now (or whose sender's lease ran out) for sending."""
    due = or_(
        and_(col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) <= now),
        and_(col(OutboxMessage.status) == "sending", col(OutboxMessage.claimed_until) < now),
    )
    query = select(OutboxMessage).where(due).order_by(col(OutboxMessage.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.exec(query).all())
    for row in rows:
        row.status, row.claimed_until, row.attempts = "sending", lease_until, row.attempts + 1
        session.add(row)
    session.flush()
    return rows


def messages_by_id(session: Session, ids: Sequence[int]) -> dict[int, OutboxMessage]:
    found: dict[int, OutboxMessage] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for row in session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(chunk))):
            found[int(row.id or 0)] = row
    return found


def load_message(session: Session, message_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFoundError(f"no outbox message {message_id}; 'bvflow outbox list' shows them")
    return row


@dataclass(frozen=True)
class OutboxFilter:
    status: str | None = None
    review_id: int | None = None


def find_messages(session: Session, where: OutboxFilter) -> Sequence[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if where.status:
        query = query.where(col(OutboxMessage.status) == where.status)
    if where.review_id is not None:
        query = query.where(col(OutboxMessage.review_id) == where.review_id)
    return session.exec(query).all()


def waiting_since(
    session: Session, before: datetime, review_id: int | None = None
) -> tuple[int, datetime | None]:
    """Messages queued before ``before`` and still not delivered: how many, and the oldest."""
    query = select(func.count(), func.min(OutboxMessage.created_at)).where(
        col(OutboxMessage.status).in_(["pending", "sending"]),
        col(OutboxMessage.created_at) < before,
    )
    if review_id is not None:
        query = query.where(col(OutboxMessage.review_id) == review_id)
    count, oldest = session.exec(query).one()
    return int(count), oldest
