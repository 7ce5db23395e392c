"""Every notice and reminder kind, each declared once: its templates, its sample, its disclosure.

A kind is one ``NoticeKind`` in ``REGISTRY``:

- its **templates** are found by its name: ``<name>.txt.j2`` (which sets the subject) and
  ``<name>.html.j2``, in a council's folder first, then the bundled one;
- its **sample** makes the part of the context that is the kind's own (a meeting, a proposal,
  a reminder's due date...) from a review's workflow, calendar and timing, with stand-ins for
  what people type. ``bvflow notify preview`` renders it, and the template tests check it
  against what the outbox really stores;
- its **disclosure** rule says whether it carries papers, and what a recipient who may see
  none of them is not told either. Queueing applies it to every recipient.

Adding a kind is one ``register(NoticeKind(...))`` here, its two templates, and the service
that queues it; preview, redaction and the tests read the rest from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from bvflow.domain.calendar import LONDON, WorkingCalendar
from bvflow.domain.definition import Definition
from bvflow.domain.involvement import AGREEMENT_ITEMS, ROLE_MEANINGS
from bvflow.domain.notice import MEETING_KINDS, rule_for
from bvflow.domain.reminders import working_days_before
from bvflow.domain.requirements import AgreementRequirement
from bvflow.domain.timetable import StageTiming
from bvflow.errors import InputError

REMINDER_PREFIX: Final = "reminder_"
# Sent instead of stage_changed when review.advanced enters a final stage.
CLOSED_NOTICE: Final = "review_closed"


@dataclass(frozen=True)
class Basis:
    """What a sample is made from: the review's workflow, calendar, stage and timing, who
    acts and when, and ``text``, which stands for everything a user types (empty in a
    preview, where the stand-ins show alone)."""

    definition: Definition
    calendar: WorkingCalendar
    timing: StageTiming
    stage: str
    coordinator: str
    actor: str
    now: datetime
    text: str = ""

    def typed(self, stand_in: str) -> str:
        """What someone would have typed here: ``(the place)``, after ``text`` if given."""
        return f"{self.text} ({stand_in})" if self.text else f"({stand_in})"

    @property
    def at(self) -> str:
        """When it happened, as an ISO instant in UTC (as events record it)."""
        return self.now.astimezone(UTC).isoformat()

    @property
    def target(self) -> date:
        """The stage's due date, or today for a stage without one."""
        return self.timing.target or self.timing.today


Sample = Callable[[Basis], dict[str, Any]]


@dataclass(frozen=True)
class Disclosure:
    """What a recipient is told of a kind's papers.

    ``papers``: the kind carries papers, and each recipient gets only those their role may
    see. ``withheld``: the (section, key) fields emptied for a recipient who may see none of
    them (a proposal's title says what its paper is about).
    """

    papers: bool = False
    withheld: tuple[tuple[str, str], ...] = ()

    def apply(
        self,
        context: Mapping[str, Any],
        papers: Sequence[Mapping[str, Any]],
        allowed: frozenset[str],
    ) -> dict[str, Any]:
        """``context`` for a recipient who may see the disclosure levels ``allowed``."""
        if papers and not self.papers:
            raise ValueError("papers given for a kind that carries none")
        visible = [dict(p) for p in papers if p["disclosure"] in allowed]
        found = {**context, "papers": visible, "attachments": [p["id"] for p in visible]}
        if papers and not visible:
            for section, key in self.withheld:
                found[section] = {**found[section], key: None}
        return found


NO_PAPERS: Final = Disclosure()
PAPERS: Final = Disclosure(papers=True)


@dataclass(frozen=True)
class NoticeKind:
    """One kind of notice or reminder (see the module docstring)."""

    name: str
    sample: Sample
    disclosure: Disclosure
    caused_by: str | None = None  # the audit action whose event queues it
    stage_dates: bool = True  # its context carries the stage's dates (an action's are its own)

    @property
    def templates(self) -> tuple[str, str]:
        """Its text template (which sets the subject) and its HTML template."""
        return f"{self.name}.txt.j2", f"{self.name}.html.j2"

    def sample_papers(self, basis: Basis) -> list[dict[str, Any]]:
        """The papers its sample carries: one restricted paper, if it carries any."""
        if not self.disclosure.papers:
            return []
        paper = {"id": 3, "title": basis.typed("a paper"), "file_name": "options.pdf"}
        return [{**paper, "disclosure": "restricted"}]


