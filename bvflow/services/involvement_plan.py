"""The strategic plan for involvement: which categories of organisation are to be involved,
by which methods and when, for one review or for the authority's year; and the report that
sets the plan against what was recorded, so that gaps show.

Each entry is state of the chain: ``involvement.planned`` and ``involvement.plan_withdrawn``
(nothing is deleted). Whether an entry was reached is read from the record when asked
(bvflow.domain.involvement_plan), never stored. The report shows counts, never an activity's
summary or outcome, so it discloses nothing a public report may not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Final

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import local_date
from bvflow.domain.involvement import CATEGORIES, METHODS
from bvflow.domain.involvement_plan import (
    MEETING_METHODS,
    Contact,
    Entry,
    parse_month,
)
from bvflow.errors import InputError, RefusedError
from bvflow.exports import to_csv
from bvflow.reports.render import render_report
from bvflow.services.app import App, Loaded, load
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import InvolvementPlanEntry, Review

FIRST_YEAR, LAST_YEAR = 1999, 2200
REPORT_FORMATS: Final = ("html", "md", "csv", "json")


@dataclass(frozen=True)
class PlanView(View):
    id: int
    review: str | None
    year: int | None
    category: str
    methods: list[str]
    stage: str | None
    by: str | None
    note: str
    status: str
    withdrawn_reason: str | None


def _view(row: InvolvementPlanEntry, refs: dict[int, str]) -> PlanView:
    return PlanView(
        int(row.id or 0),
        refs.get(row.review_id) if row.review_id is not None else None,
        row.year,
        row.category,
        json.loads(row.methods),
        row.stage,
        row.by_month,
        row.note,
        row.status,
        row.withdrawn_reason,
    )


def _refs(session: Session) -> dict[int, str]:
    return {int(r.id or 0): r.ref for r in repo.find_reviews(session, repo.ReviewFilter())}


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"the year must be from {FIRST_YEAR} to {LAST_YEAR}, not {year}")
    return year


def _methods(methods: Sequence[str]) -> list[str]:
    if not methods:
        raise InputError(f"name at least one --method (known: {', '.join(METHODS)})")
    for method in methods:
        if method not in METHODS:
            raise InputError(f"unknown method {method[:60]!r} (known: {', '.join(METHODS)})")
    return sorted(set(methods))


def _category(category: str, known: Sequence[str]) -> str:
    if category not in known:
        raise InputError(f"unknown category {category[:60]!r} (known: {', '.join(known)})")
    return category


def _stage(loaded: Loaded, stage: str) -> str:
    stages = [s.name for s in loaded.definition.stages if not s.final]
    if stage not in stages:
        raise InputError(
            f"{loaded.review.ref} has no stage {stage[:60]!r} to involve people in "
            f"(its stages: {', '.join(stages)})"
        )
    return stage


@dataclass(frozen=True)
class _Scope:
    """Where an entry belongs: a review (with its loaded definition) or a year."""

    loaded: Loaded | None
    year: int | None


def _scope(session: Session, ref: str | None, year: int | None) -> _Scope:
    if (ref is None) == (year is None):
        raise InputError(
            "give a review (REF) for its plan, or --year YYYY for the authority's plan; "
            "not both, not neither"
        )
    if ref is None:
        repo.load_authority(session)
        return _Scope(None, _year(int(year or 0)))
    loaded = load(session, ref)
    if loaded.review.status in ("closed", "abandoned"):
        # Refused by the lifecycle, as every change to a closed review is (exit 4).
        raise RefusedError(loaded.review.ref, "plan the involvement of",
                           f"it is {loaded.review.status}")
    return _Scope(loaded, None)


def plan_involvement(
    app: App,
    ref: str | None,
    year: int | None,
    category: str,
    methods: Sequence[str],
    stage: str | None = None,
    by: str | None = None,
    note: str = "",
) -> PlanView:
    """Plan a category's involvement by some methods: in a review (by a stage of it), or in
    the authority's year (by the end of a month)."""
    chosen = _methods(methods)
    note = inputs.text(note, "the note", max_length=1000, required=False)
    now = app.now()
    with app.db.write() as session:
        scope = _scope(session, ref, year)
        if scope.loaded is None:
            if stage is not None:
                raise InputError("--stage is for a review's plan; the authority's plan for a "
                                 "year gives --by YYYY-MM")
            _category(category, list(CATEGORIES))
            try:
                by = parse_month(by, int(scope.year or 0)) if by is not None else None
            except ValueError as exc:
                raise InputError(str(exc)) from exc
        else:
            if by is not None:
                raise InputError("--by is for the authority's plan (--year); a review's plan "
                                 "gives --stage")
            _category(category, list(scope.loaded.definition.involvement.categories))
            stage = _stage(scope.loaded, stage) if stage is not None else None
        review = scope.loaded.review if scope.loaded is not None else None
        _refuse_duplicate(session, review, scope.year, category, chosen, stage, by)
        row = repo.add_plan_entry(
            session,
            InvolvementPlanEntry(
                review_id=review.id if review is not None else None,
                year=scope.year,
                category=category,
                methods=json.dumps(chosen),
                stage=stage,
                by_month=by,
                note=note,
                added_by=app.actor,
                added_at=now,
                updated_at=now,
            ),
        )
        payload = {"entry": row.id, "year": scope.year, "category": category,
                   "methods": chosen, "stage": stage, "by": by, "note": note}
        repo.append_event(
            session,
            NewEvent(now, app.actor, "involvement.planned",
                     review.ref if review is not None else None, payload=payload),
        )
        return _view(row, {int(review.id or 0): review.ref} if review is not None else {})


