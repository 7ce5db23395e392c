"""Involvement use cases: activities, papers, proposals, agreements (the working party is in
``party``, meetings in ``meetings``).

Each change writes its rows, an audit event and any notices in one transaction, and moves the
review's version on (they change what the stage's guards see).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bvflow import inputs
from bvflow.domain.calendar import local_date
from bvflow.domain.involvement import (
    AGREEMENT_ITEMS,
    DISCLOSURES,
    METHODS,
    ROLES,
    paper_disclosure,
)
from bvflow.domain.requirements import ProposalRequirement
from bvflow.domain.timetable import stage_timing
from bvflow.errors import InputError
from bvflow.files import read_paper
from bvflow.services.app import App, Loaded, load_live, record_change, timing
from bvflow.services.notices import Recipient, context_for, everyone, outbox_rows
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import Activity, Agreement, Evidence, PartyMember, Proposal


def check_category(loaded: Loaded, category: str) -> str:
    """The category, if the review's workflow knows it."""
    known = loaded.definition.involvement.categories
    if category not in known:
        raise InputError(f"unknown category {category!r} (known: {', '.join(known)})")
    return category


# --- involvement activities ----------------------------------------------------------------


@dataclass(frozen=True)
class ActivityView(View):
    id: int
    stage: str
    method: str
    held_on: str
    categories: list[str]
    organisations: list[str]
    summary: str
    outcome: str
    withdrawn_at: str | None = None  # withdrawn activities stay on record, marked
    withdrawn_reason: str | None = None


def _activity_view(row: Activity) -> ActivityView:
    return ActivityView(
        int(row.id or 0),
        row.stage,
        row.method,
        row.held_on.isoformat(),
        json.loads(row.categories),
        json.loads(row.organisations),
        row.summary,
        row.outcome,
        row.withdrawn_at.isoformat() if row.withdrawn_at else None,
        row.withdrawn_reason,
    )


def add_activity(
    app: App,
    ref: str,
    method: str,
    held_on: date,
    categories: Sequence[str],
    organisations: Sequence[str] = (),
    summary: str = "",
    outcome: str = "",
) -> ActivityView:
    """Record an involvement activity in the review's current stage."""
    if method not in METHODS:
        raise InputError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
    if not categories:
        raise InputError("name at least one --category of organisation involved")
    orgs = [inputs.text(o, "the organisation", max_length=200) for o in organisations]
    summary = inputs.text(summary, "the summary", max_length=2000, required=False)
    outcome = inputs.text(outcome, "the outcome", max_length=2000, required=False)
    loaded = load_live(app, ref, "record an activity for")
    for category in categories:
        check_category(loaded, category)
    now = app.now()
    if held_on < local_date(loaded.review.created_at):
        raise InputError(f"{held_on.isoformat()} is before the review was opened")
    if held_on > local_date(now):
        raise InputError(
            f"{held_on.isoformat()} is in the future: record an activity once it has happened"
        )
    row = Activity(
        review_id=int(loaded.review.id or 0),
        stage=loaded.review.stage,
        method=method,
        held_on=held_on,
        categories=json.dumps(sorted(set(categories))),
        organisations=json.dumps(orgs),
        summary=summary,
        outcome=outcome,
        recorded_by=app.actor,
        recorded_at=now,
    )
    with app.db.write() as session:
        changes.insert(session, row)
        record_change(
            session,
            app,
            now,
            loaded,
            "activity.recorded",
            {
                "activity_id": row.id,
                "method": method,
                "held_on": held_on.isoformat(),
                "categories": sorted(set(categories)),
                "organisations": orgs,
            },
        )
    return _activity_view(row)


def activities(app: App, ref: str) -> list[ActivityView]:
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        rows = repo.activities_for(session, int(review.id or 0), include_withdrawn=True)
        return [_activity_view(a) for a in rows]


# --- papers (stored as evidence) -----------------------------------------------------------