REGISTRY: Final[dict[str, NoticeKind]] = {}


def register(kind: NoticeKind) -> NoticeKind:
    """Add a kind; its name is a lower-case identifier, since it names its templates."""
    if not kind.name.isidentifier() or kind.name != kind.name.lower():
        raise ValueError(f"a notice kind is named by a lower-case identifier, not {kind.name!r}")
    if kind.name in REGISTRY:
        raise ValueError(f"notice kind {kind.name!r} is registered already")
    REGISTRY[kind.name] = kind
    return kind


def names() -> tuple[str, ...]:
    """Every registered kind, in the order registered."""
    return tuple(REGISTRY)


def get(name: str) -> NoticeKind:
    """The kind called ``name``; an ``InputError`` lists the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InputError(f"unknown notice kind {name!r} (known: {', '.join(REGISTRY)})") from None


def for_action(action: str) -> str | None:
    """The kind an audited review action causes, if any."""
    return next((k.name for k in REGISTRY.values() if k.caused_by == action), None)


def stage_entry(definition: Definition, name: str | None) -> dict[str, str] | None:
    """A stage as templates see it: its name and title."""
    if name is None:
        return None
    title = definition.stage(name).title if definition.has_stage(name) else name.capitalize()
    return {"name": name, "title": title}


# --- lifecycle notices ---------------------------------------------------------------------


def _live(basis: Basis) -> str:
    """The review's stage if it is open, else the workflow's first: a preview for a closed
    or abandoned review shows a change an open one makes, not "from Closed to Closed"."""
    listed = [s.name for s in basis.definition.stages if not s.final]
    return basis.stage if basis.stage in listed else listed[0]


def _last_live(basis: Basis) -> str:
    """The stage a review closes from (monitor, in the bundled workflow)."""
    return [s.name for s in basis.definition.stages if not s.final][-1]


def _advance(basis: Basis) -> tuple[str, str]:
    """The advance the review would make next (from an open stage to the one after it)."""
    stage = _live(basis)
    return stage, basis.definition.stage(stage).next or _final(basis)


def _return(basis: Basis) -> tuple[str, str]:
    """A return to the review's stage from the one after it (to the first, from the last)."""
    listed = [s.name for s in basis.definition.stages if not s.final]
    stage = _live(basis)
    at = listed.index(stage)
    return (listed[at + 1], stage) if at + 1 < len(listed) else (stage, listed[0])


def _final(basis: Basis) -> str:
    """The workflow's final stage (``closed`` in the bundled one)."""
    return next((s.name for s in basis.definition.stages if s.final), "closed")


Moves = Callable[[Basis], tuple[str | None, str]]


def _lifecycle(moves: Moves, *, reason: bool = True, overridden: bool = False) -> Sample:
    """A review action's notice: the stages it moved between, why, who and when."""

    def sample(basis: Basis) -> dict[str, Any]:
        before, after = moves(basis)
        return {
            "from_stage": stage_entry(basis.definition, before),
            "to_stage": stage_entry(basis.definition, after),
            "reason": basis.typed("the reason given") if reason else None,
            "overridden": overridden,
            "actor": basis.actor,
            "at": basis.at,
            "event_seq": 0,
        }

    return sample


