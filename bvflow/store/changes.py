"""Every change to the record is a row change carried by an audit event.

A use case never writes a state table through the ORM: it calls ``insert``, ``update`` or
``delete`` here. Each one is applied at once by ``apply`` (so later reads in the transaction
see it) and queued on the session; ``repo.append_event`` seals the queued changes into the
next event's hashed record. Replaying the chain runs the very same ``statement`` (the SQL
of each change) on each event's changes, so the state tables are a projection of the chain
by construction, and ``audit verify`` can rebuild them and compare
(``bvflow.store.projection``).

A commit with changes that no event carries is refused, and so is any ORM write to a state
table: both would be state the chain cannot account for.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import Column, Table, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import Date, LargeBinary
from sqlmodel import Session, SQLModel

from bvflow.domain.audit import format_instant
from bvflow.store import models
from bvflow.store.types import UTCDateTime

# The tables an inspector reads, in the order a fresh database is filled (parents first).
# The outbox (the delivery queue), the reference counters and the chain itself are not state
# a review is judged on: delivery outcomes are events of their own.
STATE_MODELS: Final[tuple[type[SQLModel], ...]] = (
    models.Authority,
    models.BankHoliday,
    models.Closure,
    models.Opening,
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
    models.ProgrammeItem,
    models.Publication,
    models.InvolvementPlanEntry,
    models.Inspection,
    models.InspectionFinding,
    models.InspectionRecommendation,
    models.InspectionResponse,
    models.CompetencyAssessment,
    models.CompetencyScore,
)


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


STATE_TABLES: Final[dict[str, Table]] = {_table(m).name: _table(m) for m in STATE_MODELS}
# A file's bytes are not copied into the chain: the event carries the file's SHA-256 (in
# ``file_sha256``) and verify checks the stored bytes against it.
ATTACHED: Final = {("evidence", "content"), ("inspections", "content")}
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
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: bvflow stores only aware instants")
        return format_instant(value)
    if isinstance(column.type, Date):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    return value




def encode_row(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: encode(table.c[name], value)
        for name, value in row.items()
        if (table.name, name) not in ATTACHED
    }


class Shape:
    """A state table as the change statements see it: its columns, its key, and which values
    need rewriting for the backend (SQLite keeps instants as ``YYYY-MM-DD HH:MM:SS.ffffff``
    text in UTC, as SQLAlchemy writes them; PostgreSQL reads the JSON form itself)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.name = table.name
        self.columns = [c.name for c in table.columns if (table.name, c.name) not in ATTACHED]
        self.primary = sorted(c.name for c in table.primary_key.columns)
        self.instants = frozenset(c.name for c in table.columns if isinstance(c.type, UTCDateTime))
        self._sql: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], str] = {}
        self._instant_at: dict[tuple[str, ...], tuple[int, ...]] = {}

    def sql(
        self,
        op: str,
        style: str,
        keys: tuple[str, ...],
        expect: tuple[str, ...],
        values: tuple[str, ...],
    ) -> str:
        """The statement of ``op`` on these columns, in the driver's parameter ``style``.

        The key is matched with ``=`` (so its index is used); expected values, which may be
        NULL, with ``IS`` (PostgreSQL: ``IS NOT DISTINCT FROM``).
        """
        found = self._sql.get((op, style, (*keys, "|", *expect), values))
        if found is None:
            mark = "?" if style == "qmark" else "%s"
            same = "IS" if style == "qmark" else "IS NOT DISTINCT FROM"
            table = f'"{self.name}"'
            condition = " AND ".join(
                [f'"{c}" = {mark}' for c in keys] + [f'"{c}" {same} {mark}' for c in expect]
            )
            if op == "insert":
                names = ", ".join(f'"{c}"' for c in values)
                found = f"INSERT INTO {table} ({names}) VALUES ({', '.join([mark] * len(values))})"
            elif op == "update":
                assignments = ", ".join(f'"{c}" = {mark}' for c in values)
                found = f"UPDATE {table} SET {assignments} WHERE {condition}"
            else:
                found = f"DELETE FROM {table} WHERE {condition}"
            self._sql[(op, style, (*keys, "|", *expect), values)] = found
        return found

    def row(self, values: Mapping[str, Any], sqlite: bool) -> list[Any]:
        """The values as the backend takes them (only SQLite's instants need rewriting)."""
        row = list(values.values())
        if sqlite:
            for index in self._instants(tuple(values)):
                value = row[index]
                if value is not None:
                    row[index] = f"{value[:10]} {value[11:-1]}"
        return row

    def _instants(self, names: tuple[str, ...]) -> tuple[int, ...]:
        found = self._instant_at.get(names)
        if found is None:
            found = tuple(i for i, n in enumerate(names) if n in self.instants)
            self._instant_at[names] = found
        return found


