"""Alembic: the code's expected head, a round trip with data, and models matching migrations."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import Cli, events, execute, query

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
    after = events(initialised.db)
    assert after[: len(before)] == before  # the history is kept, event for event
    # The upgrade to 0007 sealed the state as it stood into one baseline event, and 0010
    # stored the bank holidays in force in another...
    assert [e[2] for e in after[len(before):]] == ["audit.baseline", "calendar.holidays_stored"]
    assert initialised.ok("audit", "verify").stdout.startswith("intact: 5 events")
    assert query(initialised.db, "SELECT name FROM bank_holidays WHERE day = '2027-12-27'") == [
        ("Christmas Day (observed)",)]
    # ...so from then on a change made outside bvflow is found.
    execute(initialised.db, "UPDATE reviews SET title = 'Forged'")
    found = initialised("audit", "verify")
    assert found.exit_code == 5
    assert 'reviews row id=1: title is "Forged", the chain says "Refuse collection"' in found.stderr