register(
    NoticeKind(
        "review_opened",
        _lifecycle(lambda b: (None, _live(b)), reason=False),
        NO_PAPERS,
        caused_by="review.created",
    )
)
register(
    NoticeKind(
        "stage_changed",
        _lifecycle(_advance, overridden=True),
        NO_PAPERS,
        caused_by="review.advanced",
    )
)
register(
    NoticeKind(
        "review_returned",
        _lifecycle(_return),
        NO_PAPERS,
        caused_by="review.returned",
    )
)
register(
    NoticeKind(
        "review_suspended",
        _lifecycle(lambda b: (_live(b), _live(b))),
        NO_PAPERS,
        caused_by="review.suspended",
    )
)
register(
    NoticeKind(
        "review_resumed",
        _lifecycle(lambda b: (_live(b), _live(b))),
        NO_PAPERS,
        caused_by="review.resumed",
    )
)
register(
    NoticeKind(
        "review_abandoned",
        _lifecycle(lambda b: (_live(b), "abandoned")),
        NO_PAPERS,
        caused_by="review.abandoned",
    )
)
register(
    NoticeKind(
        CLOSED_NOTICE, _lifecycle(lambda b: (_last_live(b), _final(b)), overridden=True), NO_PAPERS
    )
)

# --- reminders of a stage's dates ----------------------------------------------------------


def _reminder(due: Callable[[Basis], tuple[date, dict[str, Any]]]) -> Sample:
    """A stage reminder: the day it was due, its details, the days run and required."""

    def sample(basis: Basis) -> dict[str, Any]:
        due_on, details = due(basis)
        return {
            "due_on": due_on.isoformat(),
            "details": details,
            "clear_days": basis.timing.clear_days,
            "min_days": basis.timing.min_days,
        }

    return sample


def _period_ends(basis: Basis) -> tuple[date, dict[str, Any]]:
    earliest = basis.timing.earliest or basis.timing.today
    ends_on = earliest - timedelta(days=1)
    details = {"ends_on": ends_on.isoformat(), "earliest": earliest.isoformat()}
    return working_days_before(basis.calendar, ends_on, 2), details


def _overdue(basis: Basis, due: date) -> date:
    return next(basis.calendar.counting_days(due))


def _due_soon(basis: Basis) -> tuple[date, dict[str, Any]]:
    return working_days_before(basis.calendar, basis.target, 5), {"days": 5}


def _due_today(basis: Basis) -> tuple[date, dict[str, Any]]:
    return basis.target, {}


def _stage_overdue(basis: Basis) -> tuple[date, dict[str, Any]]:
    return _overdue(basis, basis.target), {"days_overdue": 1}


register(NoticeKind("reminder_due_soon", _reminder(_due_soon), NO_PAPERS))
register(NoticeKind("reminder_due_today", _reminder(_due_today), NO_PAPERS))
register(NoticeKind("reminder_overdue", _reminder(_stage_overdue), NO_PAPERS))
register(NoticeKind("reminder_period_ends", _reminder(_period_ends), NO_PAPERS))

# --- meetings ------------------------------------------------------------------------------


def _meeting(sequence: int, status: str = "scheduled") -> Sample:
    """A working-party meeting: called (0), moved (1) or cancelled (2)."""

    def sample(basis: Basis) -> dict[str, Any]:
        nation = basis.calendar.nation
        rule = rule_for("working_party", nation, basis.definition.involvement.notice_days(nation))
        starts = (basis.now + timedelta(days=14)).astimezone(LONDON)
        meeting = {
            "id": 1,
            "uid": "sample@bvflow",
            "sequence": sequence,
            "title": basis.typed("the meeting"),
            "place": basis.typed("the place"),
            "starts_at": starts.replace(hour=18, minute=0, second=0, microsecond=0).isoformat(),
            "minutes": 120,
            "status": status,
            "kind": "working_party",
            "kind_title": MEETING_KINDS["working_party"],
            "notice_days": rule.days,
            "notice": rule.describe(),
            "notice_label": rule.label,
            "override_reason": basis.typed("why the notice is short") if sequence else None,
        }
        reason = basis.typed("the reason given") if sequence else None
        return {"meeting": meeting, "reason": reason, "at": basis.at}

    return sample


register(NoticeKind("meeting_notice", _meeting(0), PAPERS))
register(NoticeKind("meeting_updated", _meeting(1), PAPERS))
register(NoticeKind("meeting_cancelled", _meeting(2, "cancelled"), NO_PAPERS))

