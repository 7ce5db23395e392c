"""The state tables rebuilt from the chain, and compared with the tables as stored.

Replay runs ``changes.apply`` (the live write path's own function) on each event's changes,
in sequence, into a scratch in-memory SQLite database with the same tables. Comparing the
two finds a row altered, deleted or inserted by anything other than bvflow, and names the
event that last set what was altered. The scratch database also answers "as it stood then"
(``--as-of``): replay stops at the chosen event and the ordinary reads run on it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Boolean, Table, create_engine, delete, insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from bvflow.domain.audit import SealedEvent
from bvflow.store.changes import SHAPES, STATE_TABLES, Change, MissingRow, Shape, statement
from bvflow.store.models import OutboxMessage, metadata

_EVENTS: Final[Table] = metadata.tables["audit_events"]
_HEAD: Final[Table] = metadata.tables["audit_head"]
# Enough to act on; a wholesale rewrite would otherwise print a line per row.
MAX_REPORTED: Final = 50
# The tables that keep a file's bytes (``content``) beside the SHA-256 their event recorded.
FILE_TABLES: Final = ("evidence", "inspections")


@dataclass(frozen=True)
class Difference:
    """One way the stored state differs from the state the chain produces."""

    table: str
    key: Mapping[str, Any]
    column: str | None  # None: the whole row is missing or has no event
    stored: Any
    expected: Any
    seq: int | None  # the event that last set the expected value
    note: str | None = None  # a problem found by a check other than replay

    def describe(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        where = f"{self.table} row {key}" if key else self.table
        if self.note is not None:
            recorded = f" (recorded by event {self.seq})" if self.seq and self.column else ""
            return f"{where}: {self.note}{recorded}"
        if self.column is None and self.stored is None:
            return f"{where} was deleted (created by event {self.seq})"
        if self.column is None:
            return f"{where} was inserted outside bvflow (no event created it)"
        stored, expected = _shown(self.stored, self.expected), _shown(self.expected, self.stored)
        return (
            f"{where}: {self.column} is {stored}, the chain says {expected} "
            f"(set by event {self.seq})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "key": dict(self.key),
            "column": self.column,
            "stored": self.stored,
            "expected": self.expected,
            "event": self.seq,
            "problem": self.describe(),
        }


def _shown(value: Any, other: Any) -> str:
    """A value for a one-line message: long text is shown around where it differs."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    if len(text) <= 120:
        return text
    theirs = json.dumps(other, ensure_ascii=False, default=repr)
    at = next((i for i, (a, b) in enumerate(zip(text, theirs, strict=False)) if a != b), 0)
    start = max(0, at - 40)
    return f"...{text[start : start + 100]}..." if start else f"{text[:100]}..."


class ReplayError(Exception):
    """The chain's own changes do not apply to the state the events before it produce."""

    def __init__(
        self, seq: int, problem: str, table: str = "", key: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"event {seq} cannot be replayed: {problem}")
        self.seq, self.problem, self.table, self.key = seq, problem, table, dict(key or {})

    def difference(self) -> Difference:
        """The problem as a difference of state, naming the row and the event."""
        return Difference(self.table, self.key, None, None, None, self.seq, self.problem)


def scratch(all_tables: bool = False) -> Engine:
    """An empty in-memory database with the state tables (one connection, kept open)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine, tables=None if all_tables else list(STATE_TABLES.values()))
    return engine


def _instant_json(value: Any) -> Any:
    """An instant as SQLite stores it (``YYYY-MM-DD HH:MM:SS.ffffff``) in its JSON form;
    anything else (a value written by hand) as it is."""
    if isinstance(value, str) and len(value) == 26 and value[10] == " ":
        return f"{value[:10]}T{value[11:]}Z"
    return value


def _readable(shape: Shape, row: tuple[Any, ...]) -> dict[str, Any]:
    """A stored row's values as the chain writes them (for messages)."""
    found = {}
    for name, value in zip(shape.columns, row, strict=True):
        if name in shape.instants:
            value = _instant_json(value)
        elif isinstance(shape.table.c[name].type, Boolean) and value in (0, 1):
            value = bool(value)
        found[name] = value
    return found


