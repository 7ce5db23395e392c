"""Requirement kinds: what must hold before a stage may be left.

Each kind is a small class registered under the key used in a workflow file's ``requires``
list. A later capability adds a kind by defining a class and decorating it with
``@requirement_kind("name")``; the definition loader and the guards pick it up from the
registry. ``timetable`` is built in: every stage with ``min_working_days`` gets one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, Protocol

from bvflow.errors import Unmet

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class StageFacts:
    """What is known about a review in its current stage, as the guards need it."""

    review: str
    stage: str
    today: date
    clear_days: int
    earliest: date | None
    suspended: bool = False
    evidence_kinds: frozenset[str] = field(default_factory=frozenset)
    overrides: frozenset[str] = field(default_factory=frozenset)


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


def _long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


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
            remedy = (
                f"wait until {_long_date(facts.earliest)}, or override the timetable "
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
