"""The strategic plan for involvement, pure: when an entry is due, and whether what was
recorded reaches it.

The source document "Involvement in Best Value" puts "preparing strategic plan for
involvement" on the Best Value agenda: which of its categories of organisation are to be
involved, by which of its methods, and when. A plan entry is for one review (when: a stage
of it) or for the authority's year, across its programme (when: by the end of a month).
An entry is reached by a *contact*: an involvement activity of its category by one of its
methods, or a member of its category at a recorded working-party or public meeting, in its
review and stage, or anywhere in the programme in its year, by its month.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

# How a recorded meeting counts as a method of involvement, by its kind: a working-party
# meeting is the seeds' "representation on ... working parties", a public meeting their
# "public meetings or forums". Committee, cabinet and council meetings decide; they are
# not involvement.
MEETING_METHODS: Final[dict[str, str]] = {
    "working_party": "working_party",
    "public": "public_meeting",
}
MONTH: Final = re.compile(r"(\d{4})-(\d{2})")


def parse_month(value: str, year: int) -> str:
    """``YYYY-MM`` within ``year``; ``ValueError`` says what is wrong."""
    found = MONTH.fullmatch(value.strip())
    if found is None or not 1 <= int(found[2]) <= 12:
        raise ValueError(f"--by must be a month, YYYY-MM (e.g. {year}-06), not {value[:40]!r}")
    if int(found[1]) != year:
        raise ValueError(f"--by {value.strip()} is not in {year}, the year of the plan")
    return f"{found[1]}-{found[2]}"


def month_end(month: str) -> date:
    """The last day of ``YYYY-MM``."""
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, calendar.monthrange(year, number)[1])


def month_words(month: str) -> str:
    """'2027-06' as 'June 2027'."""
    year, number = month.split("-")
    return f"{calendar.month_name[int(number)]} {year}"


@dataclass(frozen=True)
class Contact:
    """One category involved once: by an activity, or at a recorded meeting."""

    review: str
    stage: str
    on: date
    category: str
    method: str
    source: str  # activity | meeting


@dataclass(frozen=True)
class Entry:
    """A plan entry as judged: its scope (a review, or the authority's year) and when."""

    review: str | None
    year: int | None
    category: str
    methods: tuple[str, ...]
    stage: str | None = None
    by_month: str | None = None

    def matches(self, contact: Contact) -> bool:
        """Does ``contact`` meet this entry (category, method, scope and time)?"""
        if contact.category != self.category or contact.method not in self.methods:
            return False
        if self.review is not None:
            return contact.review == self.review and self.stage in (None, contact.stage)
        if contact.on.year != self.year:
            return False
        return self.by_month is None or contact.on <= month_end(self.by_month)

    def reached_by(self, contacts: Iterable[Contact]) -> list[Contact]:
        return [c for c in contacts if self.matches(c)]

    def passed(self, today: date, stages_left: Sequence[str], ended: bool) -> bool:
        """Has the time for this entry gone by? A review's: its stage was left (or, with no
        stage, the review ended); the authority's: its month, or else its year, is over."""
        if self.review is not None:
            return ended or (self.stage is not None and self.stage in stages_left)
        if self.by_month is not None:
            return today > month_end(self.by_month)
        return self.year is not None and today > date(self.year, 12, 31)

    def when(self, stage_titles: dict[str, str]) -> str:
        """When, in words: 'in Consult', 'by the end of June 2027', 'during 2027'."""
        if self.stage is not None:
            return f"in {stage_titles.get(self.stage, self.stage)}"
        if self.by_month is not None:
            return f"by the end of {month_words(self.by_month)}"
        return f"during {self.year}" if self.review is None else "during the review"