def paper_row(
    loaded: Loaded,
    app: App,
    kind: str,
    path: Path,
    title: str,
    disclosure: str,
    now: datetime,
    stage: str | None = None,
) -> Evidence:
    """A paper as an evidence row, filed in ``stage`` (the review's current one by default)."""
    if disclosure not in DISCLOSURES:
        raise InputError(f"disclosure must be one of {', '.join(DISCLOSURES)}")
    name, content = read_paper(path, app.db.path)
    return Evidence(
        review_id=int(loaded.review.id or 0),
        stage=stage or loaded.review.stage,
        kind=kind,
        title=title,
        disclosure=disclosure,
        file_name=name,
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_size=len(content),
        content=content,
        recorded_by=app.actor,
        recorded_at=now,
    )


def paper_dicts(papers: Sequence[Evidence]) -> list[dict[str, Any]]:
    return [
        {"id": p.id, "title": p.title, "file_name": p.file_name, "disclosure": p.disclosure}
        for p in papers
    ]


# --- proposals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalView(View):
    id: int
    stage: str
    title: str
    evidence_id: int
    disclosure: str
    circulated_at: str


def circulate_proposal(
    app: App, ref: str, title: str, file: Path, disclosure: str | None = None
) -> ProposalView:
    """Send a proposal to the working party; its discussion period starts when it
    has reached every member."""
    title = inputs.text(title, "the title")
    loaded = load_live(app, ref, "circulate a proposal for")
    now = app.now()
    with app.db.read() as session:
        agreed = default_disclosure(session, int(loaded.review.id or 0))
    level = paper_disclosure(disclosure, agreed)
    paper = paper_row(loaded, app, "proposal", file, title, level, now)
    with app.db.write() as session:
        repo.add_evidence(session, paper)
        proposal = Proposal(
            review_id=int(loaded.review.id or 0),
            stage=loaded.review.stage,
            title=title,
            evidence_id=int(paper.id or 0),
            circulated_by=app.actor,
            circulated_at=now,
        )
        changes.insert(session, proposal)
        record_change(
            session,
            app,
            now,
            loaded,
            "proposal.circulated",
            {
                "proposal_id": proposal.id,
                "title": title,
                "evidence_id": paper.id,
                "disclosure": level,
                "file_sha256": paper.file_sha256,
            },
        )
        queue_proposal(session, loaded, proposal, paper, everyone(session, loaded.review), now)
    return ProposalView(
        int(proposal.id or 0), proposal.stage, title, int(paper.id or 0), level, now.isoformat()
    )


def _discussion_days(loaded: Loaded) -> int | None:
    """The clear working days of discussion the stage gives a proposal, if it sets any."""
    definition, stage = loaded.definition, loaded.review.stage
    if not definition.has_stage(stage):
        return None
    for requirement in definition.stage(stage).guards:
        if isinstance(requirement, ProposalRequirement):
            return requirement.days
    return None


def queue_proposal(
    session: Session,
    loaded: Loaded,
    proposal: Proposal,
    paper: Evidence,
    people: list[Recipient],
    now: datetime,
) -> int:
    """Queue a proposal's notice and paper to ``people`` (each once: keyed by proposal and
    address, so a newcomer who already had it is not sent it again)."""
    days = _discussion_days(loaded)
    views_by = (
        loaded.calendar.nth_counting_day(local_date(now), days).isoformat() if days else None
    )
    context = context_for(
        loaded,
        repo.load_authority(session).name,
        timing(session, loaded, now),
        proposal={
            "id": proposal.id,
            "title": proposal.title,
            "discussion_days": days,
            "views_by": views_by,
        },
        at=now.isoformat(),
    )
    rows = outbox_rows(
        loaded.review,
        "proposal_circulated",
        f"proposal:{proposal.id}",
        people,
        context,
        now,
        paper_dicts([paper]),
    )
    return repo.queue_messages(session, rows)


def proposals(app: App, ref: str) -> list[ProposalView]:
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        rows = repo.proposals_for(session, int(review.id or 0))
        papers = {p.id: p for p in repo.evidence_by_ids(session, [r.evidence_id for r in rows])}
        return [
            ProposalView(
                int(r.id or 0),
                r.stage,
                r.title,
                r.evidence_id,
                papers[r.evidence_id].disclosure,
                r.circulated_at.isoformat(),
            )
            for r in rows
        ]


# --- agreements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementView(View):
    id: int
    stage: str
    item: str
    agreed_by: list[str]
    dissent: list[str]
    note: str
    disclosure_default: str | None
    recorded_by: str
    recorded_at: str
    withdrawn_at: str | None = None  # withdrawn agreements stay on record, marked
    withdrawn_reason: str | None = None


