"""Alembic, driven from code: the migrations ship inside the package, no alembic.ini needed."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError

from bvflow.errors import StoreError
from bvflow.store.database import Database
from bvflow.store.revisions import MIGRATIONS, head_revision, known_revisions

__all__ = ["downgrade", "head_revision", "known_revisions", "upgrade"]


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = db.engine
    return config


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
