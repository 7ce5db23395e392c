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
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import PG_URL, Cli, _schema_url, sqlite_only
from sqlalchemy import Table, create_engine, delete, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from bvflow.cli import main
from bvflow.clock import SimulatedClock
from bvflow.demo import START, play
from bvflow.domain.calendar import WorkingCalendar
from bvflow.services import competency, corrections, inspections, reviews, setup, watchers
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
    polling = next(
        day for day in (clock.now().date() + timedelta(days=n) for n in range(30, 60))
        if WorkingCalendar("england").is_working_day(day)
    )
    setup.add_closure(app, polling, "Polling day")
    holiday = next(
        day for day in (clock.now().date() + timedelta(days=n) for n in range(1, 400))
        if day.weekday() < 5 and WorkingCalendar("england").bank_holiday(day)
    )
    setup.open_day(app, holiday, "Worked: the council closes another day instead")
    second = reviews.create_review(app, "Libarries", "Culture", "ann@exampleshire.gov.uk")
    corrections.amend_review(app, second, "A typo in the title", title="Libraries")
    (home / "inspection.pdf").write_bytes(b"%PDF-1.4 the inspector's report\n")
    inspection = inspections.record_inspection(
        app, "Culture", clock.now().date(), "Best Value Inspectorate", home / "inspection.pdf",
        rating="fair", prospects="promising")
    finding = inspections.add_finding(
        app, inspection.id, "Fair", "Opening hours do not suit users", ["Consult users"],
        "ann@exampleshire.gov.uk", clock.now().date() + timedelta(days=60), "high")
    inspections.respond(app, int(finding["finding_id"]), "Agreed")
    levels = {"local-people": "2", "business-links": "1", "modern-management": "3",
              "partnership": "2", "fair-employment": "3", "performance": "2",
              "involvement": "3"}
    competency.assess(app, "best-value-competencies", 2027, levels,
                      dict.fromkeys(levels, "Seen in the minutes"), ["pat@exampleshire.gov.uk"])
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


@pytest.mark.parametrize("name", ["evidence", "inspections"])
def test_a_stored_file_that_was_changed_is_found(record: Record, name: str) -> None:
    table = STATE_TABLES[name]
    for conn in record.raw():
        row = conn.execute(
            select(table.c.id, table.c.content).where(table.c.content.is_not(None))
        ).first()
        assert row is not None
        conn.execute(
            update(table).where(table.c.id == row.id).values(content=row.content + b"!")
        )
    try:
        code, out = record.verify()
        assert code == 5
        assert f"{name} row id={row.id}: its file no longer matches the SHA-256" in out
    finally:
        for conn in record.raw():
            restore = update(table).where(table.c.id == row.id)
            conn.execute(restore.values(content=row.content))
    assert record.verify()[0] == 0


@sqlite_only("REPLACE is SQLite's; PostgreSQL has no such statement")
def test_replace_into_audit_events_is_refused(record: Record) -> None:
    for conn in record.raw():
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("REPLACE INTO audit_events SELECT * FROM audit_events WHERE seq = 3"))
    assert record.verify()[0] == 0