def _agreement_view(row: Agreement) -> AgreementView:
    return AgreementView(
        int(row.id or 0),
        row.stage,
        row.item,
        json.loads(row.agreed_by),
        json.loads(row.dissent),
        row.note,
        row.disclosure_default,
        row.recorded_by,
        row.recorded_at.isoformat(),
        row.withdrawn_at.isoformat() if row.withdrawn_at else None,
        row.withdrawn_reason,
    )


def _organisations(names: Sequence[str], option: str) -> list[str]:
    """Each organisation once, as typed first."""
    found: dict[str, str] = {}
    for name in names:
        text = inputs.text(name, option, max_length=200)
        if inputs.name_key(text) in found:
            raise InputError(f"{option} names {text!r} twice")
        found[inputs.name_key(text)] = text
    return list(found.values())


def check_organisations(
    session: Session,
    loaded: Loaded,
    agreed_by: Sequence[str],
    dissent: Sequence[str],
    external: Sequence[str] = (),
    everyone: bool = False,
) -> tuple[list[str], list[str]]:
    """Who agreed and who dissented, each once, each on the working party or external.

    ``everyone``: every organisation on the working party agreed, but those dissenting.
    """
    members = repo.party_for(session, int(loaded.review.id or 0))
    dissenting = _organisations(dissent, "--dissent")
    if everyone:
        if agreed_by:
            raise InputError("give --all-members or --agreed-by, not both")
        against = {inputs.name_key(o) for o in dissenting}
        agreed_by = list(
            dict.fromkeys(
                m.organisation for m in members if inputs.name_key(m.organisation) not in against
            )
        )
        if not agreed_by:
            raise InputError(f"{loaded.review.ref} has no working party to agree yet")
    agreed = _organisations(agreed_by, "--agreed-by")
    both = {inputs.name_key(o) for o in agreed} & {inputs.name_key(o) for o in dissenting}
    if both:
        twice = next(o for o in agreed if inputs.name_key(o) in both)
        raise InputError(f"{twice!r} cannot both agree and dissent; name it once")
    named = on_the_party(members, loaded.review.ref, [*agreed, *dissenting], external,
                         "neither agreed nor dissented")
    return named[: len(agreed)], named[len(agreed) :]


def on_the_party(
    members: Sequence[PartyMember],
    ref: str,
    names: Sequence[str],
    external: Sequence[str],
    unused: str,
) -> list[str]:
    """``names`` as the working party spells them (a report never shows two spellings of one
    body), each on the working party or named with ``--external`` too: a typo in a record
    that cannot be edited would otherwise stay on it. ``unused`` says what an ``--external``
    organisation named nowhere else did not do."""
    outside = {inputs.name_key(o) for o in _organisations(external, "--external")}
    party = {inputs.name_key(m.organisation): m.organisation for m in members}
    for name in names:
        key = inputs.name_key(name)
        if key not in party and key not in outside:
            known = "; ".join(sorted(party.values())) or "none yet ('bvflow party add')"
            raise InputError(
                f"{name!r} is not an organisation on the working party of {ref} (on it: "
                f"{known}); if it is right, name it with --external too"
            )
    if outside - {inputs.name_key(o) for o in names}:
        raise InputError(f"--external names an organisation that {unused}")
    return [party.get(inputs.name_key(o), o) for o in names]


