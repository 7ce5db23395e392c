"""Alembic: the code's expected head, a round trip with data, and models matching migrations."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import time_machine
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import Cli, events, execute, query

from bvflow.domain.calendar import LONDON
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


def test_a_meeting_from_before_0009_counts_notice_from_the_notice_of_its_time(
        initialised: Cli, new_review: Callable[..., str],
        travel: time_machine.Coordinates) -> None:
    """0009 cannot know which notice set an old meeting's time: the outbox does. A change of
    place after the notice does not restart the clock."""
    ref = new_review()
    initialised.ok("party", "add", ref, "--name", "Sam", "--email", "sam@unison.example",
                   "--organisation", "UNISON", "--category", "trade_union")
    travel.move_to(datetime(2027, 1, 4, 10, tzinfo=LONDON))
    initialised.ok("meeting", "schedule", ref, "--title", "WP", "--at", "2027-01-15 18:00",
                   "--place", "Hall")
    initialised.ok("sweep")
    travel.move_to(datetime(2027, 1, 13, 10, tzinfo=LONDON))
    initialised.ok("meeting", "reschedule", ref, "1", "--place", "Room 9")
    initialised.ok("sweep")
    db = Database(initialised.db.sqlalchemy_url)
    try:
        migrate.downgrade(db, "0008")
        migrate.upgrade(db)
    finally:
        db.dispose()
    assert query(initialised.db, "SELECT notice_sequence, sequence FROM meetings") == [(None, 1)]
    (meeting,) = json.loads(initialised.ok("meeting", "list", ref, "--json").stdout)
    (sam,) = meeting["members"]
    assert sam["delivered_at"].startswith("2027-01-04")
    assert (sam["clear_days"], sam["short"]) == (8, False)
