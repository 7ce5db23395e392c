"""Corrections, never deletions: amend or withdraw what was recorded, with a reason.

Each correction changes the row (so every view shows the current value), marks a withdrawn
row rather than deleting it, writes a ``corrections`` row with the values before and after,
and appends its event, all in one transaction. Reports and ``review show`` list them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bvflow import inputs
from bvflow.domain.involvement import CATEGORIES, DISCLOSURES, ROLES
from bvflow.errors import InputError, NotFoundError
from bvflow.services.app import App, Loaded, load_live, record_change
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import Activity, Agreement, Correction, Evidence, PartyMember, Review


@dataclass(frozen=True)
class CorrectionView(View):
    review: str
    subject: str
    subject_id: str
    action: str
    fields: dict[str, list[Any]]  # field -> [before, after]
    reason: str
    corrected_by: str
    corrected_at: str

    def changed(self) -> list[str]:
        """Each field as "name: before -> after", lists written out."""
        return [f"{name}: {_text(old)} -> {_text(new)}" for name, (old, new) in self.fields.items()]

    def describe(self) -> str:
        what = f"{self.subject} {self.subject_id} {self.action}"
        if self.fields:
            what += ": " + "; ".join(self.changed())
        return f"{what} (by {self.corrected_by}: {self.reason})"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return "none" if value is None else repr(value) if isinstance(value, str) else str(value)


def corrections_of(session: Session, review: Review) -> list[CorrectionView]:
    return [_view(review.ref, row) for row in repo.corrections_for(session, int(review.id or 0))]


def _view(ref: str, row: Correction) -> CorrectionView:
    return CorrectionView(
        ref,
        row.subject,
        row.subject_id,
        row.action,
        json.loads(row.fields),
        row.reason,
        row.corrected_by,
        row.corrected_at.isoformat(),
    )


def _correct(
    app: App,
    session: Session,
    loaded: Loaded,
    subject: str,
    row: Any,
    subject_id: str,
    new: Mapping[str, Any],
    reason: str,
    action: str = "amended",
) -> CorrectionView:
    """Apply ``new`` to ``row``, record the correction and its event."""
    now = app.now()
    before = {name: getattr(row, name) for name in new}
    moved = {name: value for name, value in new.items() if value != before[name]}
    if not moved:
        raise InputError(f"nothing to change: the {subject} already says that")
    changes.update(session, row, moved)
    shown = (
        {k: [_plain(k, before[k]), _plain(k, v)] for k, v in moved.items()}
        if action == "amended"
        else {}
    )
    correction = Correction(
        review_id=int(loaded.review.id or 0),
        subject=subject,
        subject_id=subject_id,
        action=action,
        fields=json.dumps(shown, ensure_ascii=False),
        reason=reason,
        corrected_by=app.actor,
        corrected_at=now,
    )
    changes.insert(session, correction)
    event = "party.member_updated" if subject == "member" else f"{subject}.{action}"
    record_change(
        session, app, now, loaded, event, {"id": subject_id, "fields": shown, "reason": reason}
    )
    return _view(loaded.review.ref, correction)


# Columns holding a JSON list (the organisations of an agreement), shown as lists.
LISTS = frozenset({"agreed_by", "dissent"})


def _plain(name: str, value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if name in LISTS and isinstance(value, str):
        return json.loads(value)
    return value


def _evidence(session: Session, loaded: Loaded, evidence_id: int) -> Evidence:
    review_id = int(loaded.review.id or 0)
    found = [
        e
        for e in repo.evidence_for(session, review_id, include_withdrawn=True)
        if e.id == evidence_id
    ]
    if not found:
        raise NotFoundError(
            f"no evidence {evidence_id} for {loaded.review.ref}; "
            "'bvflow evidence list REF' shows them"
        )
    if found[0].withdrawn_at is not None:
        raise InputError(f"evidence {evidence_id} was withdrawn; it cannot be corrected again")
    return found[0]


def amend_evidence(
    app: App,
    ref: str,
    evidence_id: int,
    reason: str | None,
    title: str | None = None,
    kind: str | None = None,
    disclosure: str | None = None,
) -> CorrectionView:
    """Correct an evidence item's title, kind or disclosure level."""
    why = inputs.reason(reason, "amending evidence")
    new: dict[str, Any] = {}
    if title is not None:
        new["title"] = inputs.text(title, "the title", max_length=300)
    if disclosure is not None:
        if disclosure not in DISCLOSURES:
            raise InputError(f"disclosure must be one of {', '.join(DISCLOSURES)}")
        new["disclosure"] = disclosure
    if not new and kind is None:
        raise InputError("give --title, --kind or --disclosure: what is to be corrected")
    loaded = load_live(app, ref, "correct the evidence of")
    if kind is not None:
        known = loaded.definition.evidence_kinds
        if kind not in known:
            raise InputError(
                f"workflow {loaded.definition.name} has no evidence kind {kind!r} "
                f"(known: {', '.join(sorted(known))})"
            )
        new["kind"] = kind
    with app.db.write() as session:
        row = _evidence(session, loaded, evidence_id)
        return _correct(app, session, loaded, "evidence", row, str(evidence_id), new, why)


