"""Audit events a schema migration writes: sealed onto the chain like any other event.

A migration that puts state into the database (0007's baseline, 0010's bank holidays) records
it in an event whose hashed record carries the row changes, so ``audit verify`` replays it.
Migrations run on a bare connection, without the application's session, hence this helper.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bvflow.domain.audit import NewEvent, seal


def login_of(bind: sa.Connection) -> str:
    """Who is authenticated: PostgreSQL's session user, or the OS login on SQLite."""
    if bind.dialect.name == "postgresql":
        return str(bind.execute(sa.text("SELECT session_user")).scalar_one())
    from bvflow.identity import os_login

    return os_login()


def append_sealed(
    bind: sa.Connection, action: str, payload: dict[str, Any], changes: list[dict[str, Any]]
) -> None:
    """Seal one event after the chain's head and move the head on."""
    seq, prev = bind.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    login = login_of(bind)
    event = NewEvent(
        datetime.now(UTC),
        "bvflow db upgrade",
        action,
        payload=payload,
        changes=tuple(changes),
        login=login,
    )
    sealed = seal(event, int(seq) + 1, str(prev))
    at = sealed.at if bind.dialect.name == "postgresql" else sealed.at.replace(tzinfo=None)
    bind.execute(
        sa.text(
            "INSERT INTO audit_events (seq, at, actor, action, review, from_stage, to_stage, "
            "record, prev_hash, hash, login) VALUES (:seq, :at, :actor, :action, NULL, NULL, "
            "NULL, :record, :prev, :hash, :login)"
        ),
        {
            "seq": sealed.seq,
            "at": at,
            "actor": sealed.actor,
            "action": sealed.action,
            "record": sealed.record,
            "prev": sealed.prev_hash,
            "hash": sealed.hash,
            "login": login,
        },
    )
    bind.execute(
        sa.text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"),
        {"seq": sealed.seq, "hash": sealed.hash},
    )
