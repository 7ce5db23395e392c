"""Reports: a review's report for an audience, the inspection pack, the programme.

The audience decides what is disclosed: ``public`` sees public papers only; the
``working-party`` public and restricted ones; ``internal`` everything. Every timetable
override and every dissent appears in every audience's report.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from bvflow.domain.calendar import local_date
from bvflow.domain.involvement import DISCLOSURES
from bvflow.domain.notice import MEETING_KINDS
from bvflow.errors import InputError
from bvflow.exports import to_csv, to_xlsx
from bvflow.files import check_output, protected_paths, write_output
from bvflow.reports import charts
from bvflow.reports.render import render_report
from bvflow.services import inspection_pack as pack_parts
from bvflow.services.app import App, Loaded, load, timing
from bvflow.services.appraisal import appraisal_of
from bvflow.services.audit import verify
from bvflow.services.corrections import corrections_of
from bvflow.services.meetings import notices_given, stored_rule
from bvflow.services.monitoring import counts, is_overdue, monitored, monitoring_of
from bvflow.services.performance import IndicatorView, comparisons, indicator_views
from bvflow.services.programme import plan_against_actual
from bvflow.services.reviews import event_dict
from bvflow.store import Session, repo
from bvflow.store.models import Meeting, Review

AUDIENCES: Final = {
    "public": frozenset({"public"}),
    "working-party": frozenset({"public", "restricted"}),
    "internal": frozenset(DISCLOSURES),
}
FORMATS: Final = ("html", "md")


def _planned(loaded: Loaded, start: date) -> dict[str, tuple[date, date]]:
    """Planned stage spans: each stage's target, one after another, from the review's start."""
    planned = {}
    for stage in loaded.definition.stages:
        if stage.final:
            break
        end = loaded.calendar.nth_counting_day(
            start, stage.target_working_days or stage.min_working_days
        )
        planned[stage.name] = (start, end)
        start = end
    return planned


def timetable_chart(
    session: Session, loaded: Loaded, now: datetime, overrides: list[dict[str, Any]]
) -> charts.Timetable:
    review = loaded.review
    review_id = int(review.id or 0)
    planned = _planned(loaded, local_date(review.created_at))
    entries = repo.stage_entries(session, review_id)
    rows = []
    for stage in loaded.definition.stages:
        if stage.final:
            continue
        actual = [
            (local_date(e.entered_at), local_date(e.left_at or now))
            for e in entries
            if e.stage == stage.name
        ]
        rows.append(charts.StageRow(stage.title, planned.get(stage.name), actual))
    suspensions = [
        (local_date(s.started_at), local_date(s.ended_at or now))
        for s in repo.suspensions_since(session, review_id, review.created_at)
    ]
    marks = [(date.fromisoformat(o["at"][:10]), o["reason"] or "") for o in overrides]
    return charts.Timetable(rows, suspensions, marks)


# What each kind of override or acceptance set aside, as the report names it.
OVERRIDDEN: Final = {
    "review.timetable_overridden": "timetable",
    "meeting.notice_overridden": "meeting notice",
    "meeting.short_notice_accepted": "short notice accepted after a late delivery",
}


def overrides_of(session: Session, ref: str, audience: str = "public") -> list[dict[str, Any]]:
    """Every override of the rules: the timetable, or a meeting's notice; the internal report
    also names the login that recorded it when that is not the person named."""
    found = []
    for event in repo.find_events(session, repo.EventFilter(review=ref)):
        if event.action in OVERRIDDEN:
            login = event.login or event.data.get("login")
            who = event.actor
            if audience == "internal" and login and login != event.actor:
                who = f"{event.actor} (recorded by login {login})"
            found.append(
                {
                    "at": event.at.isoformat(),
                    "actor": who,
                    "what": OVERRIDDEN[event.action],
                    "stage": event.from_stage,
                    "reason": event.payload.get("reason"),
                }
            )
    return found


def _trends(session: Session, review_id: int) -> list[dict[str, Any]]:
    compared = {c.code: c for c in comparisons(session, review_id)}
    found = []
    for view in indicator_views(session, review_id):
        actuals = dict(view.actuals)
        if view.baseline_period and view.baseline_value is not None:
            actuals.setdefault(view.baseline_period, view.baseline_value)
        periods = sorted(set(actuals) | set(view.targets))
        c = compared.get(view.code)
        quartiles = (
            (c.result.lower_quartile, c.result.median, c.result.upper_quartile) if c else None
        )
        svg = charts.trend_svg(
            charts.Trend(view.code, view.name, periods, actuals, dict(view.targets), quartiles)
        )
        found.append(
            {
                "indicator": view,
                "comparison": c.as_dict() if c else None,
                "svg": svg,
                "against_targets": _against_targets(view.targets, actuals, view),
            }
        )
    return found


def _against_targets(
    targets: dict[str, float], actuals: dict[str, float], view: IndicatorView
) -> list[str]:
    """Each period with a target and an actual, in words: met or not, and by how much."""
    unit = f" {view.unit}" if view.unit and view.unit != "%" else (view.unit or "")
    found = []
    for period in sorted(set(targets) & set(actuals)):
        target, actual = targets[period], actuals[period]
        gap = actual - target if view.higher_is_better else target - actual
        verdict = "met" if gap >= 0 else f"missed by {abs(gap):g}{unit}"
        if gap > 0:
            verdict = f"met, by {gap:g}{unit}"
        found.append(f"{period}: {actual:g}{unit} against a target of {target:g}{unit}: {verdict}")
    return found


@dataclass
class ReportData:
    """Everything a review report shows, already filtered for its audience."""

    audience: str
    generated_at: str
    authority: str
    review: dict[str, Any]
    timing: dict[str, Any]
    timetable_svg: str
    stages: list[dict[str, Any]]
    overrides: list[dict[str, Any]]
    agreements: list[dict[str, Any]]
    party: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    proposals: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    withheld: int
    trends: list[dict[str, Any]]
    appraisal: dict[str, Any]
    actions: list[dict[str, Any]]
    history: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    # Targets against actuals and the plan's progress (bvflow.services.monitoring).
    monitoring: dict[str, Any] = field(default_factory=dict)
    as_of: str | None = None  # the moment shown, when replayed from the chain
    as_of_seq: int | None = None


def _meeting(session: Session, loaded: Loaded, m: Meeting, now: datetime) -> dict[str, Any]:
    """A meeting as reports show it: its kind, the notice it needs with the rule's source,
    and how many members got short notice (never who: addresses are not for every audience)."""
    short = [n for n in notices_given(session, loaded, m, now) if n.short]
    return {
        "title": m.title,
        "kind": MEETING_KINDS[m.kind],
        "starts_at": m.starts_at.isoformat(),
        "place": m.place,
        "status": _meeting_status(m, now),
        "attended": json.loads(m.attended or "[]"),
        "apologies": json.loads(m.apologies or "[]"),
        "notice": stored_rule(m, loaded.calendar.nation).describe(),
        "short": len(short),
        "override_reason": m.override_reason or m.short_notice_accepted,
    }


def _meeting_status(m: Meeting, now: datetime) -> str:
    """Held only once recorded; a meeting whose time has passed unrecorded says so."""
    if m.status == "cancelled":
        return "cancelled"
    if m.held_recorded_at is not None:
        return "held"
    return "not recorded" if m.starts_at <= now else "scheduled"


def _party(session: Session, review_id: int, audience: str) -> list[dict[str, Any]]:
    found = []
    for m in repo.party_for(session, review_id):
        row = {
            "name": m.name,
            "organisation": m.organisation,
            "category": m.category,
            "role": m.role,
        }
        if audience == "internal":
            row["email"] = m.email
        found.append(row)
    return found


def _corrections(
    session: Session, review: Review, audience: str, allowed: frozenset[str]
) -> list[dict[str, Any]]:
    """Every correction, with its values and reason, unless it is about something this
    audience could not see, before or after it: then only that a correction was made, when
    and by whom. (A title changed while a paper was confidential stays hidden after the
    paper is made public.)"""
    review_id = int(review.id or 0)
    level = {
        str(e.id): e.disclosure
        for e in repo.evidence_for(session, review_id, include_withdrawn=True)
    }
    found = corrections_of(session, review)
    # Walk back from each item's current level: the level before a correction that changed
    # it is its "before" value, otherwise the same as after.
    seen: dict[tuple[str, int], bool] = {}
    for index in range(len(found) - 1, -1, -1):
        c = found[index]
        if c.subject != "evidence":
            continue
        after = level.get(c.subject_id)
        before = c.fields["disclosure"][0] if "disclosure" in c.fields else after
        seen[(c.subject_id, index)] = after in allowed and before in allowed
        level[c.subject_id] = str(before)
    rows = []
    for index, c in enumerate(found):
        row = {**c.as_dict(), "changed": c.changed()}
        if c.subject == "member" and audience != "internal":
            row.update(subject_id="(named in the internal report)", fields={}, changed=[])
        if c.subject == "evidence" and not seen.get((c.subject_id, index), False):
            row.update(fields={}, changed=[], reason="(about evidence this report does not show)")
        rows.append(row)
    return rows


def _papers(
    session: Session, review_id: int, allowed: frozenset[str]
) -> tuple[list[dict[str, Any]], int, dict[int, str]]:
    rows = repo.evidence_for(session, review_id)
    shown = [
        {
            "id": e.id,
            "stage": e.stage,
            "kind": e.kind,
            "title": e.title,
            "disclosure": e.disclosure,
            "file_name": e.file_name,
            "sha256": e.file_sha256,
            "recorded_at": e.recorded_at.isoformat(),
        }
        for e in rows
        if e.disclosure in allowed
    ]
    return shown, len(rows) - len(shown), {int(e.id or 0): e.disclosure for e in rows}


def gather(session: Session, loaded: Loaded, audience: str, now: datetime) -> ReportData:
    """Collect a review's report data for ``audience``."""
    allowed = AUDIENCES[audience]
    review = loaded.review
    review_id = int(review.id or 0)
    when = timing(session, loaded, now)
    today = local_date(now)
    overrides = overrides_of(session, review.ref, audience)
    papers, withheld, level = _papers(session, review_id, allowed)
    proposals = [
        {"title": p.title, "stage": p.stage, "circulated_at": p.circulated_at.isoformat()}
        for p in repo.proposals_for(session, review_id)
        if level.get(p.evidence_id) in allowed
    ]
    agreements = [
        {
            "item": a.item,
            "stage": a.stage,
            "agreed_by": json.loads(a.agreed_by),
            "dissent": json.loads(a.dissent),
            "note": a.note,
            "recorded_at": a.recorded_at.isoformat(),
        }
        for a in repo.agreements_for(session, review_id)
    ]
    return ReportData(
        audience=audience,
        generated_at=now.isoformat(),
        authority=repo.load_authority(session).name,
        review={
            "ref": review.ref,
            "title": review.title,
            "service": review.service,
            "coordinator": review.coordinator,
            "status": review.status,
            "stage": review.stage,
            "workflow": loaded.definition.title,
            "digest": review.definition_digest,
            "created_at": review.created_at.isoformat(),
        },
        timing={
            "entered_on": when.entered_on.isoformat(),
            "clear_days": when.clear_days,
            "earliest": when.earliest.isoformat() if when.earliest else None,
            "earliest_working": (
                when.earliest_working.isoformat() if when.earliest_working else None
            ),
            "target": when.target.isoformat() if when.target else None,
            "overdue": when.overdue,
        },
        timetable_svg=charts.timetable_svg(
            timetable_chart(session, loaded, now, overrides), f"Timetable of {review.ref}"
        ),
        stages=[
            {
                "stage": e.stage,
                "via": e.via,
                "entered_at": e.entered_at.isoformat(),
                "left_at": e.left_at.isoformat() if e.left_at else None,
            }
            for e in repo.stage_entries(session, review_id)
        ],
        overrides=overrides,
        agreements=agreements,
        party=_party(session, review_id, audience),
        activities=[
            {
                "method": a.method,
                "held_on": a.held_on.isoformat(),
                "stage": a.stage,
                "categories": json.loads(a.categories),
                "summary": a.summary,
                "outcome": a.outcome,
            }
            for a in repo.activities_for(session, review_id)
        ],
        meetings=[_meeting(session, loaded, m, now) for m in repo.meetings_for(session, review_id)],
        proposals=proposals,
        evidence=papers,
        withheld=withheld,
        corrections=_corrections(session, review, audience, allowed),
        trends=_trends(session, review_id),
        appraisal=appraisal_of(session, review_id).as_dict(),
        actions=[
            {
                "title": a.title,
                "owner": a.owner,
                "due": a.due.isoformat(),
                "indicator": a.indicator_code,
                "status": a.status,
                "overdue": is_overdue(a, today),
            }
            for a in repo.actions_for(session, review_id)
        ],
        monitoring=monitoring_of(session, review_id, today),
    )


