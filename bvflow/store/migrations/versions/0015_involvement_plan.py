"""the strategic plan for involvement: which categories of organisation are to be involved,
by which methods, when

``bvflow involvement plan add`` plans a category for one review (by a stage of it) or for the
authority's year (by the end of a month); ``involvement plan remove`` withdraws an entry with
a reason. Each entry is state of the chain (``involvement.planned``,
``involvement.plan_withdrawn`` events). Existing databases start with an empty plan.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bvflow.store.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    instant = bvflow.store.types.UTCDateTime(timezone=True)
    op.create_table(
        "involvement_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("methods", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("by_month", sa.String(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("withdrawn_reason", sa.String(), nullable=True),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("added_at", instant, nullable=False),
        sa.Column("updated_at", instant, nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_involvement_plan_review_id_reviews")
        ),
    )
    op.create_index("ix_involvement_plan_review_id", "involvement_plan", ["review_id"])
    op.create_index("ix_involvement_plan_year", "involvement_plan", ["year"])


def downgrade() -> None:
    op.drop_index("ix_involvement_plan_year", "involvement_plan")
    op.drop_index("ix_involvement_plan_review_id", "involvement_plan")
    op.drop_table("involvement_plan")
