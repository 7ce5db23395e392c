"""calendar openings: bank holidays the council works

A council that works a bank holiday (Scottish councils often close on local holidays
instead) records it with ``bvflow calendar open DAY --reason``; the day then counts as a
working day for its reviews. The table is part of the state the audit chain carries.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bvflow.store.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openings",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_openings")),
    )


def downgrade() -> None:
    op.drop_table("openings")
