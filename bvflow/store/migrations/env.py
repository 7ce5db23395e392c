"""Alembic environment: uses the engine bvflow hands over, batch mode for SQLite."""

from __future__ import annotations

from alembic import context

from bvflow.store.models import metadata

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
