"""Intent-named reads and writes. Callers pass the session of the transaction they opened."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, func, or_, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bvflow.domain.actions import ACTIONS
from bvflow.domain.audit import NewEvent, SealedEvent, seal
from bvflow.errors import ClockError, ConflictError, InputError, NotFoundError, StoreError
from bvflow.identity import os_login
from bvflow.store import changes
from bvflow.store.models import (
    Activity,
    Agreement,
    AuditEvent,
    AuditHead,
    Authority,
    Closure,
    Comparator,
    Correction,
    Criterion,
    DefinitionRow,
    Evidence,
    Indicator,
    IndicatorValue,
    Meeting,
    Option,
    OptionScore,
    OutboxMessage,
    PartyMember,
    PlanAction,
    Proposal,
    RefCounter,
    Review,
    StageEntry,
    Suspension,
    Watcher,
)

# --- authority and calendar -------------------------------------------------------------


def find_authority(session: Session) -> Authority | None:
    return session.get(Authority, 1)


def load_authority(session: Session) -> Authority:
    authority = session.get(Authority, 1)
    if authority is None:
        raise StoreError("the database has no authority; run 'bvflow init --authority ...'")
    return authority


def save_authority(session: Session, name: str, nation: str, now: datetime) -> Authority:
    authority = session.get(Authority, 1)
    if authority is None:
        authority = Authority(id=1, name=name, nation=nation, created_at=now)
        changes.insert(session, authority)
    else:
        changes.update(session, authority, {"name": name, "nation": nation})
    return authority


def closure_days(session: Session) -> frozenset[date]:
    return frozenset(c.day for c in session.exec(select(Closure)).all())


def list_closures(session: Session) -> Sequence[Closure]:
    return session.exec(select(Closure).order_by(col(Closure.day))).all()


def add_closure(session: Session, closure: Closure) -> None:
    if session.get(Closure, closure.day) is not None:
        raise StoreError(f"{closure.day.isoformat()} is already a closure day")
    changes.insert(session, closure)


# --- definitions ------------------------------------------------------------------------


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


# --- reviews ----------------------------------------------------------------------------


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
    rows = session.exec(
        select(Suspension)
        .where(col(Suspension.review_id) == review_id)
        .order_by(col(Suspension.started_at))
    ).all()
    return [row for row in rows if row.ended_at is None or row.ended_at >= since]


def open_suspension(session: Session, review_id: int) -> Suspension | None:
    return session.exec(
        select(Suspension).where(
            col(Suspension.review_id) == review_id, col(Suspension.ended_at).is_(None)
        )
    ).first()


# --- evidence ---------------------------------------------------------------------------


def add_evidence(session: Session, evidence: Evidence) -> Evidence:
    changes.insert(session, evidence)
    return evidence


def evidence_for(
    session: Session, review_id: int, stage: str | None = None, include_withdrawn: bool = False
) -> Sequence[Evidence]:
    query = select(Evidence).where(col(Evidence.review_id) == review_id)
    if not include_withdrawn:
        query = query.where(col(Evidence.withdrawn_at).is_(None))
    if stage is not None:
        query = query.where(col(Evidence.stage) == stage)
    return session.exec(query.order_by(col(Evidence.id))).all()


def evidence_kinds_in_stage(session: Session, review_id: int, stage: str) -> frozenset[str]:
    query = (
        select(Evidence.kind)
        .where(
            col(Evidence.review_id) == review_id,
            col(Evidence.stage) == stage,
            col(Evidence.withdrawn_at).is_(None),
        )
        .distinct()
    )
    return frozenset(session.exec(query).all())


# --- audit ------------------------------------------------------------------------------


# Longer than the busy timeout a command may wait for another's write lock, with room to spare.
CLOCK_TOLERANCE: Final = timedelta(minutes=5)


def append_event(session: Session, event: NewEvent, *, in_order: bool = True) -> SealedEvent:
    """Seal ``event``, with the row changes made since the last event, onto the chain.

    Updating the head row first serialises appends. With ``in_order`` (every change a
    person makes), an event stamped well before the review's last event is refused: a clock
    set back must not let a resume precede its suspend. Commands stamp the time before they
    wait for the write lock, so two that ran together may commit a moment out of order:
    ``CLOCK_TOLERANCE`` allows for that. Delivery records pass ``in_order=False``: they
    report what happened, whenever it did.
    """
    if event.action not in ACTIONS:  # a programming error: every action is in the vocabulary
        raise ValueError(f"unknown audit action {event.action!r}: add it to ACTIONS")
    session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(seq=AuditHead.seq))
    if in_order and event.review is not None:
        _check_order(session, event)
    head = session.get(AuditHead, 1)
    if head is None:
        raise StoreError("the audit chain has no head row; the database was not initialised")
    session.refresh(head)
    carried = tuple(changes.take_pending(session)) + tuple(event.changes)
    login = event.login or authenticated(session)
    if in_order and event.actor != login:
        _check_acting_for(session, event.actor, login)
    sealed = seal(replace(event, changes=carried, login=login), head.seq + 1, head.hash)
    session.add(
        AuditEvent(
            seq=sealed.seq,
            at=sealed.at,
            actor=sealed.actor,
            action=sealed.action,
            review=sealed.review,
            from_stage=sealed.from_stage,
            to_stage=sealed.to_stage,
            record=sealed.record,
            prev_hash=sealed.prev_hash,
            hash=sealed.hash,
            login=sealed.login,
        )
    )
    head.seq, head.hash = sealed.seq, sealed.hash
    session.add(head)
    session.flush()
    return sealed


_SESSION_USERS: dict[str, str] = {}
# Set on a write session when the settings forbid naming someone other than the login.
NO_ACTING_FOR: Final = "bvflow.no_acting_for"


def authenticated(session: Session) -> str:
    """Who the database or the OS authenticated: PostgreSQL's session_user, else the login.

    Not ``--actor`` (which anyone may type) and not ``$USER`` (which anyone may set).
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return os_login()
    key = bind.engine.url.render_as_string(hide_password=True)
    if key not in _SESSION_USERS:
        _SESSION_USERS[key] = str(session.execute(text("SELECT session_user")).scalar_one())
    return _SESSION_USERS[key]



