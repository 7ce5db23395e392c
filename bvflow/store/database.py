"""Opening the database: engines, read and write transactions, schema checks.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes fails at once with
"database is locked" whatever the timeout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlmodel import Session

from bvflow.errors import InputError, StoreError

# The Alembic revision this code expects; tests check it equals the migrations' head.
SCHEMA_HEAD: Final = "0018"
BUSY_TIMEOUT_MS: Final = 30_000
# Backend name -> the extra that installs its driver ("" when bvflow always has it).
BACKENDS: Final = {"sqlite": "", "postgresql": "postgres"}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take over transaction control from the driver so that "begin" below can say IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    write = conn.get_execution_options().get("bvflow_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _describe(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).splitlines()[0]


class Database:
    """A bvflow database named by a SQLAlchemy URL; engines are created on first use."""

    def __init__(self, url: str) -> None:
        try:
            self.url = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"not a database URL: {url!r}") from exc
        backend = self.url.get_backend_name()
        if backend not in BACKENDS:
            raise StoreError(
                f"bvflow stores its data in SQLite or PostgreSQL, not {backend!r}; "
                "give a file name, or a URL such as postgresql+psycopg://user@host/db"
            )
        if self.url.drivername == "postgresql":  # SQLAlchemy's default driver is psycopg2
            self.url = self.url.set(drivername="postgresql+psycopg")
        self._engine: Engine | None = None
        # False when the settings forbid --actor naming anyone but the login ([audit]).
        self.allow_acting_for = True

    @classmethod
    def over(cls, engine: Engine) -> Database:
        """A Database on an engine already made (a scratch replay of the chain)."""
        db = cls("sqlite://")
        db._engine = engine
        return db

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server database or an in-memory one."""
        name = self.url.database
        if not self.is_sqlite or not name or name == ":memory:" or name.startswith("file:"):
            return None
        return Path(name)

    def describe(self) -> str:
        return str(self.path) if self.path else self.url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        try:
            if not self.is_sqlite:
                return create_engine(self.url, pool_pre_ping=True)
            engine = create_engine(self.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        except ImportError as exc:
            extra = BACKENDS[self.url.get_backend_name()]
            raise StoreError(
                f"the database driver {exc.name or exc} for {self.url.drivername} is not "
                f"installed; bvflow uses psycopg: pip install 'bvflow[{extra}]' and write the "
                "URL as postgresql+psycopg://user@host/db"
            ) from exc
        except ArgumentError as exc:  # includes NoSuchModuleError: an unknown driver name
            raise StoreError(f"cannot use database URL {self.describe()}: {exc}") from exc
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine

    def _check_regular(self) -> None:
        path = self.path
        if path is not None and path.exists() and not path.is_file():
            raise StoreError(f"{path} is not a regular file, so it cannot be a bvflow database")

    def create_file(self) -> bool:
        """Create an empty SQLite file readable by its owner only; True if it was created."""
        path = self.path
        self._check_regular()
        if path is None or path.exists():
            return False
        if not path.parent.is_dir():
            raise StoreError(
                f"cannot create database {path}: directory {path.parent} does not exist"
            )
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return True

    def enable_wal(self) -> None:
        """Switch a SQLite file to WAL (persistent in the file, so done once, by init).

        Not done on every connect: that would write to a file a read-only command was
        merely asked to look at. WAL is refused by returning the old mode, not by raising.
        """
        if not self.is_sqlite:
            return
        with self.guard():
            raw = self.engine.raw_connection()  # outside any transaction, as the pragma needs
            try:
                mode = raw.cursor().execute("PRAGMA journal_mode = WAL").fetchone()[0]
            finally:
                raw.close()
        if str(mode).lower() not in {"wal", "memory"}:
            raise StoreError(f"could not switch {self.describe()} to WAL mode (it stayed {mode})")

    def require_exists(self) -> None:
        path = self.path
        self._check_regular()
        if path is not None and not path.exists():
            raise StoreError(f"no database at {path}; create one with 'bvflow init'")

    def schema_revision(self) -> str | None:
        """The Alembic revision recorded in the database, or None if it has none."""
        # Plain catalogue queries, not the SQLAlchemy inspector: every command asks this.
        exists = (
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            if self.is_sqlite
            else "SELECT to_regclass('alembic_version') IS NOT NULL WHERE "
            "to_regclass('alembic_version') IS NOT NULL"
        )
        with self.guard(), self.engine.connect() as conn:
            if conn.execute(text(exists)).first() is None:
                return None
            value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return None if value is None else str(value)

    def check_schema(self) -> None:
        """Refuse a missing file, a non-database, or a schema other than this code's."""
        self.require_exists()
        found = self.schema_revision()
        if found == SCHEMA_HEAD:
            return
        if found is None:
            raise StoreError(f"{self.describe()} is not a bvflow database; run 'bvflow init'")
        from bvflow.store.revisions import known_revisions

        if found in known_revisions():
            raise StoreError(
                f"database schema is at revision {found}, this bvflow needs "
                f"{SCHEMA_HEAD}; run 'bvflow db upgrade'"
            )
        raise StoreError(
            f"database schema revision {found} is newer than this bvflow "
            f"understands ({SCHEMA_HEAD}); upgrade bvflow"
        )

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn driver errors (locked, not a database, unreachable) into one-line StoreErrors."""
        try:
            yield
        except OperationalError as exc:
            raise StoreError(f"database {self.describe()}: {_describe(exc)}") from exc
        except (SADatabaseError, DBAPIError) as exc:
            raise StoreError(f"database {self.describe()}: {_describe(exc)}") from exc
        except OverflowError as exc:  # a number beyond the database's 64-bit integers
            raise InputError("a number given is too large") from exc
        except UnicodeEncodeError as exc:
            # The driver raises this itself (SQLAlchemy passes it on): a lone surrogate, which
            # is how Python carries bytes that were not UTF-8.
            if "surrogates not allowed" not in str(exc):
                raise
            raise InputError("the input contains bytes that are not UTF-8 text") from exc
        except ValueError as exc:  # after UnicodeEncodeError, which is one
            # A stored value the driver cannot read back (an instant written as 'garbage'):
            # written outside bvflow. Any other ValueError is a bug and is not hidden.
            known = ("Couldn't parse", "Invalid isoformat string", "from the database")
            if not any(w in str(exc) for w in known):
                raise
            raise StoreError(
                f"database {self.describe()}: a stored value cannot be read ({exc}); it was "
                "written outside bvflow: run 'bvflow audit verify'"
            ) from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction."""
        with self.guard(), Session(self.engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE on SQLite): all of it commits, or none."""
        engine = self.engine.execution_options(bvflow_write=True)
        with self.guard(), Session(engine, expire_on_commit=False) as session:
            session.info["bvflow.no_acting_for"] = not self.allow_acting_for
            with session.begin():
                yield session

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
