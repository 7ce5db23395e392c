"""Alembic, driven from code: the migrations ship inside the package, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from bvflow.errors import StoreError
from bvflow.store.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = db.engine
    return config


def known_revisions() -> list[str]:
    script = ScriptDirectory(str(MIGRATIONS))
    return [rev.revision for rev in script.walk_revisions()]


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def check_known(db: Database) -> None:
    """Refuse a database from a newer bvflow before Alembic fails on its unknown revision."""
    found = db.schema_revision()
    if found is not None and found not in known_revisions():
        raise StoreError(
            f"database schema revision {found} is newer than this bvflow "
            f"understands ({head_revision()}); upgrade bvflow"
        )


def upgrade(db: Database, revision: str = "head") -> None:
    check_known(db)
    db.enable_wal()
    try:
        with db.guard():
            command.upgrade(alembic_config(db), revision)
    except CommandError as exc:
        raise StoreError(f"cannot upgrade {db.describe()}: {exc}") from exc


def downgrade(db: Database, revision: str) -> None:
    check_known(db)
    try:
        with db.guard():
            command.downgrade(alembic_config(db), revision)
    except CommandError as exc:
        raise StoreError(f"cannot downgrade {db.describe()}: {exc}") from exc
