"""Requirement kinds: what must hold before a stage may be left.

Each kind is a small class registered under the key used in a workflow file's ``requires``
list. A later capability adds a kind by defining a class and decorating it with
``@requirement_kind("name")``; the definition loader and the guards pick it up from the
registry. ``timetable`` is built in: every stage with ``min_working_days`` gets one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, Protocol

from bvflow.domain.dates import long_date as _long_date
from bvflow.errors import Unmet

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class MeetingFact:
    """A meeting of the current stage entry, with whoever got short notice of it."""

    id: int
    title: str
    kind: str
    on: date
    held: bool  # recorded as held (bvflow meeting record): attendance, apologies, minutes
    notice: str  # the rule, described with its citation
    short: tuple[str, ...] = ()  # "Name (email): 3 of 5", or "...: not yet delivered"
    accepted: str | None = None  # the coordinator's reason for accepting short notice
    past: bool = False  # its start time has passed (held or not, it can now be recorded)


@dataclass(frozen=True)
class StageFacts:
    """What is known about a review in its current stage, as the guards need it."""

    review: str
    stage: str
    today: date
    clear_days: int
    earliest: date | None
    suspended: bool = False
    # The first working day on or after ``earliest`` (the day people can act on).
    earliest_working: date | None = None
    evidence_kinds: frozenset[str] = field(default_factory=frozenset)
    overrides: frozenset[str] = field(default_factory=frozenset)
    # Involvement in this stage: category -> the distinct methods it was involved by.
    involved: Mapping[str, frozenset[str]] = field(default_factory=dict)
    agreed: frozenset[str] = field(default_factory=frozenset)
    # Proposals circulated in this stage: (title, clear working days of discussion since it
    # reached every member, the members it has not reached yet).
    proposals: tuple[tuple[str, int, tuple[str, ...]], ...] = ()
    meetings: tuple[MeetingFact, ...] = ()
    # Indicators with at least one comparator figure; the options appraisal; the plan.
    benchmarked: int = 0
    options: int = 0
    options_unscored: tuple[str, ...] = ()
    option_chosen: bool = False
    actions: int = 0
    targets_without_action: tuple[str, ...] = ()


class Requirement(Protocol):
    """A condition on leaving a stage."""

    kind: ClassVar[str]

    def describe(self) -> str:
        """One line for ``workflow show``."""
        ...

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        """Every unmet condition, each with what would meet it; empty when satisfied."""
        ...

    def as_data(self) -> dict[str, object]:
        """The requirement as it would be written in a workflow file."""
        ...


RequirementParser = Callable[[object], Requirement]
_REGISTRY: dict[str, RequirementParser] = {}


def requirement_kind(name: str) -> Callable[[RequirementParser], RequirementParser]:
    """Register a parser that turns a workflow file's value into a requirement."""

    def register(parser: RequirementParser) -> RequirementParser:
        _REGISTRY[name] = parser
        return parser

    return register


def requirement_kinds() -> list[str]:
    """The registered kinds, sorted."""
    return sorted(_REGISTRY)


def parse_requirement(kind: str, value: object) -> Requirement:
    """Build a requirement; raises ``ValueError`` with a user-facing message."""
    parser = _REGISTRY.get(kind)
    if parser is None:
        listable = [k for k in requirement_kinds() if k != "timetable"]
        raise ValueError(
            f"unknown requirement kind {kind!r} (known: {', '.join(listable)}; "
            "the timetable comes from min_working_days)"
        )
    return parser(value)




@dataclass(frozen=True)
class TimetableRequirement:
    """The stage has run for its minimum discussion period in clear working days."""

    min_working_days: int
    kind: ClassVar[str] = "timetable"

    def describe(self) -> str:
        return f"timetable: at least {self.min_working_days} clear working days of discussion"

    def as_data(self) -> dict[str, object]:
        return {"timetable": self.min_working_days}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        if "timetable" in facts.overrides or facts.clear_days >= self.min_working_days:
            return []
        ran = f"{facts.clear_days} of {self.min_working_days} clear working days"
        if facts.suspended or facts.earliest is None:
            remedy = "resume the review; suspended days do not count"
        else:
            working = facts.earliest_working or facts.earliest
            complete = (
                f" (the period is complete from {_long_date(facts.earliest)}, not a working day)"
                if working != facts.earliest
                else ""
            )
            remedy = (
                f"wait until {_long_date(working)}{complete}, or override the timetable "
                "with --override-timetable --reason"
            )
        return [Unmet("timetable", f"the discussion period has run {ran}", remedy)]