def _refuse_duplicate(
    session: Session,
    review: Review | None,
    year: int | None,
    category: str,
    methods: list[str],
    stage: str | None,
    by: str | None,
) -> None:
    """The same category, methods and time planned twice is one entry, not two."""
    rows = repo.plan_entries(session, review.id if review is not None else None, year)
    for row in rows:
        same_scope = (row.review_id == (review.id if review is not None else None)
                      and row.year == year)
        if (row.status == "planned" and same_scope and row.category == category
                and json.loads(row.methods) == methods and row.stage == stage
                and row.by_month == by):
            raise InputError(f"entry {row.id} already plans this; "
                             "'bvflow involvement plan list' shows it")


def plan_list(app: App, ref: str | None = None, year: int | None = None) -> list[PlanView]:
    """The plan's entries, withdrawn ones included: a review's, the authority's for a year
    (with the entries of reviews opened that year), or all."""
    if ref is not None and year is not None:
        raise InputError("give a review or --year, not both: a review's plan is listed whole")
    with app.db.read() as session:
        refs = _refs(session)
        if ref is not None:
            review = repo.load_review(session, ref)
            rows = repo.plan_entries(session, review_id=int(review.id or 0))
        else:
            rows = repo.plan_entries(session)
            if year is not None:
                opened = {int(r.id or 0) for r in repo.find_reviews(session, repo.ReviewFilter())
                          if local_date(r.created_at).year == _year(year)}
                rows = [r for r in rows if r.year == year or r.review_id in opened]
        return [_view(r, refs) for r in rows]


def withdraw_entry(app: App, entry_id: int, reason: str | None) -> PlanView:
    """Take an entry out of the plan, with a reason; it stays on record, marked withdrawn."""
    said = inputs.reason(reason, "withdrawing a plan entry")
    now = app.now()
    with app.db.write() as session:
        row = repo.load_plan_entry(session, entry_id)
        if row.status != "planned":
            raise InputError(f"entry {entry_id} was withdrawn already ({row.withdrawn_reason})")
        refs = _refs(session)
        changes.update(session, row, {"status": "withdrawn", "withdrawn_reason": said,
                                      "updated_at": now})
        ref = refs.get(row.review_id) if row.review_id is not None else None
        repo.append_event(
            session,
            NewEvent(now, app.actor, "involvement.plan_withdrawn", ref,
                     payload={"entry": entry_id, "category": row.category, "reason": said}),
        )
        return _view(row, refs)


# --- the report ----------------------------------------------------------------------------


@dataclass
class _Record:
    """One review's record of involvement, as contacts, and its working party by category."""

    loaded: Loaded
    contacts: list[Contact]
    members: dict[str, int]
    stages_left: list[str]
    ended: bool
    titles: dict[str, str] = field(default_factory=dict)


def _record(session: Session, review: Review) -> _Record:
    loaded = load(session, review.ref)
    review_id = int(review.id or 0)
    contacts = [
        Contact(review.ref, a.stage, a.held_on, category, a.method, "activity")
        for a in repo.activities_for(session, review_id)
        for category in json.loads(a.categories)
    ]
    everyone = repo.party_for(session, review_id, include_removed=True)
    category_of = {inputs.name_key(m.organisation): m.category for m in everyone}
    for meeting in repo.meetings_for(session, review_id):
        method = MEETING_METHODS.get(meeting.kind)
        if method is None or meeting.held_recorded_at is None or meeting.status != "scheduled":
            continue
        attended = json.loads(meeting.attended or "[]")
        present = {category_of.get(inputs.name_key(o)) for o in attended}
        contacts += [Contact(review.ref, meeting.stage, local_date(meeting.starts_at), c, method,
                             "meeting") for c in sorted(c for c in present if c)]
    members: dict[str, int] = {}
    for member in everyone:
        if member.removed_at is None:
            members[member.category] = members.get(member.category, 0) + 1
    left = {e.stage for e in repo.stage_entries(session, review_id) if e.left_at is not None}
    return _Record(
        loaded, contacts, members, sorted(left - {review.stage}),
        review.status in ("closed", "abandoned"),
        {s.name: s.title for s in loaded.definition.stages},
    )


def _in_year(review: Review, year: int, now: datetime) -> bool:
    """Opened in the year, or running during it (up to today, or to when it ended)."""
    running = review.status in ("active", "suspended")
    ended = local_date(now if running else review.updated_at)
    return local_date(review.created_at).year <= year <= ended.year


