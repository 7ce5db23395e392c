"""the calendar in force is data: the nation's bank holidays stored, in an audit event

Until now each command asked the ``holidays`` package for the bank holidays, so a package
upgrade could move a period that had already run, and the record did not say which calendar a
date came from. From this revision they are stored in ``bank_holidays`` (part of the state the
chain carries). A database with an authority gets its nation's days, from the year it was set
up to nine years ahead, in one ``calendar.holidays_stored`` event; ``bvflow calendar refresh``
updates them later, audited.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from bvflow.store.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_bank_holidays")),
    )
    _store(op.get_bind())


def _store(bind: sa.Connection) -> None:
    from importlib.metadata import version

    from bvflow.domain.calendar import library_holidays
    from bvflow.store.changes import STATE_TABLES, Change, encode_row
    from bvflow.store.migration_events import append_sealed

    authority = bind.execute(sa.text("SELECT nation, created_at FROM authority")).first()
    if authority is None:
        return
    nation, created = authority
    first = int(str(created)[:4])
    now = datetime.now(UTC)
    years = range(min(first, now.year), now.year + 10)  # as bvflow init stores them
    table = STATE_TABLES["bank_holidays"]
    source = f"holidays {version('holidays')}"
    days: dict[date, str] = {}
    for year in years:
        days.update(library_holidays(nation, year))
    # Replay clears the table first: a database downgraded past this revision and upgraded
    # again had rows from its init event that the downgrade dropped.
    changes = [Change("clear", "bank_holidays", {}, {}).as_json()]
    for day, name in sorted(days.items()):
        row = {"day": day, "name": name, "source": source, "added_at": now}
        bind.execute(table.insert().values(**row))
        values = encode_row(table, row)
        key = {"day": values.pop("day")}
        changes.append(Change("insert", "bank_holidays", key, values).as_json())
    append_sealed(
        bind,
        "calendar.holidays_stored",
        {"source": source, "years": [years[0], years[-1]], "stored": len(days)},
        changes,
    )


def downgrade() -> None:
    op.drop_table("bank_holidays")
