"""``bvflow report performance-plan --year YYYY``: the annual performance plan.

The Best Value Performance Plan (Local Government Act 1999 s.6; its content in SI 1999/3251
art. 4) reports, for each service: the last financial year's outturns (art. 4(2)(a)), the
comparison with earlier years (b) and with other authorities (c), progress towards targets
(f) and the targets ahead, and the functions reviewed in the previous financial year with the
basis of their targets and plans of action (h). The plan for year Y is published by the
authority's deadline in Y (``[performance] plan_due``, 30 June by default) and covers the
financial year Y-1 to Y: reviews completed from 1 April Y-1 to 31 March Y, outturns for
periods starting in Y-1, targets for the three years from Y.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from bvflow.domain.calendar import local_date
from bvflow.domain.involvement import AGREEMENT_ITEMS
from bvflow.domain.performance import benchmark, status, trend
from bvflow.domain.programme import service_key
from bvflow.errors import InputError
from bvflow.exports import to_xlsx
from bvflow.reports.render import render_report
from bvflow.services.app import App
from bvflow.services.appraisal import appraisal_of
from bvflow.services.service_indicators import ServiceIndicatorView, service_indicator_views
from bvflow.store import Session, repo
from bvflow.store.models import PlanAction, Review

FORMATS: Final = ("html", "md", "xlsx")
TARGET_YEARS: Final = 3
XLSX_FIELDS: Final = (
    "service", "code", "name", "unit", "outturn_period", "outturn", "target", "status",
    "trend", "earlier", "quartile", "rank", "of", "median", "target_1", "target_2",
    "target_3",
)


def plan_year(value: int) -> int:
    if not 1999 <= value <= 2200:
        raise InputError(f"--year {value} is not a year from 1999 to 2200")
    return value


def _start(period: str) -> int:
    return int(period[:4])


@dataclass(frozen=True)
class _Year:
    """The plan's year and the financial year it reports on."""

    year: int

    @property
    def reported(self) -> str:
        return f"{self.year - 1}-{self.year % 100:02d}"

    @property
    def begins(self) -> date:
        return date(self.year - 1, 4, 1)

    @property
    def ends(self) -> date:
        return date(self.year, 3, 31)

    def ahead(self) -> list[int]:
        return [self.year + n for n in range(TARGET_YEARS)]


def _indicator(view: ServiceIndicatorView, span: _Year, comparators: list[Any]) -> dict[str, Any]:
    """One indicator's line: the reported year's outturn against its target, the earlier
    years, the quartile among other authorities, and the targets ahead."""
    # The outturn is the reported year's only (2026-27, or 2026 for a calendar-year
    # indicator): an older figure is an earlier year's, never passed off as this one's.
    reported = [p for p in view.actuals if _start(p) <= span.year - 1]
    current = [p for p in reported if _start(p) == span.year - 1]
    outturn_period = max(current, default=None)
    outturn = view.actuals[outturn_period] if outturn_period else None
    target = view.targets.get(outturn_period or span.reported)
    earlier = [(p, view.actuals[p]) for p in sorted(reported) if p != outturn_period]
    ahead = {y: next((v for p, v in view.targets.items() if _start(p) == y), None)
             for y in span.ahead()}
    labels = {y: next((p for p in view.targets if _start(p) == y), str(y)) for y in span.ahead()}
    bench = _quartile(view, outturn_period, outturn, comparators)
    return {
        "service": view.service, "code": view.code, "name": view.name, "unit": view.unit,
        "higher_is_better": view.higher_is_better, "national": view.national,
        "outturn_period": outturn_period, "outturn": outturn, "target": target,
        "status": status(target, outturn, view.higher_is_better, view.tolerance)
        if outturn is not None else "no figure yet",
        "trend": trend([v for _, v in earlier] + ([outturn] if outturn is not None else []),
                       view.higher_is_better),
        "earlier": earlier,
        "targets": [{"period": labels[y], "value": ahead[y]} for y in span.ahead()],
        **bench,
    }


def _quartile(
    view: ServiceIndicatorView, when: str | None, value: float | None, comparators: list[Any]
) -> dict[str, Any]:
    figures = [c.value for c in comparators if c.code == view.code and c.period == when]
    if value is None or not figures:
        return {"quartile": None, "rank": None, "of": None, "median": None,
                "upper_quartile": None, "lower_quartile": None}
    found = benchmark(value, figures, view.higher_is_better)
    return {"quartile": found.quartile, "rank": found.rank, "of": found.of,
            "median": found.median, "upper_quartile": found.upper_quartile,
            "lower_quartile": found.lower_quartile}


def _completed_on(session: Session, review: Review) -> date | None:
    """The day a closed review entered its final stage."""
    if review.status != "closed":
        return None
    entries = repo.stage_entries(session, int(review.id or 0))
    return local_date(entries[-1].entered_at) if entries else local_date(review.updated_at)


