"""Reads and writes of indicators, comparators, the options appraisal and the plan."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bvflow.domain.programme import service_key
from bvflow.errors import NotFoundError
from bvflow.store import changes
from bvflow.store.models import (
    Comparator,
    Criterion,
    Indicator,
    IndicatorValue,
    Option,
    OptionScore,
    PlanAction,
)


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


def service_indicators(session: Session, service: str | None = None) -> Sequence[Indicator]:
    """The services' own indicators (no review), by service and code; one service's if given
    (matched whatever its case, as services are everywhere)."""
    query = select(Indicator).where(col(Indicator.review_id).is_(None))
    rows = session.exec(query.order_by(col(Indicator.service), col(Indicator.code))).all()
    if service is None:
        return rows
    return [r for r in rows if service_key(r.service or "") == service_key(service)]


def service_indicator(session: Session, service: str, code: str) -> Indicator:
    for row in service_indicators(session, service):
        if row.code.casefold() == code.casefold():
            return row
    raise NotFoundError(
        f"no indicator {code!r} for the service {service!r}; "
        "'bvflow indicator list' shows them"
    )


def service_comparators(session: Session, service: str) -> Sequence[Comparator]:
    rows = session.exec(
        select(Comparator)
        .where(col(Comparator.review_id).is_(None))
        .order_by(col(Comparator.code), col(Comparator.period), col(Comparator.authority))
    ).all()
    return [r for r in rows if service_key(r.service or "") == service_key(service)]


def replace_comparators(
    session: Session, existing_rows: Sequence[Comparator], rows: Sequence[Comparator]
) -> int:
    """Upsert imported figures by (authority, code, period) over the figures already held for
    the same review or service; returns how many were new."""
    existing = {(c.authority, c.code, c.period): c for c in existing_rows}
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
    query = query.where(col(PlanAction.review_id).is_not(None))
    for row in session.exec(query.order_by(col(PlanAction.due))).all():
        found.setdefault(int(row.review_id or 0), []).append(row)
    return found
