"""meeting kinds: statutory and working-party meetings, notice from delivery

A meeting now has a kind (working party, committee, cabinet, council, public): the deciding
meetings follow the nation's notice rule, the others the notice the council agreed. The rule's
counting is kept as scheduled, with whether a cabinet meeting takes a key decision (England,
28 clear days). ``notice_sequence`` names the notice whose deliveries start the clock, and
``short_notice_accepted`` holds the coordinator's reason when a late delivery left someone
short. Existing meetings become working-party meetings, as they were.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(), nullable=False, server_default="working_party")
        )
        batch.add_column(
            sa.Column("key_decision", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("notice_counting", sa.String(), nullable=False, server_default="working")
        )
        batch.add_column(sa.Column("notice_sequence", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("short_notice_accepted", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        for column in (
            "short_notice_accepted",
            "notice_sequence",
            "notice_counting",
            "key_decision",
            "kind",
        ):
            batch.drop_column(column)
