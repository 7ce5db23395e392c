"""the authority's sender: the address its notices come from

``bvflow init --sender EMAIL`` records the address notices come from with the authority (in
its audited ``authority.set`` event); ``[mail] from`` in the settings still overrides it.
Existing authorities have none (NULL): their notices keep coming from the settings' address,
or bestvalue@localhost, until the sender is set.

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("authority") as batch:
        batch.add_column(sa.Column("sender", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authority") as batch:
        batch.drop_column("sender")