def _check(audience: str, fmt: str) -> None:
    if audience not in AUDIENCES:
        raise InputError(f"audience must be one of {', '.join(AUDIENCES)}")
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}")


def review_report(
    app: App, ref: str, fmt: str = "html", audience: str = "internal", as_of: str | None = None
) -> str:
    """The review's report as self-contained HTML or Markdown; with ``as_of``, as the record
    stood then (replayed from the audit chain), stamped with when it was generated."""
    _check(audience, fmt)
    generated = app.now()
    if as_of is None:
        with app.db.read() as session:
            data = gather(session, load(session, ref), audience, generated)
        point = None
    else:
        from bvflow.services.history import past

        with past(app, as_of) as (then, point), then.db.read() as session:
            data = gather(session, load(session, ref), audience, then.now())
    data.generated_at = generated.isoformat()
    data.as_of = point.at.isoformat() if point is not None else None
    data.as_of_seq = point.seq if point is not None else None
    return render_report("review", fmt, data.__dict__)


def inspection_pack(app: App, ref: str, out: Path, force: bool = False) -> dict[str, Any]:
    """A zip for inspectors: the internal report, the evidence index and files, the audit
    trail CSV, the chain's verification result, the service's earlier inspections with the
    responses, a README and a SHA-256 manifest (``bvflow.services.inspection_pack``)."""
    if out.exists() and out.is_dir():
        raise InputError(f"{out} is a directory; give a file name such as pack.zip")
    check_output(out, protected_paths(app.db.path), force)
    now = app.now()
    with app.db.read() as session:
        loaded = load(session, ref)
        data = gather(session, loaded, "internal", now)
        trail = [
            event_dict(e)
            for e in repo.find_events(session, repo.EventFilter(review=loaded.review.ref))
        ]
        attached = {
            **pack_parts.evidence_files(session, int(loaded.review.id or 0)),
            **pack_parts.history(session, loaded.review.service, local_date(now)),
        }
    verdict = verify(app).as_dict()
    files: dict[str, bytes] = {
        name: text.encode("utf-8") for name, text in _pack_texts(data, trail, verdict, now,
                                                                 loaded.review.ref).items()
    }
    files["README.txt"] = pack_parts.readme(loaded.review.ref, loaded.review.service,
                                            now.isoformat())
    files.update(attached)
    files[pack_parts.MANIFEST] = pack_parts.manifest(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as pack:
        for name, content in files.items():
            pack.writestr(name, content)
    write_output(out, buffer.getvalue(), protected_paths(app.db.path), force)
    return {"file": str(out), "files": sorted(files), "intact": verdict["intact"]}


def _pack_texts(
    data: ReportData, trail: list[dict[str, Any]], verdict: dict[str, Any], now: datetime,
    ref: str,
) -> dict[str, str]:
    return {
        "report.html": render_report("review", "html", data.__dict__),
        "report.md": render_report("review", "md", data.__dict__),
        "evidence-index.csv": to_csv(
            data.evidence,
            ["id", "stage", "kind", "title", "disclosure", "file_name", "sha256", "recorded_at"],
        ),
        "audit-trail.csv": to_csv(
            trail,
            [
                "seq",
                "at",
                "actor",
                "login",
                "action",
                "review",
                "from_stage",
                "to_stage",
                "payload",
                "hash",
            ],
        ),
        "verify.json": json.dumps(
            {**verdict, "review": ref, "generated_at": now.isoformat()}, indent=2
        ),
    }


PROGRAMME_FIELDS: Final = (
    "ref", "title", "service", "stage", "status", "created_on", "due_on", "overdue", "workflow",
    "actions_open", "actions_overdue",
)


def programme(app: App, year: int | None = None, fmt: str = "html") -> str:
    """Every review on one timeline, with its stage and status."""
    if fmt not in (*FORMATS, "csv", "json"):
        raise InputError("format must be one of html, md, csv, json")
    now = app.now()
    authority, rows = _programme_rows(app, year, now)
    if fmt == "json":
        return (
            json.dumps([{k: v for k, v in r.items() if k != "entries"} for r in rows], indent=2)
            + "\n"
        )
    if fmt == "csv":
        return to_csv(rows, PROGRAMME_FIELDS)
    with app.db.read() as session:
        plan = plan_against_actual(session, now, year, app.settings.cycle_years)
    svg = charts.timetable_svg(
        charts.Timetable([charts.StageRow(_row_label(r), None, _spans(r)) for r in rows]),
        "Programme of reviews",
    )
    return render_report(
        "programme",
        fmt,
        {
            "authority": authority,
            "rows": rows,
            "svg": svg,
            "year": year,
            "generated_at": now.isoformat(),
            "late": [r for r in rows if r["overdue"]],
            "monitored": [a for r in rows for a in r["monitored_actions"]],
            **plan,
        },
    )


def programme_xlsx(app: App, year: int | None = None) -> bytes:
    """The programme as a spreadsheet, with the CSV's columns and real dates."""
    _, rows = _programme_rows(app, year, app.now())
    title = "Programme of reviews" + (f" {year}" if year is not None else "")
    return to_xlsx(rows, PROGRAMME_FIELDS, title, dates=("created_on", "due_on"))


def _programme_rows(
    app: App, year: int | None, now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The authority's name, and a row for each review opened or running in ``year``, or
    closed earlier with improvement-plan actions still open (its plan is still monitored)."""
    today = local_date(now)
    with app.db.read() as session:
        authority = repo.load_authority(session).name
        plans = repo.open_actions_by_review(session)
        rows: list[dict[str, Any]] = []
        for review in repo.find_reviews(session, repo.ReviewFilter()):
            review_id = int(review.id or 0)
            entries = [
                (e.stage, local_date(e.entered_at), local_date(e.left_at or now))
                for e in repo.stage_entries(session, review_id)
            ]
            actions = plans.get(review_id, [])
            watched = monitored(review, actions, today)
            if year is not None and not _in_year(review, entries, year, bool(watched)):
                continue
            loaded = load(session, review.ref)
            running = review.status in ("active", "suspended")
            when = timing(session, loaded, now) if running else None
            opened, overdue = counts(review, actions, today)
            rows.append(
                {
                    "ref": review.ref,
                    "title": review.title,
                    "service": review.service,
                    "stage": review.stage,
                    "status": review.status,
                    "created_on": local_date(review.created_at).isoformat(),
                    "entries": entries,
                    "workflow": loaded.definition.name,
                    "due_on": when.target.isoformat() if when and when.target else None,
                    "overdue": bool(when and when.overdue),
                    "actions_open": opened,
                    "actions_overdue": overdue,
                    "monitored_actions": [a.as_dict() for a in watched],
                }
            )
    return authority, rows


def _in_year(
    review: Review,
    entries: list[tuple[str, date, date]],
    year: int,
    monitored_: bool,
) -> bool:
    """Opened in the year, or running during it (to when it ended; one still running is
    in every year from its opening, a later one too: a planner looking ahead sees it), or
    closed before it with actions still being monitored."""
    created = local_date(review.created_at)
    if review.status in ("active", "suspended"):
        return created.year <= year
    if review.status == "closed" and entries:
        # The day it closed: a closed review's version (and updated_at) still moves when
        # its actions are updated during monitoring.
        ended = entries[-1][1]
    else:
        ended = local_date(review.updated_at)
    return created.year <= year <= ended.year or (monitored_ and created.year <= year)


def _row_label(row: dict[str, Any]) -> str:
    """A review's line on the programme chart: its reference, marked if overdue or paused."""
    marks = [w for w, on in (("overdue", row["overdue"]),
                             ("suspended", row["status"] == "suspended")) if on]
    return f"{row['ref']} ({', '.join(marks)})" if marks else str(row["ref"])


def _spans(row: dict[str, Any]) -> list[tuple[date, date]]:
    return [(a, b) for _, a, b in row["entries"]]
