"""Performance indicators: add, targets, actuals, benchmark imports, and comparison."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from bvflow import inputs
from bvflow.domain.performance import Benchmark, benchmark
from bvflow.errors import InputError, RefusedError
from bvflow.files import read_text_input
from bvflow.services.app import App, Loaded, load_live, load_monitored, record_change
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import Comparator, Indicator, IndicatorValue

PERIOD: Final = re.compile(r"^\d{4}(-\d{2})?$")
CODE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,31}$")
MAX_CSV_BYTES: Final = 10_000_000
MAX_ERRORS_SHOWN: Final = 5


def period(value: str) -> str:
    """A reporting period: a year (2027) or a financial year (2027-28)."""
    value = value.strip()
    found = PERIOD.match(value)
    year = int(value[:4]) if found else 0
    if not found or not 1990 <= year <= 2100:
        raise InputError(f"period {value[:40]!r} is not like 2027-28 or 2027")
    if len(value) == 7 and int(value[5:]) != (year + 1) % 100:
        after = f"{year}-{(year + 1) % 100:02d}"
        raise InputError(f"period {value!r}: a financial year runs into the next year ({after})")
    return value


def code(value: str) -> str:
    value = value.strip()
    if not CODE.match(value):
        raise InputError(f"indicator code {value!r} must be letters, digits and . _ - / (up to 32)")
    return value


@dataclass(frozen=True)
class IndicatorView(View):
    code: str
    name: str
    unit: str
    higher_is_better: bool
    national: bool
    baseline_value: float | None
    baseline_period: str | None
    targets: dict[str, float] = field(default_factory=dict)
    actuals: dict[str, float] = field(default_factory=dict)
    comparators: int = 0


def add_indicator(
    app: App,
    ref: str,
    code_: str,
    name: str,
    unit: str = "",
    higher_is_better: bool = True,
    national: bool = False,
    baseline: float | None = None,
    baseline_period: str | None = None,
    targets: Mapping[str, float] | None = None,
) -> IndicatorView:
    """Add a national or local indicator with its baseline and targets by year."""
    code_ = code(code_)
    name = inputs.text(name, "the name")
    unit = inputs.text(unit, "the unit", max_length=20, required=False)
    if (baseline is None) != (baseline_period is None):
        raise InputError("give --baseline and --baseline-period together")
    baseline = inputs.number(baseline, "the baseline") if baseline is not None else None
    baseline_period = period(baseline_period) if baseline_period is not None else None
    targets = {period(p): inputs.number(v, f"the {p} target") for p, v in (targets or {}).items()}
    loaded = load_live(app, ref, "change the indicators of")
    now = app.now()
    with app.db.write() as session:
        row = Indicator(
            review_id=int(loaded.review.id or 0),
            code=code_,
            name=name,
            unit=unit,
            higher_is_better=higher_is_better,
            national=national,
            baseline_value=baseline,
            baseline_period=baseline_period,
            added_by=app.actor,
            added_at=now,
        )
        same = [i.code for i in repo.indicators_for(session, int(loaded.review.id or 0))
                if i.code.casefold() == code_.casefold()]
        if same:
            raise InputError(f"{loaded.review.ref} already has an indicator {same[0]}")
        changes.insert(session, row)
        for when, value in targets.items():
            repo.set_indicator_value(
                session,
                IndicatorValue(
                    indicator_id=int(row.id or 0),
                    kind="target",
                    period=when,
                    value=value,
                    recorded_by=app.actor,
                    recorded_at=now,
                ),
            )
        record_change(
            session,
            app,
            now,
            loaded,
            "indicator.added",
            {
                "code": code_,
                "name": name,
                "unit": unit,
                "higher_is_better": higher_is_better,
                "national": national,
                "baseline": baseline,
                "baseline_period": baseline_period,
                "targets": targets,
            },
        )
    return IndicatorView(
        code_, name, unit, higher_is_better, national, baseline, baseline_period, dict(targets)
    )


def record_value(app: App, ref: str, code_: str, kind: str, when: str, value: float) -> None:
    """Record a target or an actual for a period (replacing an earlier figure, audited).

    A closed review's actuals may still be recorded (its monitoring goes on), never its
    targets: they are what the review agreed."""
    if kind not in ("target", "actual"):
        raise InputError("kind must be target or actual")
    when = period(when)
    value = inputs.number(value, "the value")
    doing = "record an actual for" if kind == "actual" else "set a target for"
    loaded = load_monitored(app, ref, doing)
    if kind == "target" and loaded.review.status == "closed":
        raise RefusedError(
            loaded.review.ref, doing, "it is closed, and the targets it agreed stand (only "
            "actuals may be recorded while its plan is monitored)"
        )
    now = app.now()
    with app.db.write() as session:
        row = repo.indicator(session, int(loaded.review.id or 0), code(code_))
        repo.set_indicator_value(
            session,
            IndicatorValue(
                indicator_id=int(row.id or 0),
                kind=kind,
                period=when,
                value=value,
                recorded_by=app.actor,
                recorded_at=now,
            ),
        )
        record_change(
            session,
            app,
            now,
            loaded,
            f"indicator.{kind}_recorded",
            {"code": row.code, "period": when, "value": value},
        )


def indicators(app: App, ref: str) -> list[IndicatorView]:
    """Every indicator with its targets, actuals and number of comparator figures."""
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        return indicator_views(session, int(review.id or 0))


def indicator_views(session: Session, review_id: int) -> list[IndicatorView]:
    rows = repo.indicators_for(session, review_id)
    values = repo.indicator_values(session, [int(r.id or 0) for r in rows])
    comparators = repo.comparators_for(session, review_id)
    found = []
    for row in rows:
        mine = [v for v in values if v.indicator_id == row.id]
        found.append(
            IndicatorView(
                row.code,
                row.name,
                row.unit,
                row.higher_is_better,
                row.national,
                row.baseline_value,
                row.baseline_period,
                {v.period: v.value for v in mine if v.kind == "target"},
                {v.period: v.value for v in mine if v.kind == "actual"},
                sum(1 for c in comparators if c.code == row.code),
            )
        )
    return found


def parse_comparators(
    text: str, source: str, known: set[str], owner: Mapping[str, Any], own: str = ""
) -> tuple[list[Comparator], list[str], int]:
    """A benchmarking extract's rows for the indicators ``known``, each owned by ``owner``
    (``{"review_id": ...}`` or ``{"service": ...}``); the errors name their lines. Rows of
    the authority itself (``own``; a club's extract includes its members) are left out:
    its figures are its own outturns, and counting them again would skew the quartiles."""
    reader = csv.DictReader(io.StringIO(text))
    header = [f.strip().lower() for f in reader.fieldnames or []]
    fields = set(header)
    if len(fields) != len(header):
        twice = sorted({f for f in header if header.count(f) > 1})
        raise InputError(f"{source}:1: the header names {', '.join(twice)} more than once")
    code_field = "code" if "code" in fields else "indicator"
    missing = {"authority", code_field, "period", "value"} - fields
    if missing:
        raise InputError(
            f"{source}:1: the header needs authority, code (or indicator), "
            f"period and value; missing {', '.join(sorted(missing))}"
        )
    rows, errors, skipped = [], [], 0
    seen: dict[tuple[str, str, str], int] = {}
    for number, raw in enumerate(reader, start=2):
        record = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            authority = inputs.text(record["authority"], "authority", max_length=200)
            when = period(record["period"])
            value = float(record["value"])
            if not math.isfinite(value) or abs(value) > inputs.MAX_FIGURE:
                raise ValueError(value)
            key = (authority.casefold(), record[code_field], when)
            if key in seen:
                raise InputError(f"the same authority, code and period as line {seen[key]}")
            seen[key] = number
        except InputError as exc:
            errors.append(f"{source}:{number}: {exc.message}")
            continue
        except ValueError:
            errors.append(f"{source}:{number}: value {record['value']!r} is not a number")
            continue
        if record[code_field] not in known or (
            own and inputs.name_key(authority) == inputs.name_key(own)
        ):
            skipped += 1
            continue
        rows.append(
            Comparator(
                **owner,
                authority=authority,
                code=record[code_field],
                period=when,
                value=value,
            )
        )
    return rows, errors, skipped


def _own(app: App) -> str:
    with app.db.read() as session:
        return repo.load_authority(session).name


@dataclass(frozen=True)
class ImportResult:
    imported: int
    updated: int
    skipped: int


def import_comparators(app: App, ref: str, path: Path) -> ImportResult:
    """Import a benchmarking extract; any bad row refuses the whole file, naming its line."""
    text = read_text_input(path, "the benchmark file", MAX_CSV_BYTES)
    loaded = load_live(app, ref, "change the indicators of")
    review_id = int(loaded.review.id or 0)
    with app.db.read() as session:
        known = {i.code for i in repo.indicators_for(session, review_id)}
    try:
        rows, errors, skipped = parse_comparators(
            text, str(path), known, {"review_id": review_id}, _own(app)
        )
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from exc
    if errors:
        more = (
            f" (and {len(errors) - MAX_ERRORS_SHOWN} more)"
            if len(errors) > MAX_ERRORS_SHOWN
            else ""
        )
        raise InputError("nothing imported: " + "; ".join(errors[:MAX_ERRORS_SHOWN]) + more)
    now = app.now()
    with app.db.write() as session:
        held = repo.comparators_for(session, review_id)
        new = repo.replace_comparators(session, held, rows)
        record_change(
            session,
            app,
            now,
            loaded,
            "benchmark.imported",
            {"file": path.name, "rows": len(rows), "new": new, "skipped": skipped},
        )
    return ImportResult(new, len(rows) - new, skipped)


@dataclass(frozen=True)
class Comparison:
    code: str
    name: str
    period: str
    value: float
    higher_is_better: bool
    result: Benchmark

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "code": self.code,
            "name": self.name,
            "period": self.period,
            "value": self.value,
            "higher_is_better": self.higher_is_better,
            "rank": r.rank,
            "of": r.of,
            "quartile": r.quartile,
            "lower_quartile": r.lower_quartile,
            "median": r.median,
            "upper_quartile": r.upper_quartile,
            "top_quartile_threshold": r.top_quartile_threshold,
        }


def comparisons(session: Session, review_id: int, when: str | None = None) -> list[Comparison]:
    """Each indicator's latest own figure against comparators for the same period."""
    found = []
    comparators = repo.comparators_for(session, review_id)
    for view in indicator_views(session, review_id):
        own = dict(view.actuals)
        if view.baseline_period is not None and view.baseline_value is not None:
            own.setdefault(view.baseline_period, view.baseline_value)
        periods = sorted(
            p for p in own if any(c.code == view.code and c.period == p for c in comparators)
        )
        chosen = when if when in periods else (periods[-1] if periods and when is None else None)
        if chosen is None:
            continue
        figures = [c.value for c in comparators if c.code == view.code and c.period == chosen]
        found.append(
            Comparison(
                view.code,
                view.name,
                chosen,
                own[chosen],
                view.higher_is_better,
                benchmark(own[chosen], figures, view.higher_is_better),
            )
        )
    return found


def compare(app: App, ref: str, when: str | None = None) -> list[Comparison]:
    """Rank and quartile of each indicator among its comparators."""
    when = period(when) if when else None
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        return comparisons(session, int(review.id or 0), when)


def benchmarked_count(session: Session, review_id: int) -> int:
    codes = {c.code for c in repo.comparators_for(session, review_id)}
    return sum(1 for i in repo.indicators_for(session, review_id) if i.code in codes)


def indicator_facts(session: Session, loaded: Loaded, _now: datetime) -> dict[str, Any]:
    """For the ``indicators`` requirement: how many indicators have comparators' figures."""
    return {"benchmarked": benchmarked_count(session, int(loaded.review.id or 0))}


def parse_targets(values: Sequence[str]) -> dict[str, float]:
    """``PERIOD=VALUE`` pairs from the command line."""
    found = {}
    for item in values:
        when, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--target {item!r} is not PERIOD=VALUE, e.g. 2027-28=92.5")
        try:
            figure = inputs.number(float(value), f"--target {item!r}:")
        except ValueError as exc:
            raise InputError(f"--target {item!r}: {value!r} is not a number") from exc
        if period(when) in found:
            raise InputError(f"--target gives period {period(when)} twice")
        found[period(when)] = figure
    return found