class Replay:
    """A scratch database the events are fed into, one by one, in sequence.

    Each event's changes are applied as ``changes.apply`` applies them on the live path (an
    insert of the row, an update or delete by key, with the expected values as conditions),
    in order; runs of inserts into one table are written together.
    """

    def __init__(self, all_tables: bool = False) -> None:
        self.engine = scratch(all_tables)
        self.conn = self.engine.connect()
        self._tx = self.conn.begin()
        self._raw: Any = self.conn.connection.dbapi_connection
        # (table, key) -> column -> the event that last set it ("*": created it)
        self.set_by: dict[tuple[str, tuple[Any, ...]], dict[str, int]] = {}
        self._pending: list[list[Any]] = []
        self._pending_sql = ""
        self._pending_seqs: tuple[int, int] = (0, 0)

    def feed(self, event: SealedEvent) -> None:
        if '"changes":' not in event.record:  # most events of a long history set nothing
            return
        for data in event.data.get("changes") or ():
            self._apply(data, event.seq)

    def _apply(self, data: Mapping[str, Any], seq: int) -> None:
        change = Change.from_json(data)
        try:
            found = statement(change, "sqlite")
        except MissingRow as exc:
            raise ReplayError(seq, str(exc)) from exc
        shape = SHAPES[change.table]
        where = (change.table, tuple(change.key.get(k) for k in shape.primary))
        if found.op == "insert":  # runs of inserts of one shape go in together
            if found.sql != self._pending_sql:
                self._flush()
                self._pending_sql, self._pending_seqs = found.sql, (seq, seq)
            self._pending.append(found.params)
            self._pending_seqs = (self._pending_seqs[0], seq)
            self.set_by[where] = {"*": seq}
            return
        self._flush()
        rows = self._raw.execute(found.sql, found.params).rowcount
        if found.op == "clear":
            self.set_by = {k: v for k, v in self.set_by.items() if k[0] != change.table}
        elif rows != 1:
            raise ReplayError(seq, self._why_not(change, shape, seq), change.table, change.key)
        elif found.op == "delete":
            self.set_by.pop(where, None)
        else:
            columns = self.set_by.setdefault(where, {})
            for column in change.values:
                if column != "__expect__":
                    columns[column] = seq

    def _why_not(self, change: Change, shape: Shape, seq: int) -> str:
        """Why an update or delete of the chain found no row to act on."""
        where = " AND ".join(f'"{k}" = ?' for k in change.key)
        exists = self._raw.execute(
            f'SELECT 1 FROM "{shape.name}" WHERE {where}', shape.row(change.key, True)
        ).fetchone()
        if exists is None:
            return f"event {seq} {change.op}s this row, which no event created"
        return (
            f"event {seq} wrote over values no event had set: the row was altered outside "
            f"bvflow before event {seq}, and bvflow then wrote over it"
        )

    def _flush(self) -> None:
        if not self._pending:
            return
        try:
            self._raw.executemany(self._pending_sql, self._pending)
        except sqlite3.IntegrityError as exc:  # a row created twice
            first, last = self._pending_seqs
            raise ReplayError(first, f"between events {first} and {last}: {exc}") from exc
        self._pending = []

    def keep(self, event: SealedEvent) -> None:
        """Copy the event itself too, for views of the past that show its history."""
        self._flush()
        self.conn.execute(
            insert(_EVENTS),
            {
                "seq": event.seq,
                "at": event.at,
                "actor": event.actor,
                "action": event.action,
                "review": event.review,
                "from_stage": event.from_stage,
                "to_stage": event.to_stage,
                "record": event.record,
                "prev_hash": event.prev_hash,
                "hash": event.hash,
                "login": event.login,
            },
        )
        self.conn.execute(delete(_HEAD))
        self.conn.execute(insert(_HEAD), {"id": 1, "seq": event.seq, "hash": event.hash})

    def tap(self, events: Iterable[SealedEvent]) -> Iterator[SealedEvent]:
        """Pass ``events`` on to the chain check, feeding each in once it has been checked
        (when the next is asked for), so a broken link is reported as such, not replayed."""
        for event in events:
            yield event
            self.feed(event)
        self._flush()

    def keep_message(self, row: Mapping[str, Any]) -> None:
        """Copy an outbox row as it stood (for views of the past that count from delivery)."""
        self._flush()
        self.conn.execute(insert(OutboxMessage.__table__), dict(row))  # type: ignore[attr-defined]

    def finish(self) -> Engine:
        """Commit what was fed in; the engine then serves ordinary reads."""
        self._flush()
        self._tx.commit()
        self.conn.close()
        return self.engine


