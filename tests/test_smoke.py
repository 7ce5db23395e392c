from __future__ import annotations

from conftest import Cli, events, sqlite_only


@sqlite_only("the database file's permissions")
def test_init_creates_owner_only_database(initialised: Cli) -> None:
    assert initialised.db.exists()
    assert initialised.db.stat().st_mode & 0o777 == 0o600
    assert [row[2] for row in events(initialised.db)] == ["authority.set"]


@sqlite_only("SQLite's journal mode")
def test_init_switches_the_file_to_wal(initialised: Cli) -> None:
    import sqlite3

    conn = sqlite3.connect(initialised.db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