def withdraw_evidence(app: App, ref: str, evidence_id: int, reason: str | None) -> CorrectionView:
    """Withdraw evidence: it no longer counts for any requirement, and stays in the record."""
    why = inputs.reason(reason, "withdrawing evidence")
    loaded = load_live(app, ref, "correct the evidence of")
    with app.db.write() as session:
        row = _evidence(session, loaded, evidence_id)
        new = {"withdrawn_at": app.now(), "withdrawn_reason": why}
        return _correct(
            app, session, loaded, "evidence", row, str(evidence_id), new, why, "withdrawn"
        )


def _agreement(session: Session, loaded: Loaded, agreement_id: int) -> Agreement:
    found = [
        a
        for a in repo.agreements_for(session, int(loaded.review.id or 0), include_withdrawn=True)
        if a.id == agreement_id
    ]
    if not found:
        raise NotFoundError(
            f"no agreement {agreement_id} for {loaded.review.ref}; "
            "'bvflow agreement list REF' shows them"
        )
    if found[0].withdrawn_at is not None:
        raise InputError(f"agreement {agreement_id} was withdrawn; record it again instead")
    return found[0]


def amend_agreement(
    app: App,
    ref: str,
    agreement_id: int,
    reason: str | None,
    agreed_by: Sequence[str] = (),
    dissent: Sequence[str] | None = None,
    note: str | None = None,
    external: Sequence[str] = (),
) -> CorrectionView:
    """Correct who agreed, who dissented, or the note (a mistyped organisation, say)."""
    from bvflow.services.involvement import check_organisations

    why = inputs.reason(reason, "amending an agreement")
    if not agreed_by and dissent is None and note is None:
        raise InputError("give --agreed-by, --dissent or --note: what is to be corrected")
    loaded = load_live(app, ref, "correct the agreements of")
    with app.db.write() as session:
        row = _agreement(session, loaded, agreement_id)
        new: dict[str, Any] = {}
        if agreed_by or dissent is not None:
            # What is named anew is checked against the working party as it is now; what is
            # kept was checked when it was recorded, and may name an external body.
            agreed = list(agreed_by) or json.loads(row.agreed_by)
            dissenting = list(dissent) if dissent is not None else json.loads(row.dissent)
            kept = [*json.loads(row.agreed_by), *json.loads(row.dissent)]
            outside = [*external, *(o for o in kept if o in (*agreed, *dissenting))]
            agreed, dissenting = check_organisations(
                session, loaded, agreed, dissenting, tuple(dict.fromkeys(outside))
            )
            new.update(agreed_by=json.dumps(agreed), dissent=json.dumps(dissenting))
        if note is not None:
            new["note"] = inputs.text(note, "the note", max_length=2000, required=False)
        return _correct(app, session, loaded, "agreement", row, str(agreement_id), new, why)


