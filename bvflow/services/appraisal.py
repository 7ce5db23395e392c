"""The compete stage's options appraisal: options, weighted criteria, scores, the choice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from bvflow import inputs
from bvflow.domain.performance import Appraised, appraise
from bvflow.errors import InputError, NotFoundError
from bvflow.services.app import App, Loaded, load_live, record_change
from bvflow.store import Session, changes, repo
from bvflow.store.models import Criterion, Option

MAX_SCORE: Final = 100.0


@dataclass(frozen=True)
class Appraisal:
    criteria: dict[str, float]
    ranked: list[Appraised]
    scores: dict[str, dict[str, float]]
    rationale: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "criteria": self.criteria,
            "scores": self.scores,
            "rationale": self.rationale,
            "options": [a.__dict__ for a in self.ranked],
        }


def _option(session: Session, review_id: int, name: str) -> Option:
    for row in repo.options_for(session, review_id):
        if inputs.name_key(row.name) == inputs.name_key(name):
            return row
    raise NotFoundError(f"no option {name!r}; 'bvflow option list REF' shows them")


def add_option(app: App, ref: str, name: str, description: str = "") -> None:
    """Add an option: in-house improvement, partnership, shared service, tender..."""
    name = inputs.text(name, "the option", max_length=100)
    description = inputs.text(description, "the description", max_length=2000, required=False)
    loaded = load_live(app, ref, "change the options of")
    now = app.now()
    with app.db.write() as session:
        review_id = int(loaded.review.id or 0)
        same = [o.name for o in repo.options_for(session, review_id)
                if inputs.name_key(o.name) == inputs.name_key(name)]
        if same:
            raise InputError(f"option {same[0]!r} already exists")
        changes.insert(session, Option(review_id=review_id, name=name, description=description))
        record_change(
            session, app, now, loaded, "option.added", {"name": name, "description": description}
        )


def add_criterion(app: App, ref: str, name: str, weight: float) -> None:
    """Add a criterion with its weight (e.g. quality 40, cost 30, staff terms 30)."""
    name = inputs.text(name, "the criterion", max_length=100)
    if not 0 < weight <= 1000:
        raise InputError("--weight must be more than 0 and at most 1000")
    loaded = load_live(app, ref, "change the options of")
    now = app.now()
    with app.db.write() as session:
        review_id = int(loaded.review.id or 0)
        same = [c.name for c in repo.criteria_for(session, review_id)
                if inputs.name_key(c.name) == inputs.name_key(name)]
        if same:
            raise InputError(f"criterion {same[0]!r} already exists")
        changes.insert(session, Criterion(review_id=review_id, name=name, weight=weight))
        record_change(
            session, app, now, loaded, "option.criterion_added", {"name": name, "weight": weight}
        )


def score(app: App, ref: str, option: str, criterion: str, value: float) -> None:
    """Score an option against a criterion (0-100; replaces an earlier score, audited)."""
    if not 0 <= value <= MAX_SCORE:
        raise InputError(f"a score must be between 0 and {MAX_SCORE:g}")
    loaded = load_live(app, ref, "change the options of")
    now = app.now()
    with app.db.write() as session:
        review_id = int(loaded.review.id or 0)
        row = _option(session, review_id, option)
        found = [c for c in repo.criteria_for(session, review_id)
                 if inputs.name_key(c.name) == inputs.name_key(criterion)]
        if not found:
            raise NotFoundError(
                f"no criterion {criterion!r}; add it with 'bvflow option criterion'"
            )
        repo.set_score(session, int(row.id or 0), int(found[0].id or 0), value)
        record_change(
            session,
            app,
            now,
            loaded,
            "option.scored",
            {"option": row.name, "criterion": found[0].name, "score": value},
        )


def choose(app: App, ref: str, option: str, rationale: str | None) -> None:
    """Choose the option to take forward, with the rationale (audited)."""
    why = inputs.reason(rationale, "choosing an option")
    loaded = load_live(app, ref, "change the options of")
    now = app.now()
    with app.db.write() as session:
        review_id = int(loaded.review.id or 0)
        chosen = _option(session, review_id, option)
        for row in repo.options_for(session, review_id):
            picked = row.id == chosen.id
            if (row.chosen, row.rationale) != (picked, why if picked else None):
                changes.update(
                    session, row, {"chosen": picked, "rationale": why if picked else None}
                )
        record_change(
            session, app, now, loaded, "option.chosen", {"option": chosen.name, "rationale": why}
        )


def appraisal_of(session: Session, review_id: int) -> Appraisal:
    options = repo.options_for(session, review_id)
    criteria = repo.criteria_for(session, review_id)
    names = {c.id: c.name for c in criteria}
    by_option = {o.id: o.name for o in options}
    scores = {
        (by_option[s.option_id], names[s.criterion_id]): s.score
        for s in repo.scores_for(session, [int(o.id or 0) for o in options])
    }
    chosen = next((o for o in options if o.chosen), None)
    ranked = appraise(
        [o.name for o in options],
        {c.name: c.weight for c in criteria},
        scores,
        chosen.name if chosen else None,
    )
    table: dict[str, dict[str, float]] = {o.name: {} for o in options}
    for (option, criterion), value in scores.items():
        table[option][criterion] = value
    return Appraisal(
        {c.name: c.weight for c in criteria}, ranked, table, chosen.rationale if chosen else None
    )


def appraisal(app: App, ref: str) -> Appraisal:
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        return appraisal_of(session, int(review.id or 0))


def option_facts(session: Session, loaded: Loaded, _now: datetime) -> dict[str, Any]:
    """For the ``options`` requirement: how many options, which are not fully scored, and
    whether one was chosen."""
    found = appraisal_of(session, int(loaded.review.id or 0))
    unscored = tuple(
        a.name for a in found.ranked if a.scored < len(found.criteria) or not found.criteria
    )
    return {
        "options": len(found.ranked),
        "options_unscored": unscored,
        "option_chosen": any(a.chosen for a in found.ranked),
    }
