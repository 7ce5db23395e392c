"""Reads and writes of reviews: the authority and its calendar, pinned definitions, reviews,
their stage entries and suspensions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Table, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from bvflow.errors import ConflictError, NotFoundError, StoreError
from bvflow.store import changes
from bvflow.store.models import (
    Authority,
    BankHoliday,
    Closure,
    DefinitionRow,
    Opening,
    RefCounter,
    Review,
    StageEntry,
    Suspension,
)


def find_authority(session: Session) -> Authority | None:
    authority = session.get(Authority, 1)
    # Held for the session: the identity map keeps objects only while something refers to
    # them, and a change reads the authority several times (names, acting-for, notices).
    session.info["bvflow.authority"] = authority
    return authority


def load_authority(session: Session) -> Authority:
    authority = find_authority(session)
    if authority is None:
        raise StoreError("the database has no authority; run 'bvflow init --authority ...'")
    return authority


def save_authority(
    session: Session, name: str, nation: str, sender: str | None, now: datetime
) -> Authority:
    """Record the authority: its name, nation and the address its notices come from."""
    authority = session.get(Authority, 1)
    if authority is None:
        authority = Authority(id=1, name=name, nation=nation, sender=sender, created_at=now)
        changes.insert(session, authority)
    else:
        changes.update(session, authority, {"name": name, "nation": nation, "sender": sender})
    return authority


def closure_days(session: Session) -> frozenset[date]:
    return frozenset(session.execute(sa_select(_table(Closure).c.day)).scalars())


def list_closures(session: Session) -> Sequence[Closure]:
    return session.exec(select(Closure).order_by(col(Closure.day))).all()


def add_closure(session: Session, closure: Closure) -> None:
    if session.get(Closure, closure.day) is not None:
        raise StoreError(f"{closure.day.isoformat()} is already a closure day")
    changes.insert(session, closure)


def bank_holidays(session: Session) -> Sequence[BankHoliday]:
    return session.exec(select(BankHoliday).order_by(col(BankHoliday.day))).all()


def opened_days(session: Session) -> frozenset[date]:
    return frozenset(session.execute(sa_select(_table(Opening).c.day)).scalars())


def holiday_names(session: Session) -> dict[date, str]:
    """The stored bank holidays, day to name (plain rows: every use case reads them)."""
    table = _table(BankHoliday)
    return {day: name for day, name in session.execute(sa_select(table.c.day, table.c.name))}


def nation(session: Session) -> str:
    found = session.execute(
        sa_select(_table(Authority).c.nation).where(_table(Authority).c.id == 1)
    ).scalar()
    if found is None:
        raise StoreError("the database has no authority; run 'bvflow init --authority ...'")
    return str(found)


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def list_openings(session: Session) -> Sequence[Opening]:
    return session.exec(select(Opening).order_by(col(Opening.day))).all()


def find_closure(session: Session, day: date) -> Closure | None:
    return session.get(Closure, day)


def find_opening(session: Session, day: date) -> Opening | None:
    return session.get(Opening, day)


def pin_definition(session: Session, row: DefinitionRow) -> bool:
    """Store a definition by digest; False if it was already pinned."""
    if session.get(DefinitionRow, row.digest) is not None:
        return False
    changes.insert(session, row)
    return True


def load_definition_row(session: Session, digest: str) -> DefinitionRow:
    row = session.get(DefinitionRow, digest)
    if row is None:
        raise StoreError(f"pinned definition {digest[:12]} is missing from the database")
    return row


def next_ref(session: Session, year: int) -> str:
    """Allocate the next reference for ``year``; the counter row serialises concurrent creates."""
    counter = session.get(RefCounter, year)
    if counter is None:
        counter = RefCounter(year=year, last=0)
        session.add(counter)
        session.flush()
    session.execute(
        update(RefCounter).where(col(RefCounter.year) == year).values(last=RefCounter.last + 1)
    )
    session.refresh(counter)
    return f"BV-{year}-{counter.last:03d}"


def add_review(session: Session, review: Review) -> Review:
    changes.insert(session, review)
    return review


def load_review(session: Session, ref: str) -> Review:
    review = session.exec(select(Review).where(col(Review.ref) == ref.upper())).first()
    if review is None:
        raise NotFoundError(f"no review {ref!r}; 'bvflow review list' shows the references")
    return review


@dataclass(frozen=True)
class ReviewFilter:
    stage: str | None = None
    status: str | None = None


def find_reviews(session: Session, where: ReviewFilter) -> Sequence[Review]:
    query = select(Review).order_by(col(Review.id))
    if where.stage:
        query = query.where(col(Review.stage) == where.stage)
    if where.status:
        query = query.where(col(Review.status) == where.status)
    return session.exec(query).all()


def update_review(
    session: Session, review: Review, expected_version: int, **values: object
) -> int:
    """Apply ``changes`` only if the stored version is still ``expected_version``; bump it."""
    values = {**values, "version": expected_version + 1}
    try:
        changes.update(
            session, review, values, expect={"version": expected_version}, sync=False
        )
    except changes.MissingRow:
        current = session.exec(select(Review.version).where(col(Review.id) == review.id)).first()
        raise ConflictError(review.ref, expected_version, current) from None
    return expected_version + 1


def enter_stage(session: Session, review_id: int, stage: str, via: str, at: datetime) -> None:
    """Close the open stage entry and open one for ``stage``."""
    open_entry = session.exec(
        select(StageEntry).where(
            col(StageEntry.review_id) == review_id, col(StageEntry.left_at).is_(None)
        )
    ).first()
    if open_entry is not None:
        changes.update(session, open_entry, {"left_at": at})
    changes.insert(session, StageEntry(review_id=review_id, stage=stage, via=via, entered_at=at))


def suspensions_since(session: Session, review_id: int, since: datetime) -> list[Suspension]:
    """Suspensions of a review that were open at or after ``since``."""
    # Filtered in SQL: a review suspended and resumed many times reads only the recent ones.
    return list(
        session.exec(
            select(Suspension)
            .where(
                col(Suspension.review_id) == review_id,
                or_(col(Suspension.ended_at).is_(None), col(Suspension.ended_at) >= since),
            )
            .order_by(col(Suspension.started_at))
        ).all()
    )


def open_suspension(session: Session, review_id: int) -> Suspension | None:
    return session.exec(
        select(Suspension).where(
            col(Suspension.review_id) == review_id, col(Suspension.ended_at).is_(None)
        )
    ).first()


def suspensions_by_review(session: Session) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Every suspension interval, grouped by review id, oldest first (one query)."""
    found: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for row in session.exec(select(Suspension).order_by(col(Suspension.started_at))).all():
        found.setdefault(row.review_id, []).append((row.started_at, row.ended_at))
    return found


def definitions_by_digest(session: Session) -> dict[str, DefinitionRow]:
    return {row.digest: row for row in session.exec(select(DefinitionRow)).all()}


def open_stage_entries(session: Session) -> dict[int, int]:
    """Review id to the id of its current (open) stage entry."""
    rows = session.exec(select(StageEntry).where(col(StageEntry.left_at).is_(None))).all()
    return {row.review_id: int(row.id or 0) for row in rows}


def refs_by_id(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Review.id, Review.ref).where(col(Review.id).in_(ids))).all()
    return {int(i): str(r) for i, r in rows if i is not None}


def reviews_by_status(session: Session, status: str) -> Sequence[Review]:
    return session.exec(
        select(Review).where(col(Review.status) == status).order_by(col(Review.id))
    ).all()


def stage_entries(session: Session, review_id: int) -> Sequence[StageEntry]:
    return session.exec(
        select(StageEntry)
        .where(col(StageEntry.review_id) == review_id)
        .order_by(col(StageEntry.entered_at), col(StageEntry.id))
    ).all()