def _select(shape: Shape) -> str:
    names = ", ".join(f'"{c}"' for c in shape.columns)
    order = ", ".join(f'"{c}"' for c in shape.primary)
    return f'SELECT {names} FROM "{shape.name}" ORDER BY {order}'


def _from_server(value: Any) -> Any:
    """A value PostgreSQL's driver gives, in the form bvflow stores it in SQLite."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _stored_rows(live: Connection, shape: Shape) -> Iterator[tuple[Any, ...]]:
    rows = live.exec_driver_sql(_select(shape))
    if live.dialect.name == "sqlite":
        yield from rows
    else:
        for row in rows:
            yield tuple(_from_server(v) for v in row)


def compare(live: Connection, replayed: Replay) -> tuple[list[Difference], int]:
    """Differences between the stored tables and the replayed ones: the first few, and how many.

    Rows are compared as stored (no conversion on SQLite); only a difference is turned into
    readable values.
    """
    replayed._flush()
    found: list[Difference] = []
    total = 0
    for shape in SHAPES.values():
        at = [shape.columns.index(k) for k in shape.primary]
        expected = {
            tuple(row[i] for i in at): row for row in replayed._raw.execute(_select(shape))
        }
        for row in _stored_rows(live, shape):
            key = tuple(row[i] for i in at)
            want = expected.pop(key, None)
            if want == row and all(type(a) is type(b) for a, b in zip(want, row, strict=True)):
                continue
            diffs = _differences(shape, replayed, key, row, want)
            total += len(diffs)
            found += diffs[: max(0, MAX_REPORTED - len(found))]
        for key, want in expected.items():
            total += 1
            if len(found) < MAX_REPORTED:
                found += _differences(shape, replayed, key, None, want)
    return found, total


def _differences(
    shape: Shape,
    replayed: Replay,
    key: tuple[Any, ...],
    stored: tuple[Any, ...] | None,
    want: tuple[Any, ...] | None,
) -> list[Difference]:
    named = dict(zip(shape.primary, key, strict=True))
    by = replayed.set_by.get((shape.name, key), {})
    if want is None:
        assert stored is not None
        return [Difference(shape.name, named, None, _readable(shape, stored), None, None)]
    if stored is None:
        return [Difference(shape.name, named, None, None, _readable(shape, want), by.get("*"))]
    mine, theirs = _readable(shape, stored), _readable(shape, want)
    # Compared as stored: 'true' in a boolean column, or an instant written another way,
    # differs even where it reads the same.
    return [
        Difference(
            shape.name,
            named,
            c,
            mine[c] if mine[c] != theirs[c] else f"{stored[i]!r} (as stored)",
            theirs[c] if mine[c] != theirs[c] else f"{want[i]!r} (as bvflow stores it)",
            by.get(c, by.get("*")),
        )
        for i, c in enumerate(shape.columns)
        if stored[i] != want[i] or type(stored[i]) is not type(want[i])
    ]


def file_problems(live: Connection, replayed: Replay | None = None) -> list[Difference]:
    """Stored files whose bytes no longer match the SHA-256 their event recorded, and pinned
    definitions whose source no longer matches their digest (each with the event that
    recorded it, when the chain was replayed)."""
    found: list[Difference] = []

    def by(table: str, key: Any) -> int | None:
        return replayed.set_by.get((table, (key,)), {}).get("*") if replayed else None

    for table in FILE_TABLES:  # evidence papers, inspectors' reports
        rows = live.exec_driver_sql(f'SELECT id, file_sha256, content FROM "{table}"')
        for item_id, sha, content in rows:
            if content is not None and not isinstance(content, bytes):
                content = str(content).encode("utf-8")
                sha = None  # stored as text: altered whatever its hash
            actual = hashlib.sha256(content).hexdigest() if content is not None else None
            if actual != sha:
                note = "its file no longer matches the SHA-256 its event recorded (edited)"
                found.append(
                    Difference(
                        table, {"id": item_id}, "content", actual, sha, by(table, item_id),
                        note,
                    )
                )
    for digest, source in live.exec_driver_sql('SELECT digest, source FROM "definitions"'):
        if isinstance(source, str):
            actual = hashlib.sha256(source.encode("utf-8")).hexdigest()
        else:  # stored as bytes, or anything but text: altered
            actual = f"not text ({type(source).__name__})"
        if actual != digest:
            note = "its source no longer hashes to its digest (the pinned rules were edited)"
            found.append(
                Difference(
                    "definitions", {"digest": digest}, "source", actual, digest,
                    by("definitions", digest), note,
                )
            )
    return found
