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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import create_engine, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.pool import StaticPool

from bvflow.domain.audit import SealedEvent
from bvflow.store.changes import ATTACHED, STATE_TABLES, Change, MissingRow, apply, encode_row
from bvflow.store.models import metadata

# Enough to act on; a wholesale rewrite would otherwise print a line per row.
MAX_REPORTED: Final = 50


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
        where = f"{self.table} row {key}"
        if self.note is not None:
            return f"{where}: {self.note}"
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
    text = json.dumps(value, ensure_ascii=False)
    if len(text) <= 120:
        return text
    theirs = json.dumps(other, ensure_ascii=False)
    at = next((i for i, (a, b) in enumerate(zip(text, theirs, strict=False)) if a != b), 0)
    start = max(0, at - 40)
    return f"...{text[start : start + 100]}..." if start else f"{text[:100]}..."


class ReplayError(Exception):
    """The chain's own changes do not apply (an update of a row no event created)."""

    def __init__(self, seq: int, problem: str) -> None:
        super().__init__(f"event {seq} cannot be replayed: {problem}")
        self.seq = seq


def scratch(all_tables: bool = False) -> Engine:
    """An empty in-memory database with the state tables (one connection, kept open)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine, tables=None if all_tables else list(STATE_TABLES.values()))
    return engine


class Replay:
    """A scratch database the events are fed into, one by one, in sequence."""

    def __init__(self, all_tables: bool = False) -> None:
        self.engine = scratch(all_tables)
        self.conn = self.engine.connect()
        self._tx = self.conn.begin()
        self.events = 0
        self.last_seq = 0
        # (table, key) -> column -> the event that last set it ("*": created it)
        self.set_by: dict[tuple[str, tuple[Any, ...]], dict[str, int]] = {}

    def feed(self, event: SealedEvent) -> None:
        self.events, self.last_seq = self.events + 1, event.seq
        if '"changes":' not in event.record:  # most events of a long history set nothing
            return
        for data in json.loads(event.record).get("changes") or ():
            change = Change.from_json(data)
            try:
                apply(self.conn, change)
            except (MissingRow, SAIntegrityError) as exc:  # e.g. a row created twice
                raise ReplayError(event.seq, str(exc).splitlines()[0]) from exc
            self._note(change, event.seq)

    def tap(self, events: Iterable[SealedEvent]) -> Iterator[SealedEvent]:
        """Pass ``events`` on to the chain check, feeding each in once it has been checked
        (when the next is asked for), so a broken link is reported as such, not replayed."""
        for event in events:
            yield event
            self.feed(event)

    def finish(self) -> Engine:
        """Commit what was fed in; the engine then serves ordinary reads."""
        self._tx.commit()
        self.conn.close()
        return self.engine

    def _note(self, change: Change, seq: int) -> None:
        where = (change.table, tuple(change.key[name] for name in sorted(change.key)))
        if change.op == "delete":
            self.set_by.pop(where, None)
            return
        columns = self.set_by.setdefault(where, {})
        if change.op == "insert":
            columns["*"] = seq
        for name in change.values:
            if name != "__expect__":
                columns[name] = seq


def _rows(conn: Connection, name: str) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    table = STATE_TABLES[name]
    primary = sorted(c.name for c in table.primary_key.columns)
    columns = [c for c in table.columns if (name, c.name) not in ATTACHED]
    for row in conn.execute(select(*columns).order_by(*table.primary_key.columns)):
        values = encode_row(table, dict(row._mapping))
        yield tuple(values[k] for k in primary), values


def compare(live: Connection, replayed: Replay) -> tuple[list[Difference], int]:
    """Differences between the stored tables and the replayed ones: the first few, and how many."""
    found: list[Difference] = []
    total = 0
    conn = replayed.conn
    for name, table in STATE_TABLES.items():
        primary = sorted(c.name for c in table.primary_key.columns)
        expected = dict(_rows(conn, name))
        for key, stored in _rows(live, name):
            want = expected.pop(key, None)
            by = replayed.set_by.get((name, key), {})
            named = dict(zip(primary, key, strict=True))
            if want is None:
                diffs = [Difference(name, named, None, stored, None, None)]
            else:
                diffs = [
                    Difference(name, named, col, stored[col], want[col], by.get(col, by.get("*")))
                    for col in stored
                    if stored[col] != want[col]
                ]
            total += len(diffs)
            found += diffs[: max(0, MAX_REPORTED - len(found))]
        for key in expected:
            by = replayed.set_by.get((name, key), {})
            named = dict(zip(primary, key, strict=True))
            total += 1
            if len(found) < MAX_REPORTED:
                found.append(Difference(name, named, None, None, expected[key], by.get("*")))
    return found, total


def file_problems(live: Connection) -> list[Difference]:
    """Stored files whose bytes no longer match the SHA-256 their event recorded, and pinned
    definitions whose source no longer matches their digest."""
    found: list[Difference] = []
    evidence = STATE_TABLES["evidence"]
    rows = live.execute(select(evidence.c.id, evidence.c.file_sha256, evidence.c.content))
    for item_id, sha, content in rows:
        actual = hashlib.sha256(content).hexdigest() if content is not None else None
        if actual != sha:
            note = "its file no longer matches the SHA-256 its event recorded (edited)"
            found.append(
                Difference("evidence", {"id": item_id}, "content", actual, sha, None, note)
            )
    definitions = STATE_TABLES["definitions"]
    for digest, source in live.execute(select(definitions.c.digest, definitions.c.source)):
        actual = hashlib.sha256(source.encode("utf-8")).hexdigest()
        if actual != digest:
            note = "its source no longer hashes to its digest (the pinned rules were edited)"
            found.append(
                Difference("definitions", {"digest": digest}, "source", actual, digest, None, note)
            )
    return found
