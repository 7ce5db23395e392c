"""Every change to the record is a row change carried by an audit event.

A use case never writes a state table through the ORM: it calls ``insert``, ``update`` or
``delete`` here. Each one is applied at once by ``apply`` (so later reads in the transaction
see it) and queued on the session; ``repo.append_event`` seals the queued changes into the
next event's hashed record. Replaying the chain runs the very same ``apply`` on each event's
changes, so the state tables are a projection of the chain by construction, and
``audit verify`` can rebuild them and compare (see ``bvflow.store.projection``).

A commit with changes that no event carries is refused, and so is any ORM write to a state
table: both would be state the chain cannot account for.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Final

from sqlalchemy import Column, ColumnElement, Delete, Insert, Table, Update, bindparam, event
from sqlalchemy import delete as sa_delete
from sqlalchemy import insert as sa_insert
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Connection
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import Date, LargeBinary
from sqlmodel import Session, SQLModel

from bvflow.domain.audit import format_instant, parse_instant
from bvflow.store import models
from bvflow.store.types import UTCDateTime

# The tables an inspector reads, in the order a fresh database is filled (parents first).
# The outbox (the delivery queue), the reference counters and the chain itself are not state
# a review is judged on: delivery outcomes are events of their own.
STATE_MODELS: Final[tuple[type[SQLModel], ...]] = (
    models.Authority,
    models.Closure,
    models.DefinitionRow,
    models.Review,
    models.StageEntry,
    models.Suspension,
    models.Evidence,
    models.Watcher,
    models.PartyMember,
    models.Activity,
    models.Meeting,
    models.Proposal,
    models.Agreement,
    models.Indicator,
    models.IndicatorValue,
    models.Comparator,
    models.Option,
    models.Criterion,
    models.OptionScore,
    models.PlanAction,
    models.Correction,
)


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


STATE_TABLES: Final[dict[str, Table]] = {_table(m).name: _table(m) for m in STATE_MODELS}
# A file's bytes are not copied into the chain: the event carries the file's SHA-256 (in
# ``file_sha256``) and verify checks the stored bytes against it.
ATTACHED: Final = {("evidence", "content")}
PENDING: Final = "bvflow.pending_changes"


class MissingRow(LookupError):
    """An update or delete found no row (or not in the state it expected)."""


@dataclass(frozen=True)
class Change:
    """One row change, with keys and values in their JSON form (as hashed)."""

    op: str  # insert | update | delete | clear (the whole table; baselines only)
    table: str
    key: Mapping[str, Any]
    values: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "table": self.table,
            "key": dict(self.key),
            "values": dict(self.values),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(str(data["op"]), str(data["table"]), dict(data["key"]), dict(data["values"]))


def encode(column: Column[Any], value: Any) -> Any:
    """A column value in its JSON form: instants as UTC ISO text, dates ISO, bytes base64."""
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return format_instant(value)
    if isinstance(column.type, Date):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    return value


def decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return parse_instant(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    return value


def encode_row(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: encode(table.c[name], value)
        for name, value in row.items()
        if (table.name, name) not in ATTACHED
    }


def _decoded(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: decode(table.c[name], value) for name, value in values.items()}


def apply(conn: Connection, change: Change, attached: Mapping[str, Any] | None = None) -> Change:
    """Apply one change; the live write path and replay both come here.

    An insert without its key (a new row on the live path) gets the key the database
    assigns, and the returned change carries it. An update or delete that finds no row (or,
    for an update with ``expect``, a row in another state) raises ``MissingRow``.
    """
    table = STATE_TABLES[change.table]
    key = _decoded(table, change.key)
    raw = dict(change.values)
    expect = _decoded(table, raw.pop("__expect__", None) or {})
    values = {**_decoded(table, raw), **(attached or {})}
    if change.op == "insert":
        primary = list(table.primary_key.columns)
        if not key and len(primary) == 1:
            new_key = conn.execute(_insert_returning(change.table), values).scalar_one()
            return Change("insert", change.table, {primary[0].name: new_key}, change.values)
        conn.execute(_insert(change.table), {**key, **values})
        return change
    if change.op == "clear":  # a baseline's first step: the snapshot that follows is the state
        conn.execute(sa_delete(table))
        return change
    params = {**_prefixed("k_", key), **_prefixed("e_", expect), **_prefixed("v_", values)}
    target: Update | Delete
    if change.op == "update":
        target = _update(change.table, tuple(key), tuple(expect), tuple(values))
    elif change.op == "delete":
        target = _delete(change.table, tuple(key))
    else:
        raise ValueError(f"unknown change {change.op!r}")
    if conn.execute(target, params).rowcount != 1:
        raise MissingRow(f"{change.table} {dict(change.key)}: no such row to {change.op}")
    return change


# Statements are built once per shape and bound with parameters: replaying a long history
# runs the same few hundred thousand times.


def _prefixed(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {prefix + name: value for name, value in values.items()}


@cache
def _insert(name: str) -> Insert:
    return sa_insert(STATE_TABLES[name])


@cache
def _insert_returning(name: str) -> Insert:
    table = STATE_TABLES[name]
    return sa_insert(table).returning(*table.primary_key.columns)


def _matching(table: Table, prefix: str, names: tuple[str, ...]) -> list[ColumnElement[bool]]:
    return [table.c[n] == bindparam(prefix + n, type_=table.c[n].type) for n in names]


@cache
def _update(
    name: str, keys: tuple[str, ...], expect: tuple[str, ...], columns: tuple[str, ...]
) -> Update:
    table = STATE_TABLES[name]
    return (
        sa_update(table)
        .where(*_matching(table, "k_", keys), *_matching(table, "e_", expect))
        .values({c: bindparam("v_" + c, type_=table.c[c].type) for c in columns})
    )


@cache
def _delete(name: str, keys: tuple[str, ...]) -> Delete:
    table = STATE_TABLES[name]
    return sa_delete(table).where(*_matching(table, "k_", keys))


def _primary_key(table: Table, row: SQLModel) -> dict[str, Any]:
    return {c.name: encode(c, getattr(row, c.name)) for c in table.primary_key.columns}


def _queue(session: Session, change: Change) -> None:
    session.info.setdefault(PENDING, []).append(change.as_json())


def insert(session: Session, row: SQLModel) -> SQLModel:
    """Insert ``row`` (a new model object); its key is filled in as the database assigned it."""
    table = _table(type(row))
    data = {c.name: getattr(row, c.name) for c in table.columns}
    primary = [c.name for c in table.primary_key.columns]
    if len(primary) == 1 and data[primary[0]] is None:
        data.pop(primary[0])
    attached = {
        name: data.pop(name) for name in list(data) if (table.name, name) in ATTACHED
    }
    keyless = Change("insert", table.name, {}, encode_row(table, data))
    session.flush()  # anything the ORM still holds goes first, through the guard below
    done = apply(session.connection(), keyless, attached)
    for name, value in done.key.items():
        setattr(row, name, value)
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name not in primary}
    key = _primary_key(table, row)
    _queue(session, Change("insert", table.name, key, encode_row(table, values)))
    return row


def update(
    session: Session,
    row: SQLModel,
    values: Mapping[str, Any],
    expect: Mapping[str, Any] | None = None,
    *,
    sync: bool = True,
) -> None:
    """Set ``values`` on ``row``'s stored row and, with ``sync``, on the object (not dirtying it).

    ``expect`` adds conditions the stored row must meet (the version a review was read at);
    if it does not, ``MissingRow``. Without ``sync`` the object keeps the values it was read
    with (a review's "before", which the caller reports).
    """
    table = _table(type(row))
    encoded = encode_row(table, dict(values))
    if expect:
        encoded["__expect__"] = encode_row(table, dict(expect))
    attached = {name: v for name, v in values.items() if (table.name, name) in ATTACHED}
    change = Change("update", table.name, _primary_key(table, row), encoded)
    session.flush()
    apply(session.connection(), change, attached)
    for name, value in values.items() if sync else ():
        set_committed_value(row, name, value)
    _queue(session, change)


def delete(session: Session, row: SQLModel) -> None:
    table = _table(type(row))
    change = Change("delete", table.name, _primary_key(table, row), {})
    session.flush()
    apply(session.connection(), change)
    if row in session:
        session.expunge(row)
    _queue(session, change)


def take_pending(session: Session) -> list[dict[str, Any]]:
    """The changes made since the last event, for it to carry; the queue is emptied."""
    pending: list[dict[str, Any]] = session.info.pop(PENDING, [])
    return pending


@event.listens_for(Session, "before_flush")
def _refuse_orm_writes(session: Session, _context: Any, _instances: Any) -> None:
    touched = [*session.new, *session.deleted]
    touched += [row for row in session.dirty if session.is_modified(row)]
    for row in touched:
        table = getattr(type(row), "__table__", None)
        if isinstance(table, Table) and table.name in STATE_TABLES:
            raise RuntimeError(
                f"{table.name} was written through the ORM; use bvflow.store.changes so "
                "that the audit chain carries the change"
            )


@event.listens_for(Session, "before_commit")
def _refuse_unrecorded(session: Session) -> None:
    if session.info.get(PENDING):
        tables = sorted({c["table"] for c in session.info[PENDING]})
        session.info.pop(PENDING, None)
        raise RuntimeError(f"changes to {', '.join(tables)} carried by no audit event")


def changes_of(record: Mapping[str, Any]) -> Sequence[Change]:
    return [Change.from_json(c) for c in record.get("changes") or ()]


def row_values(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row in JSON form, for comparison with a replayed one."""
    return encode_row(table, row)

