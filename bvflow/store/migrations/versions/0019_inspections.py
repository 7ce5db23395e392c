"""inspections: the inspector's report, findings, recommendations and the authority's responses

A Best Value inspection (Local Government Act 1999 s.10, by the Audit Commission's Best Value
Inspectorate) ends in a report (s.13). ``inspections`` keeps the report's file (bytes and
SHA-256, like evidence) with the two judgements; ``inspection_findings`` what the inspector
found; ``inspection_recommendations`` what they recommended (each answered by an authority
action in ``plan_actions``, source ``inspection``); ``inspection_responses`` the authority's
responses to a finding.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bvflow.store.types import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspector", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("review_ref", sa.String(), nullable=True),
        sa.Column("rating", sa.String(), nullable=True),
        sa.Column("prospects", sa.String(), nullable=True),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("file_sha256", sa.String(), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_index(op.f("ix_inspections_service"), "inspections", ["service"], unique=False)
    op.create_table(
        "inspection_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("judgement", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspections.id"],
            name=op.f("fk_inspection_findings_inspection_id_inspections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_findings")),
    )
    op.create_index(op.f("ix_inspection_findings_inspection_id"), "inspection_findings",
                    ["inspection_id"], unique=False)
    for table in ("inspection_recommendations", "inspection_responses"):
        extra = (
            [sa.Column("responded_by", sa.String(), nullable=False),
             sa.Column("responded_at", UTCDateTime(timezone=True), nullable=False)]
            if table == "inspection_responses" else []
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("finding_id", sa.Integer(), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(
                ["finding_id"], ["inspection_findings.id"],
                name=op.f(f"fk_{table}_finding_id_inspection_findings"),
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_finding_id"), table, ["finding_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM plan_actions WHERE source = 'inspection'")
    for table in ("inspection_responses", "inspection_recommendations"):
        op.drop_index(op.f(f"ix_{table}_finding_id"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_inspection_findings_inspection_id"), table_name="inspection_findings")
    op.drop_table("inspection_findings")
    op.drop_index(op.f("ix_inspections_service"), table_name="inspections")
    op.drop_table("inspections")