@dataclass(frozen=True)
class EvidenceRequirement:
    """Evidence of a named kind has been recorded for the review in this stage."""

    evidence_kind: str
    kind: ClassVar[str] = "evidence"

    def describe(self) -> str:
        return f"evidence: {self.evidence_kind}"

    def as_data(self) -> dict[str, object]:
        return {"evidence": self.evidence_kind}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        if self.evidence_kind in facts.evidence_kinds:
            return []
        return [
            Unmet(
                "evidence",
                f"no {self.evidence_kind} evidence has been recorded in stage {facts.stage}",
                f"bvflow evidence add {facts.review} --kind {self.evidence_kind} --title ...",
            )
        ]


@requirement_kind("evidence")
def _parse_evidence(value: object) -> Requirement:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise ValueError(
            f"evidence kind must be a lower-case identifier like scope_statement, not {value!r}"
        )
    return EvidenceRequirement(value)


@requirement_kind("timetable")
def _parse_timetable(value: object) -> Requirement:
    raise ValueError("the timetable requirement is set by the stage's min_working_days")


def _names(value: object, what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if (
        not isinstance(items, list)
        or not items
        or not all(isinstance(i, str) and IDENTIFIER.match(i) for i in items)
    ):
        raise ValueError(f"{what} must be a lower-case identifier or a list of them")
    return tuple(items)


@dataclass(frozen=True)
class InvolvementRequirement:
    """Each category has been involved in this stage by at least ``methods`` distinct methods."""

    categories: tuple[str, ...]
    methods: int = 1
    kind: ClassVar[str] = "involvement"

    def describe(self) -> str:
        by = f" by {self.methods} methods each" if self.methods > 1 else ""
        return f"involvement: {', '.join(self.categories)}{by}"

    def as_data(self) -> dict[str, object]:
        return {"involvement": {"categories": list(self.categories), "methods": self.methods}}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        found = []
        for category in self.categories:
            used = len(facts.involved.get(category, frozenset()))
            if used < self.methods:
                found.append(
                    Unmet(
                        "involvement",
                        f"{category} involved by {used} of {self.methods} method"
                        f"{'s' if self.methods != 1 else ''} in stage {facts.stage}",
                        f"bvflow activity add {facts.review} --method ... --on DATE "
                        f"--category {category}",
                    )
                )
        return found


@requirement_kind("involvement")
def _parse_involvement(value: object) -> Requirement:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"categories", "methods"})
        if unknown:
            raise ValueError(f"involvement: unknown key {unknown[0]!r}")
        methods = value.get("methods", 1)
        if isinstance(methods, bool) or not isinstance(methods, int) or not 1 <= methods <= 11:
            raise ValueError("involvement.methods must be a whole number from 1 to 11")
        return InvolvementRequirement(
            _names(value.get("categories"), "involvement.categories"), methods
        )
    return InvolvementRequirement(_names(value, "involvement"))


@dataclass(frozen=True)
class AgreementRequirement:
    """These items have been recorded as agreed in this stage."""

    items: tuple[str, ...]
    kind: ClassVar[str] = "agreement"

    def describe(self) -> str:
        return f"agreement: {', '.join(self.items)}"

    def as_data(self) -> dict[str, object]:
        return {"agreement": list(self.items)}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        return [
            Unmet(
                "agreement",
                f"no agreement on {item} has been recorded in stage {facts.stage}",
                f"bvflow agreement record {facts.review} --item {item} --agreed-by ORG",
            )
            for item in self.items
            if item not in facts.agreed
        ]


@requirement_kind("agreement")
def _parse_agreement(value: object) -> Requirement:
    from bvflow.domain.involvement import AGREEMENT_ITEMS

    items = _names(value, "agreement")
    unknown = [i for i in items if i not in AGREEMENT_ITEMS]
    if unknown:
        raise ValueError(
            f"unknown agreement item {unknown[0]!r} (known: {', '.join(AGREEMENT_ITEMS)})"
        )
    return AgreementRequirement(items)