def _check_acting_for(session: Session, actor: str, login: str) -> None:
    """Refuse naming someone other than the login where the database or the settings say so.

    Delivery records (not ``in_order``) name the system, not a person, and are not refused.
    """
    authority = session.get(Authority, 1)
    if authority is not None and not authority.allow_acting_for:
        raise InputError(
            f"--actor {actor!r} is not who is logged in ({login}), and this database forbids "
            "acting for another (set by 'bvflow init --acting-for forbid')"
        )
    if session.info.get(NO_ACTING_FOR):
        raise InputError(
            f"--actor {actor!r} is not who is logged in ({login}), and the settings forbid "
            "acting for another ([audit] allow_acting_for = false)"
        )


def _check_order(session: Session, event: NewEvent) -> None:
    last = session.exec(
        select(func.max(AuditEvent.at)).where(col(AuditEvent.review) == event.review)
    ).one()
    if last is not None and event.at < last - CLOCK_TOLERANCE:
        raise ClockError(event.review or "", event.at, last)


def _sealed(row: AuditEvent) -> SealedEvent:
    return SealedEvent(
        row.seq,
        row.at,
        row.actor,
        row.action,
        row.review,
        row.from_stage,
        row.to_stage,
        row.record,
        row.prev_hash,
        row.hash,
        row.login,
    )


