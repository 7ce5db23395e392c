"""competency self-assessment: rounds scored against a competency framework

``bvflow competency assess`` records a round (the framework's text as read, the target level,
who took part) and a score with evidence for each competency; a score below the target is a
gap, and ``competency action add`` answers it with an authority action (``plan_actions``
source ``competency``, ``source_id`` the score). Both tables are state of the chain
(``competency.assessed`` events). Existing databases start with no assessment.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bvflow.store.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "competency_assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("framework", sa.String(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("target_level", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("framework_digest", sa.String(), nullable=False),
        sa.Column("framework_source", sa.Text(), nullable=False),
        sa.Column("assessed_by", sa.String(), nullable=False),
        sa.Column("assessed_at", bvflow.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("framework", "round",
                            name=op.f("uq_competency_assessments_framework")),
    )
    op.create_index("ix_competency_assessments_framework", "competency_assessments",
                    ["framework"])
    op.create_table(
        "competency_scores",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["competency_assessments.id"],
            name=op.f("fk_competency_scores_assessment_id_competency_assessments"),
        ),
    )
    op.create_index("ix_competency_scores_assessment_id", "competency_scores",
                    ["assessment_id"])


def downgrade() -> None:
    op.execute("DELETE FROM plan_actions WHERE source = 'competency'")
    op.drop_index("ix_competency_scores_assessment_id", "competency_scores")
    op.drop_table("competency_scores")
    op.drop_index("ix_competency_assessments_framework", "competency_assessments")
    op.drop_table("competency_assessments")
