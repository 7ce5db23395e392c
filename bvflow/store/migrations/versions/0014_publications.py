"""the public site's publication clock: when each meeting's notice and papers went out

``bvflow publish --out DIR`` writes the public site; the first time it puts a meeting's
notice (at the time announced) or one of its public papers on the site, it records a row
here (``publication.published`` event), so the public notice of a committee, cabinet or
council meeting counts from publication. Existing databases start with none.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bvflow.store.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    instant = bvflow.store.types.UTCDateTime(timezone=True)
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "review_id",
            sa.Integer(),
            sa.ForeignKey("reviews.id", name="fk_publications_review_id_reviews"),
            nullable=False,
        ),
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("meetings.id", name="fk_publications_meeting_id_meetings"),
            nullable=False,
        ),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column(
            "evidence_id",
            sa.Integer(),
            sa.ForeignKey("evidence.id", name="fk_publications_evidence_id_evidence"),
            nullable=True,
        ),
        sa.Column("starts_at", instant, nullable=False),
        sa.Column("published_at", instant, nullable=False),
        sa.Column("published_by", sa.String(), nullable=False),
    )
    op.create_index("ix_publications_review_id", "publications", ["review_id"])
    op.create_index("ix_publications_meeting_id", "publications", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_publications_meeting_id", "publications")
    op.drop_index("ix_publications_review_id", "publications")
    op.drop_table("publications")
