"""service indicators: outturns recorded each year whether or not a review is running

An indicator belongs to a review (as before) or to a service (``service``, no review), so
the annual performance plan can show each service's trend, targets and comparison with
other authorities. ``tolerance`` gives each figure a status: on target, within tolerance,
off target. Comparators' figures may be a service's too. Existing rows are all reviews'.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indicators") as batch:
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("service", sa.String(), nullable=True))
        batch.add_column(sa.Column("tolerance", sa.Float(), nullable=True))
        batch.create_index("ix_indicators_service", ["service"], unique=False)
    with op.batch_alter_table("comparators") as batch:
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("service", sa.String(), nullable=True))
        batch.create_index("ix_comparators_service", ["service"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM comparators WHERE review_id IS NULL")
    op.execute(
        "DELETE FROM indicator_values WHERE indicator_id IN "
        "(SELECT id FROM indicators WHERE review_id IS NULL)"
    )
    op.execute("DELETE FROM indicators WHERE review_id IS NULL")
    with op.batch_alter_table("comparators") as batch:
        batch.drop_index("ix_comparators_service")
        batch.drop_column("service")
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("indicators") as batch:
        batch.drop_index("ix_indicators_service")
        batch.drop_column("tolerance")
        batch.drop_column("service")
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=False)