SHAPES: Final = {name: Shape(table) for name, table in STATE_TABLES.items()}


@dataclass(frozen=True)
class Statement:
    """One change as SQL: what runs on the live database and in replay alike."""

    op: str
    sql: str
    params: list[Any]


def statement(
    change: Change, dialect: str, attached: Mapping[str, Any] | None = None
) -> Statement:
    """The SQL of one change for ``dialect`` (``sqlite`` or ``postgresql``).

    An insert writes the whole row; an update sets the values on the row with the key, and
    on no row unless it still has the ``__expect__`` values; a delete removes the row with
    the key; a clear (a baseline's first step) empties the table.
    """
    shape = SHAPES.get(change.table)
    if shape is None:
        raise MissingRow(f"no state table {change.table!r}")
    sqlite = dialect == "sqlite"
    style = "qmark" if sqlite else "format"
    if change.op == "clear":
        return Statement("clear", f'DELETE FROM "{shape.name}"', [])
    values = dict(change.values)
    expect = values.pop("__expect__", None) or {}
    extra = dict(attached or {})
    if change.op == "insert":
        row = {**change.key, **values}
        params = [*shape.row(row, sqlite), *extra.values()]
        return Statement("insert", shape.sql("insert", style, (), (), (*row, *extra)), params)
    keys, expected = tuple(change.key), tuple(expect)
    conditions = [*shape.row(change.key, sqlite), *shape.row(expect, sqlite)]
    if change.op == "update":
        sql = shape.sql("update", style, keys, expected, (*values, *extra))
        params = [*shape.row(values, sqlite), *extra.values(), *conditions]
        return Statement("update", sql, params)
    if change.op == "delete":
        return Statement("delete", shape.sql("delete", style, keys, expected, ()), conditions)
    raise MissingRow(f"unknown change {change.op!r}")


def apply(conn: Connection, change: Change, attached: Mapping[str, Any] | None = None) -> Change:
    """Apply one change on the live database; replay runs the same ``statement``.

    An insert without its key (a new row on the live path) gets the key the database
    assigns, and the returned change carries it. An update or delete that finds no row (or,
    for an update with ``expect``, a row in another state) raises ``MissingRow``.
    """
    found = statement(change, conn.dialect.name, attached)
    if found.op == "insert" and not change.key:
        primary = SHAPES[change.table].primary
        sql = f'{found.sql} RETURNING "{primary[0]}"'
        new_key = conn.exec_driver_sql(sql, tuple(found.params)).scalar_one()
        return Change("insert", change.table, {primary[0]: new_key}, change.values)
    result = conn.exec_driver_sql(found.sql, tuple(found.params))
    if found.op in ("update", "delete") and result.rowcount != 1:
        raise MissingRow(f"{change.table} {dict(change.key)}: no such row to {change.op}")
    return change


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

    The change expects the stored row to still hold what ``row`` was read with in every
    column it overwrites, and ``expect`` adds conditions (the version a review was read at);
    if the row does not, ``MissingRow``. So a value altered outside bvflow cannot be
    overwritten into the record unseen: replay, which holds the chain's value, refuses the
    change. Without ``sync`` the object keeps the values it was read with (a review's
    "before", which the caller reports).
    """
    table = _table(type(row))
    encoded = encode_row(table, dict(values))
    before = {name: getattr(row, name) for name in values if (table.name, name) not in ATTACHED}
    encoded["__expect__"] = encode_row(table, {**before, **dict(expect or {})})
    attached = {name: v for name, v in values.items() if (table.name, name) in ATTACHED}
    change = Change("update", table.name, _primary_key(table, row), encoded)
    session.flush()
    apply(session.connection(), change, attached)
    for name, value in values.items() if sync else ():
        set_committed_value(row, name, value)
    _queue(session, change)


def delete(session: Session, row: SQLModel) -> None:
    """Delete ``row``'s stored row, expecting it to hold what ``row`` was read with."""
    table = _table(type(row))
    key = _primary_key(table, row)
    held = {c.name: getattr(row, c.name) for c in table.columns if c.name not in key}
    change = Change("delete", table.name, key, {"__expect__": encode_row(table, held)})
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


