"""meeting records: who attended, who sent apologies, the minutes

A meeting now counts as held only when the coordinator records it (``meeting record``):
the organisations that attended and those that sent apologies, as JSON lists, the minutes
as an evidence row with its own disclosure class, and who recorded it when. Until then a
meeting whose time has passed is not held. Existing meetings have no record (NULL): a past
one is recorded the same way, after the event.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bvflow.store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("attended", sa.Text(), nullable=True))
        batch.add_column(sa.Column("apologies", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column(
                "minutes_id",
                sa.Integer(),
                sa.ForeignKey("evidence.id", name="fk_meetings_minutes_id_evidence"),
                nullable=True,
            )
        )
        batch.add_column(
            sa.Column(
                "held_recorded_at", bvflow.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.add_column(sa.Column("held_recorded_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        for column in ("held_recorded_by", "held_recorded_at", "minutes_id", "apologies",
                       "attended"):
            batch.drop_column(column)
