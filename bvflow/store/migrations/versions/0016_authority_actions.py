"""the authority's own actions: improvement actions that belong to no single review

An improvement action from a competency self-assessment, an inspection's recommendation or
the authority itself (``bvflow improvement add``) goes in ``plan_actions`` beside the reviews'
plans, so it has the same owner, due date, statuses and reminders. Such a row has no
``review_id``; ``source`` says where it comes from, ``source_id`` which row it answers, and
``service`` the service it concerns. Existing actions are all reviews' (``source`` NULL).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_actions") as batch:
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("source", sa.String(), nullable=True))
        batch.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("service", sa.String(), nullable=True))
        batch.create_index("ix_plan_actions_source", ["source"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM plan_actions WHERE review_id IS NULL")
    with op.batch_alter_table("plan_actions") as batch:
        batch.drop_index("ix_plan_actions_source")
        batch.drop_column("service")
        batch.drop_column("source_id")
        batch.drop_column("source")
        batch.alter_column("review_id", existing_type=sa.Integer(), nullable=False)
