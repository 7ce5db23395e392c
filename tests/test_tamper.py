"""The tamper corpus: every state table, altered, deleted from and inserted into, outside bvflow.

One database per module holds the demo's whole review (every state table has rows), on the
backend the suite runs against. Each case tampers with it by raw SQL as someone with the
database's credentials would, checks that ``audit verify`` exits 5 naming the table and the
row's key, then puts the row back and checks the record is intact again: so the cases also
show verify returns to "intact" when the state is repaired.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import PG_URL, _schema_url, sqlite_only
from sqlalchemy import Table, create_engine, delete, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from bvflow.cli import main
from bvflow.clock import SimulatedClock
from bvflow.demo import START, play
from bvflow.services import corrections, reviews, setup, watchers
from bvflow.services.app import App
from bvflow.settings import Settings
from bvflow.store.changes import STATE_TABLES
from bvflow.store.database import Database

TABLES = sorted(STATE_TABLES)


class Record:
    """The demo's database, with raw access for tampering and the CLI for verifying."""

    def __init__(self, url: str, home: Path) -> None:
        self.url, self.home = url, home
        self.engine: Engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.postgres = self.engine.dialect.name == "postgresql"

    def verify(self, *extra: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--db", self.url, "audit", "verify", *extra])
        return result.exit_code, (result.stdout + result.stderr).strip()

    def raw(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if self.postgres:  # a tamperer with the owner's rights is not held by foreign keys
                conn.execute(text("SET session_replication_role = replica"))
            yield conn


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Record]:
    home = tmp_path_factory.mktemp("tamper")
    schema = None
    if PG_URL is None:
        url = f"sqlite:///{home / 'bvflow.db'}"
    else:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        _on_server(f'CREATE SCHEMA "{schema}"')
        url = _schema_url(PG_URL, schema)
    clock = SimulatedClock(START)
    app = App(Database(url), "coordinator", clock, settings=Settings(maildir=home / "mail"))
    ref = play(app, clock, home, lambda _line: None)
    watchers.watch(app, ref, "watcher@exampleshire.gov.uk", "A Watcher")
    setup.add_closure(app, (clock.now() + timedelta(days=30)).date(), "Polling day")
    second = reviews.create_review(app, "Libarries", "Culture", "ann@exampleshire.gov.uk")
    corrections.amend_review(app, second, "A typo in the title", title="Libraries")
    app.db.dispose()
    found = Record(url, home)
    yield found
    found.engine.dispose()
    if schema is not None:
        _on_server(f'DROP SCHEMA "{schema}" CASCADE')


def _on_server(sql: str) -> None:
    engine = create_engine(PG_URL or "")
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _first(conn: Connection, table: Table) -> dict[str, Any]:
    row = conn.execute(select(table).order_by(*table.primary_key.columns).limit(1)).first()
    assert row is not None, f"the demo left {table.name} empty"
    return dict(row._mapping)


def _other(value: Any) -> Any:
    """A different value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 7
    if isinstance(value, float):
        return value + 1.5
    if isinstance(value, datetime):
        return value + timedelta(days=1)
    if isinstance(value, date):
        return value + timedelta(days=1)
    if isinstance(value, bytes):
        return value + b"!"
    return f"{value}x"


def _key(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    return {c.name: row[c.name] for c in table.primary_key.columns}


def _where(table: Table, key: dict[str, Any]) -> list[Any]:
    return [table.c[name] == value for name, value in key.items()]


def _named(key: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v.isoformat() if isinstance(v, date) else v}" for k, v in key.items()
    )


def _column_to_alter(table: Table, row: dict[str, Any]) -> str:
    primary = {c.name for c in table.primary_key.columns}
    for column in table.columns:
        if column.name in primary or row[column.name] is None or column.name == "content":
            continue
        if column.foreign_keys:  # moving a row to another parent is a case of its own below
            continue
        return column.name
    raise AssertionError(f"{table.name} has no column to alter")


@pytest.mark.parametrize("name", TABLES)
def test_an_altered_column_is_found_and_named(record: Record, name: str) -> None:
    table = STATE_TABLES[name]
    for conn in record.raw():
        row = _first(conn, table)
        column = _column_to_alter(table, row)
        key = _key(table, row)
        conn.execute(update(table).where(*_where(table, key)).values({column: _other(row[column])}))
    try:
        code, out = record.verify()
        assert code == 5, out
        assert f"{name} row {_named(key)}: {column} is " in out
        assert "the chain says" in out
        assert "set by event" in out
    finally:
        for conn in record.raw():
            conn.execute(update(table).where(*_where(table, key)).values({column: row[column]}))
    assert record.verify()[0] == 0


@pytest.mark.parametrize("name", TABLES)
def test_a_deleted_row_is_found_and_named(record: Record, name: str) -> None:
    table = STATE_TABLES[name]
    for conn in record.raw():
        row = _first(conn, table)
        key = _key(table, row)
        conn.execute(delete(table).where(*_where(table, key)))
    try:
        code, out = record.verify()
        assert code == 5, out
        assert f"{name} row {_named(key)} was deleted (created by event " in out
    finally:
        for conn in record.raw():
            conn.execute(insert(table).values(row))
    assert record.verify()[0] == 0


def _forged(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` with a new key and its unique columns changed."""
    forged = dict(row)
    unique = {c.name for k in table.constraints if k.__class__.__name__ == "UniqueConstraint"
              for c in k.columns}  # type: ignore[attr-defined]
    unique |= {c.name for c in table.columns if c.unique}
    for column in table.columns:
        if column.primary_key or column.name in unique:
            value = row[column.name]
            forged[column.name] = (
                "f" * 64 if column.name == "digest" else _other(value) if value is not None else 1
            )
            if column.primary_key and isinstance(value, int) and not isinstance(value, bool):
                forged[column.name] = value + 1000
    return forged


@pytest.mark.parametrize("name", TABLES)
def test_an_inserted_row_is_found_and_named(record: Record, name: str) -> None:
    table = STATE_TABLES[name]
    for conn in record.raw():
        forged = _forged(table, _first(conn, table))
        conn.execute(insert(table).values(forged))
    key = _key(table, forged)
    try:
        code, out = record.verify()
        assert code == 5, out
        assert f"{name} row {_named(key)} was inserted outside bvflow" in out
    finally:
        for conn in record.raw():
            conn.execute(delete(table).where(*_where(table, key)))
    assert record.verify()[0] == 0


def test_the_reported_cases_of_the_outside_review(record: Record) -> None:
    """The issue's own examples: stage, dissent, disclosure and title, the pinned rules."""
    reviews, agreements = STATE_TABLES["reviews"], STATE_TABLES["agreements"]
    evidence, definitions = STATE_TABLES["evidence"], STATE_TABLES["definitions"]
    for conn in record.raw():
        dissenting = conn.execute(
            select(agreements.c.id, agreements.c.dissent).where(agreements.c.dissent != "[]")
        ).first()
        assert dissenting is not None
        before = {
            "stage": conn.execute(select(reviews.c.stage).where(reviews.c.id == 1)).scalar_one(),
            "source": conn.execute(select(definitions.c.source)).scalar_one(),
        }
        item = conn.execute(
            select(evidence.c.id, evidence.c.title, evidence.c.disclosure)
            .where(evidence.c.disclosure != "public")
        ).first()
        assert item is not None
        conn.execute(update(reviews).where(reviews.c.id == 1).values(stage="monitor"))
        conn.execute(
            update(agreements).where(agreements.c.id == dissenting.id).values(dissent="[]")
        )
        conn.execute(
            update(evidence).where(evidence.c.id == item.id)
            .values(disclosure="public", title="forged")
        )
        conn.execute(
            update(definitions).values(
                source=definitions.c.source.op("||")(text("'\n# edited'"))
            )
        )
    try:
        code, out = record.verify()
        assert code == 5
        assert 'reviews row id=1: stage is "monitor", the chain says "closed"' in out
        assert f"agreements row id={dissenting.id}: dissent is \"[]\"" in out
        assert f'evidence row id={item.id}: title is "forged"' in out
        assert f'evidence row id={item.id}: disclosure is "public"' in out
        assert "its source no longer hashes to its digest (the pinned rules were edited)" in out
        code, data = record.verify("--json")
        assert code == 5
        found = json.loads(data.split("\nError:")[0])
        assert found["chain_intact"] is True
        assert found["intact"] is False
        assert {d["table"] for d in found["differences"]} >= {
            "reviews", "agreements", "evidence", "definitions"}
        assert record.verify("--chain-only")[0] == 0  # the quick check sees only the chain
    finally:
        for conn in record.raw():
            conn.execute(update(reviews).where(reviews.c.id == 1).values(stage=before["stage"]))
            conn.execute(
                update(agreements).where(agreements.c.id == dissenting.id)
                .values(dissent=dissenting.dissent)
            )
            conn.execute(
                update(evidence).where(evidence.c.id == item.id)
                .values(disclosure=item.disclosure, title=item.title)
            )
            conn.execute(update(definitions).values(source=before["source"]))
    assert record.verify()[0] == 0


def test_a_stored_file_that_was_changed_is_found(record: Record) -> None:
    evidence = STATE_TABLES["evidence"]
    for conn in record.raw():
        row = conn.execute(
            select(evidence.c.id, evidence.c.content).where(evidence.c.content.is_not(None))
        ).first()
        assert row is not None
        conn.execute(
            update(evidence).where(evidence.c.id == row.id).values(content=row.content + b"!")
        )
    try:
        code, out = record.verify()
        assert code == 5
        assert f"evidence row id={row.id}: its file no longer matches the SHA-256" in out
    finally:
        for conn in record.raw():
            restore = update(evidence).where(evidence.c.id == row.id)
            conn.execute(restore.values(content=row.content))
    assert record.verify()[0] == 0


@sqlite_only("REPLACE is SQLite's; PostgreSQL has no such statement")
def test_replace_into_audit_events_is_refused(record: Record) -> None:
    for conn in record.raw():
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("REPLACE INTO audit_events SELECT * FROM audit_events WHERE seq = 3"))
    assert record.verify()[0] == 0
