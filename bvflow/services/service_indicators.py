"""A service's own indicators: outturns recorded every year, whether or not a review runs.

The annual performance plan reports, for each service, the last outturn, the trend over
earlier years, the comparison with other authorities and the targets ahead (SI 1999/3251
art. 4(2)(a)-(c) and (f)). Those figures outlive any one review, so they belong to the
service (``indicators.service``, no review). Each event is ``indicator.*`` with no review,
its payload naming the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import local_date
from bvflow.domain.performance import Benchmark, benchmark, status, trend
from bvflow.domain.programme import service_key
from bvflow.errors import InputError, NotFoundError
from bvflow.files import read_text_input
from bvflow.services.app import App
from bvflow.services.performance import (
    MAX_CSV_BYTES,
    MAX_ERRORS_SHOWN,
    ImportResult,
    code,
    parse_comparators,
    period,
)
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import Comparator, Indicator, IndicatorValue


@dataclass(frozen=True)
class ServiceIndicatorView(View):
    service: str
    code: str
    name: str
    unit: str
    higher_is_better: bool
    national: bool
    tolerance: float | None
    targets: dict[str, float] = field(default_factory=dict)
    actuals: dict[str, float] = field(default_factory=dict)
    latest_period: str | None = None
    latest: float | None = None
    status: str = "no figure yet"
    trend: str = "too few figures"
    benchmark: dict[str, Any] | None = None


def known_service(session: Session, text: str) -> str:
    """The service as the record already spells it (matched whatever the case and spacing),
    or as given if it is new."""
    wanted = service_key(inputs.text(text, "the service"))
    spellings = [r.service for r in repo.find_reviews(session, repo.ReviewFilter())]
    spellings += [i.service or "" for i in repo.service_indicators(session)]
    spellings += [p.service for p in repo.programme_items(session)]
    return next((s for s in spellings if service_key(s) == wanted), " ".join(text.split()))


def _event(app: App, now: datetime, action: str, payload: dict[str, Any]) -> NewEvent:
    return NewEvent(now, app.actor, action, payload=payload)


def add_service_indicator(
    app: App,
    service: str,
    code_: str,
    name: str,
    unit: str = "",
    higher_is_better: bool = True,
    national: bool = False,
    tolerance: float | None = None,
    targets: Mapping[str, float] | None = None,
) -> ServiceIndicatorView:
    """Add an indicator to a service, with its tolerance and targets by year."""
    code_ = code(code_)
    name = inputs.text(name, "the name")
    unit = inputs.text(unit, "the unit", max_length=20, required=False)
    if tolerance is not None and inputs.number(tolerance, "the tolerance") < 0:
        raise InputError("the tolerance must be zero or more (in the indicator's unit)")
    targets = {period(p): inputs.number(v, f"the {p} target") for p, v in (targets or {}).items()}
    now = app.now()
    with app.db.write() as session:
        service = known_service(session, service)
        same = [i.code for i in repo.service_indicators(session, service)
                if i.code.casefold() == code_.casefold()]
        if same:
            raise InputError(f"{service} already has an indicator {same[0]}")
        row = Indicator(
            review_id=None, service=service, tolerance=tolerance, code=code_, name=name,
            unit=unit, higher_is_better=higher_is_better, national=national,
            added_by=app.actor, added_at=now,
        )
        changes.insert(session, row)
        for when, value in targets.items():
            _set(session, app, now, row, "target", when, value)
        payload = {"service": service, "code": code_, "name": name, "unit": unit,
                   "higher_is_better": higher_is_better, "national": national,
                   "tolerance": tolerance, "targets": targets}
        repo.append_event(session, _event(app, now, "indicator.added", payload))
        return _view(row, list(repo.indicator_values(session, [int(row.id or 0)])), [])


def _set(
    session: Session, app: App, now: datetime, row: Indicator, kind: str, when: str, value: float
) -> None:
    repo.set_indicator_value(
        session,
        IndicatorValue(indicator_id=int(row.id or 0), kind=kind, period=when, value=value,
                       recorded_by=app.actor, recorded_at=now),
    )


def record_service_value(
    app: App, service: str, code_: str, kind: str, when: str, value: float
) -> ServiceIndicatorView:
    """Record a service indicator's outturn (``actual``) or target for a period, replacing an
    earlier figure for the same period (audited with the figure before)."""
    if kind not in ("target", "actual"):
        raise InputError("kind must be target or actual")
    when = period(when)
    value = inputs.number(value, "the value")
    now = app.now()
    if kind == "actual" and _start(when) > local_date(now).year:
        raise InputError(f"period {when} has not begun: an outturn is for a year under way or past")
    with app.db.write() as session:
        row = repo.service_indicator(session, service, code(code_))
        before = [v.value for v in repo.indicator_values(session, [int(row.id or 0)])
                  if v.kind == kind and v.period == when]
        _set(session, app, now, row, kind, when, value)
        payload = {"service": row.service, "code": row.code, "period": when, "value": value,
                   "before": before[0] if before else None}
        repo.append_event(session, _event(app, now, f"indicator.{kind}_recorded", payload))
        values = list(repo.indicator_values(session, [int(row.id or 0)]))
        return _view(row, values, repo.service_comparators(session, str(row.service)), when)


def import_service_comparators(app: App, service: str, path: Path) -> ImportResult:
    """Import a benchmarking extract for a service's indicators; any bad row refuses the
    whole file, naming its line. The authority's own rows are skipped (they are its
    outturns, recorded with ``indicator record``)."""
    import csv

    text = read_text_input(path, "the benchmark file", MAX_CSV_BYTES)
    with app.db.read() as session:
        service = known_service(session, service)
        known = {i.code for i in repo.service_indicators(session, service)}
        own = repo.load_authority(session).name
    if not known:
        raise InputError(f"{service} has no indicators; 'bvflow indicator add' adds one")
    try:
        rows, errors, skipped = parse_comparators(
            text, str(path), known, {"service": service}, own
        )
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from exc
    if errors:
        extra = len(errors) - MAX_ERRORS_SHOWN
        more = f" (and {extra} more)" if extra > 0 else ""
        raise InputError("nothing imported: " + "; ".join(errors[:MAX_ERRORS_SHOWN]) + more)
    now = app.now()
    with app.db.write() as session:
        held = repo.service_comparators(session, service)
        new = repo.replace_comparators(session, held, rows)
        payload = {"service": service, "file": path.name, "rows": len(rows), "new": new,
                   "skipped": skipped}
        repo.append_event(session, _event(app, now, "benchmark.imported", payload))
    return ImportResult(new, len(rows) - new, skipped)


def _benchmark(
    row: Indicator, actuals: Mapping[str, float], comparators: list[Comparator]
) -> tuple[str, Benchmark] | None:
    """The latest period with both an outturn and other authorities' figures."""
    mine = [c for c in comparators if c.code == row.code]
    periods = sorted(p for p in actuals if any(c.period == p for c in mine))
    if not periods:
        return None
    when = periods[-1]
    figures = [c.value for c in mine if c.period == when]
    return when, benchmark(actuals[when], figures, row.higher_is_better)


