"""the review programme: services planned for review, year by year

``bvflow programme add`` plans a service's review for a year with a priority and a reason;
``programme start`` opens the review from the plan and records its reference on the item.
Each item is state of the chain (``programme.planned``, ``programme.started``,
``programme.dropped`` events). Existing databases start with an empty programme.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bvflow.store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    instant = bvflow.store.types.UTCDateTime(timezone=True)
    op.create_table(
        "programme_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("review_ref", sa.String(), nullable=True),
        sa.Column("status_reason", sa.String(), nullable=True),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("added_at", instant, nullable=False),
        sa.Column("updated_at", instant, nullable=False),
    )
    op.create_index("ix_programme_items_year", "programme_items", ["year"])


def downgrade() -> None:
    op.drop_index("ix_programme_items_year", "programme_items")
    op.drop_table("programme_items")