def _raw_sql(cli: Cli, sql: str) -> None:
    engine = create_engine(cli.db.sqlalchemy_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def test_a_tamper_cannot_be_laundered_by_a_later_command(
    initialised: Cli, new_review: Callable[..., str]
) -> None:
    """An altered value that bvflow then writes over is still found: every update expects
    the values it overwrites, and replay holds the chain's."""
    ref = new_review()
    _raw_sql(initialised, "UPDATE reviews SET title = 'Forged' WHERE id = 1")
    initialised.ok("review", "amend", ref, "--title", "Legit", "--reason", "Tidy the title")
    code = initialised("audit", "verify")
    assert code.exit_code == 5
    assert code.stderr.startswith(
        "Error: the stored state differs from the chain: reviews row id=1: event 4 wrote "
        "over values no event had set: the row was altered outside bvflow before event 4")


def test_a_stage_start_moved_back_then_advanced_is_found(
    initialised: Cli, new_review: Callable[..., str]
) -> None:
    """The outside review's case: the clock of a stage set back by SQL, then a plain advance
    (no override) moves on at once; verify names the row and the event."""
    other = new_review("Libraries")
    initialised.ok("evidence", "add", other, "--kind", "scope_statement", "--title", "Scope")
    initialised.ok("evidence", "add", other, "--kind", "baseline_profile", "--title", "Base")
    for item in ("scope", "baseline_profile", "information_disclosure"):
        initialised.ok("agreement", "record", other, "--item", item, "--agreed-by", "UNISON",
                       "--external", "UNISON")
    assert initialised("review", "advance", other).exit_code == 4  # too soon
    _raw_sql(initialised, "UPDATE reviews SET stage_entered_at = '2026-10-01 09:00:00.000000' "
                          "WHERE id = 1" if initialised.db.path is not None else
                          "UPDATE reviews SET stage_entered_at = '2026-10-01 09:00:00+00' "
                          "WHERE id = 1")
    initialised.ok("review", "advance", other)
    found = initialised("audit", "verify")
    assert found.exit_code == 5
    assert "reviews row id=1: event" in found.stderr
    assert "wrote over values no event had set" in found.stderr


ODD_VALUES = [
    ("evidence", "title", "CAST(title AS BLOB)", 'title is "b'),
    ("reviews", "stage_entered_at", "12345", "stage_entered_at is 12345"),
    ("evidence", "content", "'abc'", "its file no longer matches"),
    ("definitions", "source", "CAST(source AS BLOB)", "its source no longer hashes"),
    ("indicators", "higher_is_better", "'true'", 'higher_is_better is "true", the chain says true'),
    ("reviews", "updated_at", "substr(updated_at, 1, 10) || 'X' || substr(updated_at, 12)",
     'updated_at is "'),
]


@sqlite_only("SQLite lets any column hold any type; PostgreSQL refuses these values")
@pytest.mark.parametrize(("table", "column", "value", "words"), ODD_VALUES,
                         ids=[f"{t}.{c}" for t, c, _, _ in ODD_VALUES])
def test_values_of_another_type_or_form_are_found_not_a_crash(
    record: Record, table: str, column: str, value: str, words: str
) -> None:
    """Values that read the same but are stored otherwise ('true' for true, an instant with
    an X for its T, bytes for text) are differences, reported in one line."""
    for conn in record.raw():
        before = conn.execute(text(f'SELECT rowid, "{column}" FROM "{table}"')).all()
        conn.execute(text(f'UPDATE "{table}" SET "{column}" = {value}'))
    try:
        code, out = record.verify()
        assert code == 5, out
        assert words in out
        assert "Traceback" not in out
    finally:
        for conn in record.raw():
            for rowid, old in before:
                conn.execute(text(f'UPDATE "{table}" SET "{column}" = :v WHERE rowid = :r'),
                             {"v": old, "r": rowid})
    assert record.verify()[0] == 0


def test_removed_or_disabled_guards_are_found(record: Record) -> None:
    for conn in record.raw():
        if record.postgres:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            sql = conn.execute(text("SELECT sql FROM sqlite_master "
                                    "WHERE name = 'audit_events_no_update'")).scalar_one()
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
    try:
        for extra in ((), ("--chain-only",)):
            code, out = record.verify(*extra)
            assert code == 5
            assert "the guards that keep the chain append-only were removed or disabled" in out
    finally:
        for conn in record.raw():
            if record.postgres:
                conn.execute(text(
                    "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
            else:
                conn.execute(text(sql))
    assert record.verify()[0] == 0


@sqlite_only("PostgreSQL's timestamptz column cannot hold a word")
def test_an_event_time_no_driver_can_read_is_found_not_a_crash(record: Record) -> None:
    for conn in record.raw():
        sql = conn.execute(text("SELECT sql FROM sqlite_master "
                                "WHERE name = 'audit_events_no_update'")).scalar_one()
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        old = conn.execute(text("SELECT at FROM audit_events WHERE seq = 5")).scalar_one()
        conn.execute(text("UPDATE audit_events SET at = 'garbage' WHERE seq = 5"))
        conn.execute(text(sql))
    try:
        code, out = record.verify()
        assert code == 5
        assert "an audit event's stored columns cannot be read" in out
        log = CliRunner().invoke(main, ["--db", record.url, "audit", "log"])
        assert log.exit_code == 1
        assert "a stored value cannot be read" in log.stderr
        assert "Traceback" not in log.stderr
    finally:
        for conn in record.raw():
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("UPDATE audit_events SET at = :v WHERE seq = 5"), {"v": old})
            conn.execute(text(sql))
    assert record.verify()[0] == 0