def record_agreement(
    app: App,
    ref: str,
    item: str,
    agreed_by: Sequence[str],
    dissent: Sequence[str] = (),
    note: str = "",
    disclosure_default: str | None = None,
    external: Sequence[str] = (),
    everyone: bool = False,
) -> AgreementView:
    """Record an item as agreed in this stage, with who agreed and who dissented.

    Each organisation must be on the working party (as ``party list`` shows it), or be
    named in ``external`` too: a typo must not become a party to an agreement.
    """
    if item not in AGREEMENT_ITEMS:
        raise InputError(f"unknown agreement item {item!r} (known: {', '.join(AGREEMENT_ITEMS)})")
    if not agreed_by and not everyone:
        raise InputError("name at least one organisation with --agreed-by, or --all-members")
    note = inputs.text(note, "the note", max_length=2000, required=False)
    if disclosure_default is not None and item != "information_disclosure":
        raise InputError("--disclosure-default only belongs to the information_disclosure item")
    if disclosure_default is not None and disclosure_default not in DISCLOSURES:
        raise InputError(f"disclosure must be one of {', '.join(DISCLOSURES)}")
    loaded = load_live(app, ref, "record an agreement for")
    now = app.now()
    with app.db.write() as session:
        agreed, dissenting = check_organisations(
            session, loaded, agreed_by, dissent, external, everyone
        )
        row = Agreement(
            review_id=int(loaded.review.id or 0),
            stage=loaded.review.stage,
            item=item,
            agreed_by=json.dumps(agreed),
            dissent=json.dumps(dissenting),
            note=note,
            disclosure_default=disclosure_default,
            recorded_by=app.actor,
            recorded_at=now,
        )
        changes.insert(session, row)
        record_change(
            session,
            app,
            now,
            loaded,
            "agreement.recorded",
            {
                "agreement_id": row.id,
                "item": item,
                "agreed_by": agreed,
                "dissent": dissenting,
                "note": note,
                "disclosure_default": disclosure_default,
            },
        )
    return _agreement_view(row)


def agreements(app: App, ref: str) -> list[AgreementView]:
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        rows = repo.agreements_for(session, int(review.id or 0), include_withdrawn=True)
        return [_agreement_view(a) for a in rows]


def default_disclosure(session: Session, review_id: int) -> str:
    """What the information-disclosure agreement set as the default, or ``restricted``."""
    for row in reversed(repo.agreements_for(session, review_id)):
        if row.item == "information_disclosure" and row.disclosure_default:
            return row.disclosure_default
    return "restricted"


# --- the facts the involvement requirements judge -----------------------------------------
# Activities and agreements recorded in the stage count whenever it is entered (a return to
# it keeps them, unless withdrawn); proposals and meetings count per stage entry: a return
# restarts the discussion, so it needs its own proposal and meeting (docs/stages.md).


def involvement_facts(session: Session, loaded: Loaded, _now: datetime) -> dict[str, Any]:
    """For ``involvement``: each category involved in this stage, by which methods."""
    review = loaded.review
    involved: dict[str, set[str]] = {}
    for activity in repo.activities_for(session, int(review.id or 0), review.stage):
        for category in json.loads(activity.categories):
            involved.setdefault(category, set()).add(activity.method)
    return {"involved": {k: frozenset(v) for k, v in involved.items()}}


def agreement_facts(session: Session, loaded: Loaded, _now: datetime) -> dict[str, Any]:
    """For ``agreement``: the items agreed in this stage (not withdrawn)."""
    review = loaded.review
    rows = repo.agreements_for(session, int(review.id or 0), review.stage)
    return {"agreed": frozenset(a.item for a in rows)}


def proposal_facts(session: Session, loaded: Loaded, now: datetime) -> dict[str, Any]:
    """For ``proposal``: each proposal of this stage entry, with its clear days of discussion
    since its papers reached the last working-party member (and who they have not reached)."""
    review = loaded.review
    review_id = int(review.id or 0)
    members = {m.email.lower() for m in repo.party_for(session, review_id)}
    found = []
    for proposal in repo.proposals_for(session, review_id, review.stage):
        if proposal.circulated_at < review.stage_entered_at:
            continue
        copies = [
            d
            for d in repo.deliveries(session, f"proposal:{proposal.id}")
            if d.role in ROLES and d.email.lower() in members
        ]
        waiting = tuple(
            f"{d.name or d.email} ({d.email}, {'failed' if d.status == 'failed' else 'waiting'})"
            for d in copies
            if d.sent_at is None
        )
        ran = 0
        if not waiting:
            started = max([d.sent_at for d in copies if d.sent_at], default=proposal.circulated_at)
            paused = repo.suspensions_since(session, review_id, started)
            ran = stage_timing(
                loaded.calendar,
                started,
                now,
                0,
                None,
                [(s.started_at, s.ended_at) for s in paused],
            ).clear_days
        found.append((proposal.title, ran, waiting))
    return {"proposals": tuple(found)}