def iter_events(session: Session, batch: int = 5000) -> Iterator[SealedEvent]:
    """Every event in sequence order, fetched in batches."""
    # Plain column tuples, not ORM objects: verifying a million events is dominated by this.
    columns = AuditEvent.__table__.c  # type: ignore[attr-defined]
    after = 0
    while True:
        rows = session.execute(
            sa_select(
                columns.seq,
                columns.at,
                columns.actor,
                columns.action,
                columns.review,
                columns.from_stage,
                columns.to_stage,
                columns.record,
                columns.prev_hash,
                columns.hash,
                columns.login,
            )
            .where(columns.seq > after)
            .order_by(columns.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield SealedEvent(*row)
        after = rows[-1][0]


@dataclass(frozen=True)
class EventFilter:
    review: str | None = None
    actor: str | None = None
    actions: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    newest_first: bool = False
    without_prefix: str | None = None


def find_events(session: Session, where: EventFilter) -> list[SealedEvent]:
    query = select(AuditEvent)
    if where.review:
        query = query.where(col(AuditEvent.review) == where.review)
    if where.actor:
        query = query.where(col(AuditEvent.actor) == where.actor)
    if where.actions:
        query = query.where(col(AuditEvent.action).in_(where.actions))
    if where.since:
        query = query.where(col(AuditEvent.at) >= where.since)
    if where.until:
        query = query.where(col(AuditEvent.at) < where.until)
    if where.without_prefix:
        query = query.where(col(AuditEvent.action).not_like(f"{where.without_prefix}%"))
    order = col(AuditEvent.seq).desc() if where.newest_first else col(AuditEvent.seq)
    query = query.order_by(order)
    if where.limit:
        query = query.limit(where.limit)
    return [_sealed(row) for row in session.exec(query).all()]


def events_until(session: Session, moment: datetime) -> int:
    """How far the record had got at ``moment``: the events before the first one stamped
    after it. A prefix, so that what is replayed is a state the chain really passed through
    even where stamps go back (a clock corrected, a delivery recorded late)."""
    later = session.exec(select(func.min(AuditEvent.seq)).where(col(AuditEvent.at) > moment)).one()
    if later is not None:
        return int(later) - 1
    return chain_head(session)[0]


# The triggers that keep the chain append-only and its head following it (migrations 0001,
# 0005, 0006, 0007), by backend.
GUARDS: Final = {
    "sqlite": (
        "audit_events_no_update",
        "audit_events_no_delete",
        "audit_events_no_replace",
        "audit_head_follows_chain",
        "audit_head_no_delete",
        "audit_head_no_insert",
    ),
    "postgresql": (
        "audit_events_append_only",
        "audit_events_authenticated",
        "audit_head_follows_chain",
        "audit_head_no_truncate",
    ),
}


def missing_guards(session: Session) -> list[str]:
    """The chain's guard triggers that were dropped (or, on PostgreSQL, disabled)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname IN ('audit_events', 'audit_head') "
            "AND c.relnamespace = to_regnamespace(current_schema())::oid "
            "AND t.tgenabled <> 'D'"
        )
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    present = {str(row[0]) for row in session.execute(text(query))}
    return [name for name in GUARDS.get(dialect, ()) if name not in present]


def chain_head(session: Session) -> tuple[int, str]:
    head = session.get(AuditHead, 1)
    if head is None:
        raise StoreError("the audit chain has no head row; the database was not initialised")
    return head.seq, head.hash


def count_events(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEvent)).one())


def suspensions_by_review(session: Session) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Every suspension interval, grouped by review id, oldest first (one query)."""
    found: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for row in session.exec(select(Suspension).order_by(col(Suspension.started_at))).all():
        found.setdefault(row.review_id, []).append((row.started_at, row.ended_at))
    return found


def definitions_by_digest(session: Session) -> dict[str, DefinitionRow]:
    return {row.digest: row for row in session.exec(select(DefinitionRow)).all()}


# --- watchers and the outbox --------------------------------------------------------------


def watchers_for(session: Session, review_id: int) -> Sequence[Watcher]:
    return session.exec(
        select(Watcher).where(col(Watcher.review_id) == review_id).order_by(col(Watcher.id))
    ).all()


def watchers_by_review(session: Session) -> dict[int, list[Watcher]]:
    found: dict[int, list[Watcher]] = {}
    for row in session.exec(select(Watcher).order_by(col(Watcher.id))).all():
        found.setdefault(row.review_id, []).append(row)
    return found


def add_watcher(session: Session, watcher: Watcher) -> bool:
    """Add a watcher; False if that address already watches the review."""
    exists = session.exec(
        select(Watcher).where(
            col(Watcher.review_id) == watcher.review_id, col(Watcher.email) == watcher.email
        )
    ).first()
    if exists is not None:
        return False
    changes.insert(session, watcher)
    return True


def remove_watcher(session: Session, review_id: int, email: str) -> bool:
    row = session.exec(
        select(Watcher).where(col(Watcher.review_id) == review_id, col(Watcher.email) == email)
    ).first()
    if row is None:
        return False
    changes.delete(session, row)
    return True


def open_stage_entries(session: Session) -> dict[int, int]:
    """Review id to the id of its current (open) stage entry."""
    rows = session.exec(select(StageEntry).where(col(StageEntry.left_at).is_(None))).all()
    return {row.review_id: int(row.id or 0) for row in rows}


def queue_messages(session: Session, rows: Sequence[OutboxMessage]) -> int:
    """Insert outbox rows, skipping any whose dedupe key exists; returns how many were new."""
    known = existing_keys(session, [row.dedupe_key for row in rows])
    fresh = [row.model_dump(exclude={"id"}) for row in rows if row.dedupe_key not in known]
    insert = _insert_for(session)
    inserted = 0
    for start in range(0, len(fresh), 500):
        # ON CONFLICT still guards against a concurrent sweep inserting the same key.
        statement = (
            insert(OutboxMessage)
            .values(fresh[start : start + 500])
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(col(OutboxMessage.id))
        )
        # RETURNING counts what was inserted on both backends (rowcount is -1 on psycopg).
        inserted += len(session.execute(statement).all())
    return inserted


def _insert_for(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        found |= set(
            session.exec(
                select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(chunk))
            ).all()
        )
    return found


def claim_due(
    session: Session, now: datetime, lease_until: datetime, limit: int
) -> list[OutboxMessage]:
    """Take up to ``limit`` messages due now (or whose sender's lease ran out) for sending."""
    due = or_(
        and_(col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) <= now),
        and_(col(OutboxMessage.status) == "sending", col(OutboxMessage.claimed_until) < now),
    )
    query = select(OutboxMessage).where(due).order_by(col(OutboxMessage.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.exec(query).all())
    for row in rows:
        row.status, row.claimed_until, row.attempts = "sending", lease_until, row.attempts + 1
        session.add(row)
    session.flush()
    return rows


def load_message(session: Session, message_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFoundError(f"no outbox message {message_id}; 'bvflow outbox list' shows them")
    return row


@dataclass(frozen=True)
class OutboxFilter:
    status: str | None = None
    review_id: int | None = None


def find_messages(session: Session, where: OutboxFilter) -> Sequence[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if where.status:
        query = query.where(col(OutboxMessage.status) == where.status)
    if where.review_id is not None:
        query = query.where(col(OutboxMessage.review_id) == where.review_id)
    return session.exec(query).all()


def refs_by_id(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Review.id, Review.ref).where(col(Review.id).in_(ids))).all()
    return {int(i): str(r) for i, r in rows if i is not None}


def reviews_by_status(session: Session, status: str) -> Sequence[Review]:
    return session.exec(
        select(Review).where(col(Review.status) == status).order_by(col(Review.id))
    ).all()


# --- involvement --------------------------------------------------------------------------


def party_for(
    session: Session, review_id: int, include_removed: bool = False
) -> Sequence[PartyMember]:
    query = select(PartyMember).where(col(PartyMember.review_id) == review_id)
    if not include_removed:
        query = query.where(col(PartyMember.removed_at).is_(None))
    return session.exec(query.order_by(col(PartyMember.id))).all()


def party_member(session: Session, review_id: int, email: str) -> PartyMember | None:
    return session.exec(
        select(PartyMember).where(
            col(PartyMember.review_id) == review_id, col(PartyMember.email) == email
        )
    ).first()


def activities_for(
    session: Session, review_id: int, stage: str | None = None, include_withdrawn: bool = False
) -> Sequence[Activity]:
    query = select(Activity).where(col(Activity.review_id) == review_id)
    if not include_withdrawn:
        query = query.where(col(Activity.withdrawn_at).is_(None))
    if stage is not None:
        query = query.where(col(Activity.stage) == stage)
    return session.exec(query.order_by(col(Activity.held_on), col(Activity.id))).all()


def meetings_for(session: Session, review_id: int, stage: str | None = None) -> Sequence[Meeting]:
    query = select(Meeting).where(col(Meeting.review_id) == review_id)
    if stage is not None:
        query = query.where(col(Meeting.stage) == stage)
    return session.exec(query.order_by(col(Meeting.starts_at))).all()


def load_meeting(session: Session, review_id: int, meeting_id: int) -> Meeting:
    row = session.get(Meeting, meeting_id)
    if row is None or row.review_id != review_id:
        raise NotFoundError(
            f"no meeting {meeting_id} for this review; 'bvflow meeting list REF' shows them"
        )
    return row


def proposals_for(session: Session, review_id: int, stage: str | None = None) -> Sequence[Proposal]:
    query = select(Proposal).where(col(Proposal.review_id) == review_id)
    if stage is not None:
        query = query.where(col(Proposal.stage) == stage)
    return session.exec(query.order_by(col(Proposal.id))).all()


def agreements_for(
    session: Session, review_id: int, stage: str | None = None, include_withdrawn: bool = False
) -> Sequence[Agreement]:
    query = select(Agreement).where(col(Agreement.review_id) == review_id)
    if not include_withdrawn:
        query = query.where(col(Agreement.withdrawn_at).is_(None))
    if stage is not None:
        query = query.where(col(Agreement.stage) == stage)
    return session.exec(query.order_by(col(Agreement.id))).all()


def evidence_by_ids(session: Session, ids: Sequence[int]) -> list[Evidence]:
    if not ids:
        return []
    rows = session.exec(select(Evidence).where(col(Evidence.id).in_(list(ids)))).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def party_by_review(session: Session) -> dict[int, list[PartyMember]]:
    """Every current working-party member, grouped by review id (one query)."""
    found: dict[int, list[PartyMember]] = {}
    query = select(PartyMember).where(col(PartyMember.removed_at).is_(None))
    for row in session.exec(query.order_by(col(PartyMember.id))).all():
        found.setdefault(row.review_id, []).append(row)
    return found


# --- performance, options, the improvement plan -------------------------------------------


def indicators_for(session: Session, review_id: int) -> Sequence[Indicator]:
    return session.exec(
        select(Indicator).where(col(Indicator.review_id) == review_id).order_by(col(Indicator.code))
    ).all()


def indicator(session: Session, review_id: int, code: str) -> Indicator:
    row = session.exec(
        select(Indicator).where(col(Indicator.review_id) == review_id, col(Indicator.code) == code)
    ).first()
    if row is None:
        raise NotFoundError(
            f"no indicator {code!r} for this review; 'bvflow pi list REF' shows them"
        )
    return row


def indicator_values(session: Session, indicator_ids: Sequence[int]) -> Sequence[IndicatorValue]:
    if not indicator_ids:
        return []
    return session.exec(
        select(IndicatorValue)
        .where(col(IndicatorValue.indicator_id).in_(list(indicator_ids)))
        .order_by(col(IndicatorValue.period))
    ).all()


def set_indicator_value(session: Session, row: IndicatorValue) -> None:
    """Insert or replace the target/actual for a period."""
    existing = session.exec(
        select(IndicatorValue).where(
            col(IndicatorValue.indicator_id) == row.indicator_id,
            col(IndicatorValue.kind) == row.kind,
            col(IndicatorValue.period) == row.period,
        )
    ).first()
    if existing is not None:
        values = {"value": row.value, "recorded_by": row.recorded_by}
        changes.update(session, existing, {**values, "recorded_at": row.recorded_at})
    else:
        changes.insert(session, row)


def comparators_for(session: Session, review_id: int) -> Sequence[Comparator]:
    return session.exec(
        select(Comparator)
        .where(col(Comparator.review_id) == review_id)
        .order_by(col(Comparator.code), col(Comparator.period), col(Comparator.authority))
    ).all()


def replace_comparators(session: Session, review_id: int, rows: Sequence[Comparator]) -> int:
    """Upsert imported figures by (authority, code, period); returns how many were new."""
    existing = {(c.authority, c.code, c.period): c for c in comparators_for(session, review_id)}
    new = 0
    for row in rows:
        old = existing.get((row.authority, row.code, row.period))
        if old is not None:
            changes.update(session, old, {"value": row.value})
        else:
            changes.insert(session, row)
            new += 1
    return new


def options_for(session: Session, review_id: int) -> Sequence[Option]:
    return session.exec(
        select(Option).where(col(Option.review_id) == review_id).order_by(col(Option.id))
    ).all()


def criteria_for(session: Session, review_id: int) -> Sequence[Criterion]:
    return session.exec(
        select(Criterion).where(col(Criterion.review_id) == review_id).order_by(col(Criterion.id))
    ).all()


def scores_for(session: Session, option_ids: Sequence[int]) -> Sequence[OptionScore]:
    if not option_ids:
        return []
    return session.exec(
        select(OptionScore).where(col(OptionScore.option_id).in_(list(option_ids)))
    ).all()


def set_score(session: Session, option_id: int, criterion_id: int, score: float) -> None:
    existing = session.exec(
        select(OptionScore).where(
            col(OptionScore.option_id) == option_id, col(OptionScore.criterion_id) == criterion_id
        )
    ).first()
    if existing is not None:
        changes.update(session, existing, {"score": score})
    else:
        changes.insert(
            session, OptionScore(option_id=option_id, criterion_id=criterion_id, score=score)
        )


def actions_for(session: Session, review_id: int) -> Sequence[PlanAction]:
    return session.exec(
        select(PlanAction)
        .where(col(PlanAction.review_id) == review_id)
        .order_by(col(PlanAction.due), col(PlanAction.id))
    ).all()


def load_action(session: Session, review_id: int, action_id: int) -> PlanAction:
    row = session.get(PlanAction, action_id)
    if row is None or row.review_id != review_id:
        raise NotFoundError(
            f"no action {action_id} for this review; 'bvflow action list REF' shows them"
        )
    return row


def open_actions_by_review(session: Session) -> dict[int, list[PlanAction]]:
    """Actions still planned or in progress, grouped by review (one query)."""
    found: dict[int, list[PlanAction]] = {}
    query = select(PlanAction).where(col(PlanAction.status).in_(["planned", "in_progress"]))
    for row in session.exec(query.order_by(col(PlanAction.due))).all():
        found.setdefault(row.review_id, []).append(row)
    return found


def stage_entries(session: Session, review_id: int) -> Sequence[StageEntry]:
    return session.exec(
        select(StageEntry)
        .where(col(StageEntry.review_id) == review_id)
        .order_by(col(StageEntry.entered_at), col(StageEntry.id))
    ).all()


def corrections_for(session: Session, review_id: int) -> Sequence[Correction]:
    return session.exec(
        select(Correction)
        .where(col(Correction.review_id) == review_id)
        .order_by(col(Correction.id))
    ).all()
