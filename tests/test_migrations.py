"""Alembic: the code's expected head, a round trip with data, and models matching migrations."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import Cli, events

from bvflow.store import migrate
from bvflow.store.database import SCHEMA_HEAD, Database
from bvflow.store.models import metadata


def test_code_expects_the_migrations_head() -> None:
    assert migrate.head_revision() == SCHEMA_HEAD
    assert migrate.known_revisions()[-1] == "0001"


def test_models_match_the_migrations(initialised: Cli) -> None:
    db = Database(initialised.db.sqlalchemy_url)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        db.dispose()
    assert diff == []


def test_downgrade_and_upgrade_keep_the_data(initialised: Cli,
                                            new_review: Callable[..., str]) -> None:
    ref = new_review()
    before = events(initialised.db)
    db = Database(initialised.db.sqlalchemy_url)
    try:
        for revision in migrate.known_revisions()[1:]:  # newest first, head excluded
            migrate.downgrade(db, revision)
            assert db.schema_revision() == revision
        stale = initialised("review", "show", ref)
        assert stale.exit_code == 1
        assert "run 'bvflow db upgrade'" in stale.stderr
        migrate.upgrade(db)
        assert db.schema_revision() == SCHEMA_HEAD
    finally:
        db.dispose()
    assert events(initialised.db) == before
    assert initialised.ok("audit", "verify").stdout.startswith("intact: 3 events")
