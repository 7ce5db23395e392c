"""audit events: INSERT OR REPLACE refused on SQLite

SQLite fires no DELETE trigger for the row an ``INSERT OR REPLACE`` removes (unless
``recursive_triggers`` is on, which a tamperer's own sqlite3 session would not set), so the
append-only guard of 0001 let ``REPLACE INTO audit_events`` rewrite an event. A BEFORE INSERT
trigger refuses any insert whose sequence number is already taken. PostgreSQL has no REPLACE;
nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_REPLACE = """CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(NO_REPLACE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_events_no_replace")
