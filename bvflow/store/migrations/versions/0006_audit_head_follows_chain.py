"""audit head: it moves only with the chain

The head row (``audit_head``) records the last event's sequence number and hash, and is
updated with every append. Until now any role that could append could also set it by hand
(``UPDATE audit_head SET seq = 1``), after which verify named the wrong event and every later
append failed on a duplicate key. A trigger now lets the head change only to the event just
appended (sequence + 1, with that event's hash) or to itself (the no-op update that locks it
for an append); it can be neither deleted nor added to. On SQLite and PostgreSQL alike.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# COALESCE: with no event at NEW.seq the comparison must be false, not NULL (which a WHEN
# clause would read as "do not fire").
MOVES_WITH_THE_CHAIN = (
    "NEW.id = OLD.id AND ((NEW.seq = OLD.seq AND NEW.hash = OLD.hash) OR "
    "(NEW.seq = OLD.seq + 1 AND NEW.hash = "
    "COALESCE((SELECT hash FROM audit_events WHERE seq = NEW.seq), '')))"
)
SQLITE = [
    f"""CREATE TRIGGER audit_head_follows_chain BEFORE UPDATE ON audit_head
        WHEN NOT ({MOVES_WITH_THE_CHAIN})
        BEGIN SELECT RAISE(ABORT, 'the audit head moves only with the chain'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
       BEGIN SELECT RAISE(ABORT, 'the audit head moves only with the chain'); END""",
    """CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
       BEGIN SELECT RAISE(ABORT, 'the audit head moves only with the chain'); END""",
]
POSTGRES = [
    f"""CREATE FUNCTION bvflow_audit_head_follows() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND {MOVES_WITH_THE_CHAIN} THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'the audit head moves only with the chain';
        END $$""",
    """CREATE TRIGGER audit_head_follows_chain BEFORE INSERT OR UPDATE OR DELETE ON audit_head
       FOR EACH ROW EXECUTE FUNCTION bvflow_audit_head_follows()""",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
       FOR EACH STATEMENT EXECUTE FUNCTION bvflow_audit_append_only()""",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES if postgres else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER audit_head_follows_chain ON audit_head")
        op.execute("DROP FUNCTION bvflow_audit_head_follows()")
    else:
        for name in ("audit_head_no_insert", "audit_head_no_delete", "audit_head_follows_chain"):
            op.execute(f"DROP TRIGGER {name}")