@dataclass(frozen=True)
class ProposalRequirement:
    """A proposal was circulated in this stage and each has had its discussion period,
    counted from when its papers reached the last member."""

    days: int
    kind: ClassVar[str] = "proposal"

    def describe(self) -> str:
        return f"proposal: delivered, then {self.days} clear working days of discussion"

    def as_data(self) -> dict[str, object]:
        return {"proposal": self.days}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        if not facts.proposals:
            return [
                Unmet(
                    "proposal",
                    f"no proposal has been circulated in stage {facts.stage}",
                    f"bvflow proposal circulate {facts.review} --title ... --file PATH",
                )
            ]
        found = []
        for title, ran, waiting in facts.proposals:
            if waiting:
                found.append(
                    Unmet(
                        "proposal",
                        f"proposal '{title}' has not reached {'; '.join(waiting)}: its "
                        f"{self.days} clear working days start when it reaches every member",
                        "run bvflow sweep to deliver it; if delivery failed, correct the "
                        "address (bvflow party update) and bvflow outbox retry",
                    )
                )
            elif ran < self.days:
                found.append(
                    Unmet(
                        "proposal",
                        f"proposal '{title}' has had {ran} of {self.days} clear working days "
                        "of discussion since it reached every member",
                        "wait for its discussion period to run (suspended days do not count)",
                    )
                )
        return found


@requirement_kind("proposal")
def _parse_proposal(value: object) -> Requirement:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 250:
        raise ValueError("proposal must be the discussion period in clear working days (0-250)")
    return ProposalRequirement(value)


def _kinds_text(kinds: tuple[str, ...]) -> str:
    names = [k.replace("_", "-") for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True)
class MeetingRequirement:
    """Meetings of the given kinds were held in this stage, every member having had the
    notice the kind needs (lawful for committee, cabinet and council; agreed otherwise), or
    the coordinator having accepted the short notice with a reason."""

    count: int = 1
    kinds: tuple[str, ...] = ("working_party",)
    kind: ClassVar[str] = "meeting"

    def _noun(self) -> str:
        plural = "s" if self.count != 1 else ""
        return f"{_kinds_text(self.kinds)} meeting{plural}"

    def describe(self) -> str:
        label = "lawful" if set(self.kinds) <= {"committee", "cabinet", "council"} else "full"
        return f"meeting: {self.count} {self._noun()} held with {label} notice"

    def as_data(self) -> dict[str, object]:
        if self.kinds == ("working_party",):
            return {"meeting": self.count}
        return {"meeting": {"count": self.count, "kinds": list(self.kinds)}}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        mine = [m for m in facts.meetings if m.kind in self.kinds and m.held]
        found = [
            Unmet(
                "meeting",
                f"meeting {m.id} '{m.title}' on {_long_date(m.on)} was held on "
                f"short notice; it needs {m.notice}. Short: {'; '.join(m.short)}",
                f"bvflow meeting accept-notice {facts.review} {m.id} --reason ...",
            )
            for m in mine
            if m.short and not m.accepted
        ]
        counted = sum(1 for m in mine if not m.short or m.accepted)
        if counted + len(found) < self.count:
            coming = [m for m in facts.meetings if m.kind in self.kinds and not m.held]
            if coming and coming[0].past:
                remedy = (
                    f"record meeting {coming[0].id} of {_long_date(coming[0].on)} once held: "
                    f"bvflow meeting record {facts.review} {coming[0].id} --attended ORG ..."
                )
            elif coming:
                remedy = (
                    f"wait for meeting {coming[0].id} on {_long_date(coming[0].on)} to be "
                    f"held, then record it (bvflow meeting record {facts.review} "
                    f"{coming[0].id} --attended ORG ...)"
                )
            else:
                remedy = (
                    f"bvflow meeting schedule {facts.review} --kind {self.kinds[0]} --title "
                    "... --at DATETIME --place ..."
                )
            found.append(
                Unmet(
                    "meeting",
                    f"{counted} of {self.count} {self._noun()} held with full notice in "
                    f"stage {facts.stage}",
                    remedy,
                )
            )
        return found