def _start(when: str) -> int:
    return int(when[:4])


def _view(
    row: Indicator,
    values: list[IndicatorValue],
    comparators: Sequence[Comparator],
    when: str | None = None,
) -> ServiceIndicatorView:
    """The indicator as at its latest outturn, or as at ``when`` (the period just recorded)."""
    mine = [v for v in values if v.indicator_id == row.id]
    targets = {v.period: v.value for v in mine if v.kind == "target"}
    actuals = {v.period: v.value for v in mine if v.kind == "actual"}
    latest_period = when if when in actuals else max(actuals, default=None)
    latest = actuals[latest_period] if latest_period is not None else None
    target = targets.get(latest_period) if latest_period is not None else None
    found = _benchmark(row, actuals, list(comparators))
    return ServiceIndicatorView(
        str(row.service), row.code, row.name, row.unit, row.higher_is_better, row.national,
        row.tolerance, targets, actuals, latest_period, latest,
        status(target, latest, row.higher_is_better, row.tolerance) if latest is not None
        else "no figure yet",
        trend([actuals[p] for p in sorted(actuals)], row.higher_is_better),
        None if found is None else {"period": found[0], "rank": found[1].rank,
                                    "of": found[1].of, "quartile": found[1].quartile,
                                    "median": found[1].median},
    )


def service_indicator_views(
    session: Session, service: str | None = None
) -> list[ServiceIndicatorView]:
    """Every service indicator (one service's if given) with its figures, status and trend."""
    rows = repo.service_indicators(session, service)
    values = list(repo.indicator_values(session, [int(r.id or 0) for r in rows]))
    by_service: dict[str, list[Comparator]] = {}
    for name in {str(r.service) for r in rows}:
        by_service[name] = list(repo.service_comparators(session, name))
    return [_view(r, values, by_service[str(r.service)]) for r in rows]


def service_indicator_list(app: App, service: str | None = None) -> list[ServiceIndicatorView]:
    """``bvflow indicator list``: each service's indicators, latest outturn and status."""
    with app.db.read() as session:
        found = service_indicator_views(session, service)
        if service is not None and not found and repo.service_indicators(session):
            raise NotFoundError(
                f"no service {service!r} has indicators; 'bvflow indicator list' shows them all"
            )
        return found