def withdraw_agreement(
    app: App, ref: str, agreement_id: int, reason: str | None
) -> CorrectionView:
    """Withdraw an agreement: the item counts as not agreed, and the record stays."""
    why = inputs.reason(reason, "withdrawing an agreement")
    loaded = load_live(app, ref, "correct the agreements of")
    with app.db.write() as session:
        row = _agreement(session, loaded, agreement_id)
        new = {"withdrawn_at": app.now(), "withdrawn_reason": why}
        return _correct(
            app, session, loaded, "agreement", row, str(agreement_id), new, why, "withdrawn"
        )


def withdraw_activity(app: App, ref: str, activity_id: int, reason: str | None) -> CorrectionView:
    """Withdraw an involvement activity recorded by mistake (it no longer counts)."""
    why = inputs.reason(reason, "withdrawing an activity")
    loaded = load_live(app, ref, "correct the activities of")
    with app.db.write() as session:
        found = [
            a
            for a in repo.activities_for(
                session, int(loaded.review.id or 0), include_withdrawn=True
            )
            if a.id == activity_id
        ]
        if not found:
            raise NotFoundError(
                f"no activity {activity_id} for {loaded.review.ref}; "
                "'bvflow activity list REF' shows them"
            )
        row: Activity = found[0]
        if row.withdrawn_at is not None:
            raise InputError(f"activity {activity_id} was already withdrawn")
        new = {"withdrawn_at": app.now(), "withdrawn_reason": why}
        return _correct(
            app, session, loaded, "activity", row, str(activity_id), new, why, "withdrawn"
        )


def update_member(
    app: App,
    ref: str,
    email: str,
    reason: str | None,
    name: str | None = None,
    organisation: str | None = None,
    category: str | None = None,
    role: str | None = None,
) -> CorrectionView:
    """Correct a working-party member's name, organisation, category or role."""
    why = inputs.reason(reason, "updating a member")
    email = inputs.address(email)
    new: dict[str, Any] = {}
    if name is not None:
        new["name"] = inputs.text(name, "the name", max_length=100)
    if organisation is not None:
        new["organisation"] = inputs.text(organisation, "the organisation", max_length=200)
    if category is not None:
        if category not in CATEGORIES:
            raise InputError(f"unknown category {category!r} (known: {', '.join(CATEGORIES)})")
        new["category"] = category
    if role is not None:
        if role not in ROLES:
            raise InputError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
        new["role"] = role
    if not new:
        raise InputError("give --name, --organisation, --category or --role")
    loaded = load_live(app, ref, "update a member of")
    with app.db.write() as session:
        row: PartyMember | None = repo.party_member(session, int(loaded.review.id or 0), email)
        if row is None or row.removed_at is not None:
            raise NotFoundError(f"{email} is not in the working party of {loaded.review.ref}")
        return _correct(app, session, loaded, "member", row, email, new, why)


def amend_review(
    app: App,
    ref: str,
    reason: str | None,
    title: str | None = None,
    service: str | None = None,
    coordinator: str | None = None,
) -> CorrectionView:
    """Correct a review's title, service or coordinator."""
    why = inputs.reason(reason, "amending a review")
    new: dict[str, Any] = {}
    if title is not None:
        new["title"] = inputs.text(title, "the title", max_length=200)
    if service is not None:
        new["service"] = inputs.text(service, "the service", max_length=200)
    if coordinator is not None:
        new["coordinator"] = inputs.email(coordinator)
    if not new:
        raise InputError("give --title, --service or --coordinator: what is to be corrected")
    loaded = load_live(app, ref, "amend")
    with app.db.write() as session:
        review = repo.load_review(session, ref)
        return _correct(app, session, loaded, "review", review, review.ref, new, why)