def _action(a: PlanAction, today: date) -> dict[str, Any]:
    return {"title": a.title, "owner": a.owner, "due": a.due.isoformat(),
            "status": a.status, "indicator": a.indicator_code, "source": a.source,
            "overdue": a.status in ("planned", "in_progress") and a.due < today}


def _review(session: Session, review: Review, done: date, today: date) -> dict[str, Any]:
    """A completed review's findings: the option chosen and why, what was agreed, what
    changed because of involvement, and its improvement plan."""
    review_id = int(review.id or 0)
    appraisal = appraisal_of(session, review_id)
    chosen = next((a.name for a in appraisal.ranked if a.chosen), None)
    agreements = [
        {"item": AGREEMENT_ITEMS.get(a.item, a.item), "note": a.note,
         "dissent": json.loads(a.dissent)}
        for a in repo.agreements_for(session, review_id)
    ]
    return {
        "ref": review.ref, "title": review.title, "service": review.service,
        "completed_on": done.isoformat(),
        "chosen": chosen, "rationale": appraisal.rationale,
        "agreements": agreements,
        "involvement": [
            {"method": a.method, "held_on": a.held_on.isoformat(), "outcome": a.outcome,
             "categories": json.loads(a.categories)}
            for a in repo.activities_for(session, review_id)
            if a.outcome
        ],
        "actions": [_action(a, today) for a in repo.actions_for(session, review_id)],
    }


def plan_data(
    session: Session, year: int, now: datetime, due: tuple[int, int], public: bool = False
) -> dict[str, Any]:
    """Everything the plan for ``year`` shows, service by service; ``public`` (the public
    site) leaves out the actions' owners, who are people."""
    span = _Year(plan_year(year))
    today = local_date(now)
    services: dict[str, dict[str, Any]] = {}

    def service(name: str) -> dict[str, Any]:
        return services.setdefault(service_key(name), {
            "name": name, "indicators": [], "reviews": [], "actions": []})

    views = service_indicator_views(session)
    comparators = {service_key(v.service): list(repo.service_comparators(session, v.service))
                   for v in views}
    for view in views:
        line = _indicator(view, span, comparators[service_key(view.service)])
        service(view.service)["indicators"].append(line)
    for review in repo.find_reviews(session, repo.ReviewFilter()):
        done = _completed_on(session, review)
        if done is not None and span.begins <= done <= span.ends:
            service(review.service)["reviews"].append(_review(session, review, done, today))
    for action in repo.authority_actions(session):
        if action.service and action.status in ("planned", "in_progress"):
            service(action.service)["actions"].append(_action(action, today))
    lines = [i for s in services.values() for i in s["indicators"]]
    return {
        "authority": repo.load_authority(session).name,
        "year": span.year, "reported": span.reported,
        "begins": span.begins.isoformat(), "ends": span.ends.isoformat(),
        "due": date(span.year, *due).isoformat(),
        "ahead": [f"{y}-{(y + 1) % 100:02d}" for y in span.ahead()],
        "services": sorted(services.values(), key=lambda s: service_key(s["name"])),
        "counts": {s: sum(1 for i in lines if i["status"] == s)
                   for s in ("on target", "within tolerance", "off target", "no figure yet",
                             "no target")},
        "generated_at": now.isoformat(),
        "public": public,
    }


def plan_years(session: Session) -> list[int]:
    """The years a plan has something to report: each year after one with an outturn, and
    each whose financial year saw a review completed."""
    years = {_start(v.period) + 1 for v in repo.indicator_values(
        session, [int(i.id or 0) for i in repo.service_indicators(session)]) if v.kind == "actual"}
    for review in repo.find_reviews(session, repo.ReviewFilter()):
        done = _completed_on(session, review)
        if done is not None:
            years.add(done.year + (1 if done.month >= 4 else 0))
    return sorted(years)


def plan_page(session: Session, year: int, as_at: datetime, due: tuple[int, int]) -> str:
    """The plan as the public site carries it: as at the record's last event."""
    return render_report("performance_plan", "html", plan_data(session, year, as_at, due, True))


def _xlsx_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for s in data["services"]:
        for i in s["indicators"]:
            targets = {f"target_{n}": t["value"] for n, t in enumerate(i["targets"], 1)}
            earlier = "; ".join(f"{p}: {v:g}" for p, v in i["earlier"])
            rows.append({**i, "earlier": earlier, **targets})
    return rows


def performance_plan(app: App, year: int, fmt: str = "html") -> str | bytes:
    """The performance plan for ``year`` as html, md, or an xlsx workbook (one row per
    indicator, the targets ahead as columns)."""
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}")
    with app.db.read() as session:
        data = plan_data(session, year, app.now(), app.settings.plan_due)
    if fmt == "xlsx":
        return to_xlsx(_xlsx_rows(data), XLSX_FIELDS, f"Performance plan {year}")
    return render_report("performance_plan", fmt, data)