def _judged(row: InvolvementPlanEntry, contacts: list[Contact], members: int, today: date,
            record: _Record | None) -> dict[str, Any]:
    """An entry with what was recorded in its scope and whether it was reached."""
    entry = Entry(record.loaded.review.ref if record else None, row.year, row.category,
                  tuple(json.loads(row.methods)), row.stage, row.by_month)
    met = entry.reached_by(contacts)
    anywhere = replace(entry, methods=tuple({*METHODS, *MEETING_METHODS.values()}))
    seen = anywhere.reached_by(contacts)
    passed = entry.passed(today, record.stages_left if record else [], bool(record and
                                                                              record.ended))
    return {
        "id": row.id,
        "review": entry.review,
        "year": row.year,
        "category": row.category,
        "methods": list(entry.methods),
        "stage": row.stage,
        "by": row.by_month,
        "when": entry.when(record.titles if record else {}),
        "note": row.note,
        "result": "reached" if met else "not reached",
        "overdue": not met and passed,
        "first_reached": min(c.on for c in met).isoformat() if met else None,
        "activities": sum(c.source == "activity" for c in seen),
        "meetings": sum(c.source == "meeting" for c in seen),
        "members": members,
    }


def _gather(session: Session, now: datetime, year: int | None, ref: str | None
            ) -> dict[str, Any]:
    today = local_date(now)
    reviews = ([repo.load_review(session, ref)] if ref is not None else
               [r for r in repo.find_reviews(session, repo.ReviewFilter())
                if _in_year(r, int(year or 0), now)])
    records = [_record(session, r) for r in reviews]
    rows = repo.plan_entries(session)
    planned = [r for r in rows if r.status == "planned"]
    everywhere = [c for rec in records for c in rec.contacts
                  if year is None or c.on.year == year]
    authority_plan = []
    if ref is None:
        all_members: dict[str, int] = {}
        for rec in records:
            for category, count in rec.members.items():
                all_members[category] = all_members.get(category, 0) + count
        authority_plan = [_judged(r, everywhere, all_members.get(r.category, 0), today, None)
                          for r in planned if r.review_id is None and r.year == year]
    judged = list(authority_plan)
    by_review: list[dict[str, Any]] = []
    for record in records:
        review = record.loaded.review
        mine = [_judged(r, record.contacts, record.members.get(r.category, 0), today, record)
                for r in planned if r.review_id == review.id]
        judged += mine
        by_review.append({"ref": review.ref, "title": review.title, "service": review.service,
                          "status": review.status, "stage": review.stage, "plan": mine})
    categories = _categories(records, judged)
    return {
        "year": year,
        "review": reviews[0].ref if ref is not None else None,
        "authority_plan": authority_plan,
        "reviews": by_review,
        "matrix": _matrix(categories, records, everywhere, judged),
        "never_reached": [
            {"category": c, "planned": any(j["category"] == c for j in judged)}
            for c in categories if not any(x.category == c for x in everywhere)
        ],
        "gaps": [j for j in judged if j["result"] == "not reached"],
    }


def _categories(records: Sequence[_Record], judged: Sequence[dict[str, Any]]) -> list[str]:
    """The source document's list, then any category a council's workflow added."""
    found = dict.fromkeys(CATEGORIES)
    for record in records:
        found.update(dict.fromkeys(record.loaded.definition.involvement.categories))
    found.update(dict.fromkeys(j["category"] for j in judged))
    return list(found)


def _matrix(categories: Sequence[str], records: Sequence[_Record], contacts: list[Contact],
            judged: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each category against each review: reached, planned and not reached, or neither."""
    reached = {(c.review, c.category) for c in contacts}
    missed = {(j["review"], j["category"]) for j in judged
              if j["review"] and j["result"] == "not reached"}
    rows = []
    for category in categories:
        cells = []
        for record in records:
            key = (record.loaded.review.ref, category)
            if key in reached:
                state = "reached; plan not met" if key in missed else "reached"
            else:
                state = "planned, not reached" if key in missed else "not involved"
            cells.append({"review": key[0], "state": state})
        rows.append({"category": category, "cells": cells})
    return rows


CSV_FIELDS: Final = (
    "id", "review", "year", "category", "methods", "when", "note", "result", "overdue",
    "first_reached", "activities", "meetings", "members",
)


def involvement_report(app: App, year: int | None = None, ref: str | None = None,
                       fmt: str = "html") -> str:
    """The plan for involvement against the record: per review and across the programme,
    each entry reached or not; categories against reviews; categories never reached."""
    if fmt not in REPORT_FORMATS:
        raise InputError(f"format must be one of {', '.join(REPORT_FORMATS)}")
    now = app.now()
    if year is not None:
        _year(year)
    elif ref is None:
        year = local_date(now).year
    with app.db.read() as session:
        authority = repo.load_authority(session).name
        data = _gather(session, now, year, ref)
    data.update(authority=authority, generated_at=now.isoformat())
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    entries = [*data["authority_plan"], *(e for r in data["reviews"] for e in r["plan"])]
    if fmt == "csv":
        return to_csv([{**e, "methods": " ".join(e["methods"])} for e in entries], CSV_FIELDS)
    return render_report("involvement", fmt, data)