@requirement_kind("meeting")
def _parse_meeting(value: object) -> Requirement:
    from bvflow.domain.notice import MEETING_KINDS

    problem = (
        "meeting must be true, the number of meetings (1-50), or {count: N, kinds: [...]} "
        f"with kinds from {', '.join(MEETING_KINDS)}"
    )
    kinds: tuple[str, ...] = ("working_party",)
    if isinstance(value, Mapping):
        listed = value.get("kinds", ["working_party"])
        if (
            set(value) - {"count", "kinds"}
            or not isinstance(listed, list)
            or not listed
            or not all(isinstance(k, str) and k in MEETING_KINDS for k in listed)
            or len(set(listed)) != len(listed)
        ):
            raise ValueError(problem)
        kinds = tuple(listed)
        value = value.get("count", 1)
        if value is True:  # `count: true` is not a number of meetings
            raise ValueError(problem)
    if value is True:
        return MeetingRequirement(1, kinds)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 50:
        raise ValueError(problem)
    return MeetingRequirement(value, kinds)


@dataclass(frozen=True)
class IndicatorsRequirement:
    """At least ``count`` indicators have benchmark figures from comparators."""

    count: int
    kind: ClassVar[str] = "indicators"

    def describe(self) -> str:
        return f"indicators: at least {self.count} with benchmark figures"

    def as_data(self) -> dict[str, object]:
        return {"indicators": self.count}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        if facts.benchmarked >= self.count:
            return []
        return [
            Unmet(
                "indicators",
                f"{facts.benchmarked} of {self.count} indicators have benchmark figures",
                f"bvflow pi add {facts.review} ... and bvflow pi import {facts.review} FILE.csv",
            )
        ]


@requirement_kind("indicators")
def _parse_indicators(value: object) -> Requirement:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 500:
        raise ValueError("indicators must be the number of benchmarked indicators (1-500)")
    return IndicatorsRequirement(value)


@dataclass(frozen=True)
class OptionsRequirement:
    """An appraisal of at least two options, each scored on every criterion, one chosen."""

    kind: ClassVar[str] = "options"

    def describe(self) -> str:
        return "options: at least two options scored on every criterion, one chosen"

    def as_data(self) -> dict[str, object]:
        return {"options": True}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        found = []
        if facts.options < 2:
            found.append(
                Unmet(
                    "options",
                    f"{facts.options} of at least 2 options appraised",
                    f"bvflow option add {facts.review} NAME",
                )
            )
        for name in facts.options_unscored:
            found.append(
                Unmet(
                    "options",
                    f"option '{name}' is not scored on every criterion",
                    f"bvflow option score {facts.review} '{name}' CRITERION SCORE",
                )
            )
        if not facts.option_chosen:
            found.append(
                Unmet(
                    "options",
                    "no option has been chosen",
                    f"bvflow option choose {facts.review} NAME --rationale ...",
                )
            )
        return found


@requirement_kind("options")
def _parse_options(value: object) -> Requirement:
    if value is not True:
        raise ValueError("options must be true")
    return OptionsRequirement()


@dataclass(frozen=True)
class ImprovementPlanRequirement:
    """An improvement plan: actions with owners and dates, one for every indicator target."""

    kind: ClassVar[str] = "improvement_plan"

    def describe(self) -> str:
        return "improvement_plan: actions with owner and date, one per indicator with a target"

    def as_data(self) -> dict[str, object]:
        return {"improvement_plan": True}

    def unmet(self, facts: StageFacts) -> list[Unmet]:
        found = []
        if facts.actions == 0:
            found.append(
                Unmet(
                    "improvement_plan",
                    "the improvement plan has no actions",
                    f"bvflow action add {facts.review} --title ... --owner EMAIL --due DATE",
                )
            )
        for code in facts.targets_without_action:
            found.append(
                Unmet(
                    "improvement_plan",
                    f"no action serves indicator {code}'s target",
                    f"bvflow action add {facts.review} ... --indicator {code}",
                )
            )
        return found


@requirement_kind("improvement_plan")
def _parse_plan(value: object) -> Requirement:
    if value is not True:
        raise ValueError("improvement_plan must be true")
    return ImprovementPlanRequirement()
