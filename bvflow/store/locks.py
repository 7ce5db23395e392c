"""The single-scheduler lock: a file lock beside a SQLite database, an advisory lock on PostgreSQL.

Both are released by the operating system or the server when the process dies, so a crash
never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from bvflow.errors import StoreError
from bvflow.store.database import Database

# One lock per database and schema, so that two installs sharing a server do not block.
KEY_SQL = "hashtext(current_database() || '.' || current_schema() || '.bvflow-scheduler')"


@contextmanager
def scheduler_lock(db: Database) -> Iterator[None]:
    """Hold the lock for the life of the block, or raise StoreError if another holds it."""
    if db.path is not None:
        with _file_lock(db) as held:
            yield held
        return
    with db.guard(), db.engine.connect() as conn:
        got = conn.execute(text(f"SELECT pg_try_advisory_lock({KEY_SQL})")).scalar()
        if not got:
            raise StoreError(
                f"another 'bvflow scheduler run' is already running on {db.describe()}"
            )
        try:
            yield None
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock({KEY_SQL})"))


@contextmanager
def _file_lock(db: Database) -> Iterator[None]:
    assert db.path is not None
    path = db.path.with_name(db.path.name + ".scheduler.lock")
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise StoreError(
                f"another 'bvflow scheduler run' (pid {holder}) is already running "
                f"on {db.describe()}"
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield None
    finally:
        os.close(fd)
