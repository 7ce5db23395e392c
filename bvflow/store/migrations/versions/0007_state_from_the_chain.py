"""audit events carry the state: who was authenticated, the server's clock, corrections, a baseline

From this revision every change to a state table is carried, as row changes, in the hashed
record of the event that made it, so ``audit verify`` can rebuild the state from the chain
and compare. Events gain ``login`` (who was authenticated: the OS login on SQLite,
``session_user`` on PostgreSQL, where a trigger refuses any other value) and
``recorded_at`` (PostgreSQL: the server's ``clock_timestamp()``, set by the same trigger).

A database that already holds reviews gets one ``audit.baseline`` event carrying every
state row as it stands at the upgrade (replay clears each table, then inserts them): from
here on, the chain accounts for all of it. Downgrading and upgrading again takes another. What
was changed before the upgrade without an event cannot be found this way; docs/audit.md says so.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bvflow.store.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES = [
    """CREATE FUNCTION bvflow_audit_authenticated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.login IS DISTINCT FROM session_user::text THEN
            RAISE EXCEPTION 'an audit event records the session user %, not %',
              session_user, NEW.login;
          END IF;
          NEW.recorded_at := clock_timestamp();
          RETURN NEW;
        END $$""",
    """CREATE TRIGGER audit_events_authenticated BEFORE INSERT ON audit_events
       FOR EACH ROW EXECUTE FUNCTION bvflow_audit_authenticated()""",
]


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.add_column("audit_events", sa.Column("login", sa.String(), nullable=True))
    op.add_column("audit_events", sa.Column("recorded_at", sa.DateTime(timezone=True)))
    if postgres:
        for statement in POSTGRES:
            op.execute(statement)
    # Whether --actor may name anyone but the login: the database's policy, not a setting
    # any user could point elsewhere.
    with op.batch_alter_table("authority") as batch:
        batch.add_column(
            sa.Column("allow_acting_for", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    # Corrections, never deletions: what is withdrawn stays, marked, and every amendment or
    # withdrawal is a row of its own with the values before and after.
    for table in ("evidence", "activities", "agreements"):
        op.add_column(table, sa.Column("withdrawn_at", UTCDateTime(), nullable=True))
        op.add_column(table, sa.Column("withdrawn_reason", sa.String(), nullable=True))
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("corrected_by", sa.String(), nullable=False),
        sa.Column("corrected_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_corrections_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index(op.f("ix_corrections_review_id"), "corrections", ["review_id"])
    _baseline(bind)


def _baseline(bind: sa.Connection) -> None:
    """Seal the state as it stands into one event, if there is any state."""
    from bvflow.store.changes import STATE_TABLES, Change, encode_row
    from bvflow.store.migration_events import append_sealed

    found = sa.inspect(bind)
    changes = []
    rows = 0
    for name, table in STATE_TABLES.items():
        if not found.has_table(name):  # a table a later revision adds: nothing to seal yet
            continue
        changes.append(Change("clear", name, {}, {}).as_json())
        present = {c["name"] for c in found.get_columns(name)}
        columns = [c for c in table.columns if c.name in present]
        primary = [c.name for c in table.primary_key.columns]
        for row in bind.execute(sa.select(*columns).order_by(*table.primary_key.columns)):
            values = encode_row(table, dict(row._mapping))
            key = {k: values.pop(k) for k in primary}
            changes.append(Change("insert", name, key, values).as_json())
            rows += 1
    if not rows:
        return
    append_sealed(
        bind,
        "audit.baseline",
        {"why": "the state as it stood when events began to carry it"},
        changes,
    )


def downgrade() -> None:
    with op.batch_alter_table("authority") as batch:
        batch.drop_column("allow_acting_for")
    op.drop_index(op.f("ix_corrections_review_id"), table_name="corrections")
    op.drop_table("corrections")
    for table in ("evidence", "activities", "agreements"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("withdrawn_reason")
            batch.drop_column("withdrawn_at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_authenticated ON audit_events")
        op.execute("DROP FUNCTION bvflow_audit_authenticated()")
    # Not batch mode: copying audit_events would trip the append-only triggers. SQLite has
    # dropped columns in place since 3.35.
    op.execute("ALTER TABLE audit_events DROP COLUMN recorded_at")
    op.execute("ALTER TABLE audit_events DROP COLUMN login")
