"""Notice of meetings: which rule a meeting follows, and how much notice each member got.

The committee, cabinet and full-council meetings that decide a review are governed by the
access-to-information rules of the authority's nation: their notice is *lawful notice* and
carries its citation. A working-party meeting or a public meeting is not such a meeting; its
notice is the *agreed notice* the council set in its workflow file (the seeds' "sufficient
time for full and genuine discussion").

"Clear days" exclude the day the notice is given and the day of the meeting; the Court of
Appeal read the three clear days of s.100B as working days (R v Swansea City Council, ex p.
Elitestone Ltd [1993] 46 EG 181). That reading gives more time, so it is the default; a
workflow may count calendar days instead (``involvement.statutory_clear_days``).
docs/counting.md gives the reasons and worked examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from bvflow.domain.calendar import WorkingCalendar

MEETING_KINDS: Final[dict[str, str]] = {
    "working_party": "Working-party meeting",
    "committee": "Committee meeting",
    "cabinet": "Cabinet (executive) meeting",
    "council": "Full council meeting",
    "public": "Public meeting or forum",
}
# The meetings the access-to-information rules govern; the only ones whose notice is lawful.
STATUTORY_KINDS: Final = frozenset({"committee", "cabinet", "council"})
# How clear days are counted: "working" (weekends, bank holidays and closures excluded, the
# default: it gives more time) or "calendar" (every day counts).
COUNTINGS: Final = ("working", "calendar")


@dataclass(frozen=True)
class StatutoryNotice:
    """One nation's notice rule for the meetings that decide, with where the law says it."""

    clear_days: int
    citation: str


# Checked against the legislation's text (docs/counting.md quotes the operative words and
# says where each was read).
STATUTORY_NOTICE: Final[Mapping[str, StatutoryNotice]] = {
    "england": StatutoryNotice(
        5,
        "Local Government Act 1972 ss.100A(6)(a) and 100B(3): five clear days for councils "
        "in England, by SI 2002/715 arts 2 and 3",
    ),
    "wales": StatutoryNotice(
        3,
        "Local Government Act 1972 ss.100A(6)(a) and 100BA(3): three clear days, published "
        "electronically (s.100A(6)(aa)), as amended by the Local Government and Elections "
        "(Wales) Act 2021 Sch 4",
    ),
    "scotland": StatutoryNotice(
        3,
        "Local Government (Scotland) Act 1973 ss.50A and 50B: three clear days, inserted by "
        "the Local Government (Access to Information) Act 1985",
    ),
    # "At least three days before a meeting of the council": not "clear" days, but read as
    # clear days here because that gives more time.
    "northern-ireland": StatutoryNotice(
        3, "Local Government Act (Northern Ireland) 2014 Sch 5 para 5(1): at least three days"
    ),
}
# England: an executive key decision needs its notice published 28 clear days before.
KEY_DECISION_NOTICE: Final[Mapping[str, StatutoryNotice]] = {
    "england": StatutoryNotice(
        28,
        "Local Authorities (Executive Arrangements) (Meetings and Access to Information) "
        "(England) Regulations 2012, SI 2012/2089, reg 9: key decision, 28 clear days",
    ),
}
# The agreed notice for a working-party or public meeting when the workflow sets none.
DEFAULT_AGREED_DAYS: Final = 5


@dataclass(frozen=True)
class NoticeRule:
    """The notice one meeting needs: so many clear days, counted one way, from one source."""

    days: int
    counting: str = "working"
    lawful: bool = False
    citation: str = "the council's workflow file"

    @property
    def label(self) -> str:
        return "lawful notice" if self.lawful else "agreed notice"

    @property
    def unit(self) -> str:
        return "clear working days" if self.counting == "working" else "clear days"

    def describe(self) -> str:
        """'5 clear working days (lawful notice: Local Government Act 1972 …)'."""
        return f"{self.days} {self.unit} ({self.label}: {self.citation})"

    def given(self, calendar: WorkingCalendar, notice_on: date, meeting_on: date) -> int:
        """Clear days between the day notice was given and the day of the meeting."""
        if self.counting == "calendar":
            return max((meeting_on - notice_on).days - 1, 0)
        return calendar.clear_days_between(notice_on, meeting_on)

    def earliest(self, calendar: WorkingCalendar, notice_on: date) -> date:
        """The first day the meeting may be held if notice is given on ``notice_on``."""
        if self.days <= 0:
            return notice_on
        if self.counting == "calendar":
            return notice_on + timedelta(days=self.days + 1)
        return calendar.nth_counting_day(notice_on, self.days) + timedelta(days=1)


def key_decision_allowed(kind: str, nation: str) -> bool:
    """Only an English cabinet (executive) meeting takes key decisions under reg 9."""
    return kind == "cabinet" and nation in KEY_DECISION_NOTICE


def rule_for(
    kind: str, nation: str, agreed_days: int, counting: str = "working", key_decision: bool = False
) -> NoticeRule:
    """The notice rule of a meeting of ``kind`` in ``nation``."""
    if kind not in MEETING_KINDS:
        raise ValueError(f"unknown meeting kind {kind!r} (known: {', '.join(MEETING_KINDS)})")
    if kind not in STATUTORY_KINDS:
        return NoticeRule(agreed_days, "working")
    rule = STATUTORY_NOTICE[nation]
    if key_decision and key_decision_allowed(kind, nation):
        rule = KEY_DECISION_NOTICE[nation]
    return NoticeRule(rule.clear_days, counting, True, rule.citation)