# --- proposals -----------------------------------------------------------------------------


def _proposal(basis: Basis) -> dict[str, Any]:
    views_by = basis.calendar.nth_counting_day(basis.timing.today, 10)
    proposal = {"id": 1, "title": basis.typed("the proposal"), "discussion_days": 10}
    return {"proposal": {**proposal, "views_by": views_by.isoformat()}, "at": basis.at}


register(
    NoticeKind(
        "proposal_circulated",
        _proposal,
        # A recipient who may not see the paper is not told what it proposes either.
        Disclosure(papers=True, withheld=(("proposal", "title"),)),
    )
)

# --- the welcome ---------------------------------------------------------------------------


def welcome_stages(definition: Definition, current: str) -> list[dict[str, Any]]:
    """Each stage a newcomer is told of: its title, description and periods."""
    return [
        {
            "name": stage.name,
            "title": stage.title,
            "description": stage.description,
            "min_days": stage.min_working_days,
            "target_days": stage.target_working_days,
            "current": stage.name == current,
        }
        for stage in definition.stages
        if not stage.final
    ]


def welcome_agreements(definition: Definition) -> list[dict[str, str]]:
    """What the working party will be asked to agree, each item once, with its stage."""
    found: list[dict[str, str]] = []
    for stage in definition.stages:
        for requirement in stage.guards:
            if not isinstance(requirement, AgreementRequirement):
                continue
            for item in requirement.items:
                if all(a["item"] != item for a in found):
                    title = AGREEMENT_ITEMS.get(item, item)
                    found.append({"item": item, "title": title, "stage": stage.title})
    return found


def _welcome(basis: Basis) -> dict[str, Any]:
    categories = basis.definition.involvement.categories
    category = next(iter(categories), "users")
    meeting = _meeting(0)(basis)["meeting"]
    return {
        "member": {
            "name": basis.typed("the member"),
            "organisation": basis.typed("their organisation"),
            "category": category,
            "category_title": categories.get(category, category),
            "role": "member",
            "role_meaning": ROLE_MEANINGS["member"],
        },
        "stages": welcome_stages(basis.definition, basis.stage),
        "agreements": welcome_agreements(basis.definition),
        "meetings": [{k: meeting[k] for k in ("title", "starts_at", "place", "kind_title")}],
        "at": basis.at,
    }


register(NoticeKind("party_welcome", _welcome, NO_PAPERS))

# --- improvement-plan actions --------------------------------------------------------------


def _plan_action(overdue: bool) -> Sample:
    """An improvement-plan action's reminder: before its due date, or after it."""

    def sample(basis: Basis) -> dict[str, Any]:
        due = basis.calendar.nth_counting_day(basis.timing.today, 10)
        if overdue:
            due_on, details = _overdue(basis, due), {"days_overdue": 1}
        else:
            due_on, details = working_days_before(basis.calendar, due, 5), {"days": 5}
        action = {
            "id": 1,
            "title": basis.typed("the action"),
            "owner": basis.coordinator,
            "due": due.isoformat(),
            "indicator": basis.typed("an indicator"),
            "status": "planned",
        }
        return {"due_on": due_on.isoformat(), "details": details, "action": action}

    return sample


register(NoticeKind("action_due_soon", _plan_action(False), NO_PAPERS, stage_dates=False))
register(NoticeKind("action_overdue", _plan_action(True), NO_PAPERS, stage_dates=False))

# --- the annual performance plan -----------------------------------------------------------


def _plan_due(basis: Basis) -> dict[str, Any]:
    """A reminder to the performance officer before the plan's deadline (no review)."""
    year = basis.timing.today.year + 1
    return {
        "review": None,
        "stage": None,
        "due_on": basis.timing.today.isoformat(),
        "details": {"days": 20},
        "plan": {"year": year, "due": date(year, 6, 30).isoformat(),
                 "reported": f"{year - 1}-{year % 100:02d}"},
    }


register(NoticeKind("plan_due", _plan_due, NO_PAPERS, stage_dates=False))
