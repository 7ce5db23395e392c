"""The public notice of a committee, cabinet or council meeting, counted from publication.

The access-to-information rules (Part VA of the Local Government Act 1972, inserted by the
Local Government (Access to Information) Act 1985) make a meeting's time and place, its
agenda and the reports for it public a number of clear days ahead. England: public notice
(s.100A(6)(a)) and the agenda and reports open to inspection (s.100B(3)) five clear days
before, by SI 2002/715. Wales: the notice published electronically (s.100A(6)(aa)) and the
agenda and reports published electronically (s.100BA(1) and (3)) three clear days before,
"or, if the meeting is convened at shorter notice, then at the time it is convened";
electronic publication is publication on the council's website (s.270(1A)); all inserted by
the Local Government and Elections (Wales) Act 2021 Sch 4 Part 1. Scotland: Local Government
(Scotland) Act 1973 ss.50A and 50B; Northern Ireland: Local Government Act (Northern
Ireland) 2014 Sch 5.

When the council publishes with ``bvflow publish``, that notice runs from the moment the
site first carried the meeting at its time and every public paper for it: the latest of
those first publications. Clear days are counted as the meeting's rule counts them
(bvflow.domain.notice), excluding the day of publication and the day of the meeting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bvflow.domain.calendar import WorkingCalendar
from bvflow.domain.dates import long_date
from bvflow.domain.notice import NoticeRule


@dataclass(frozen=True)
class PublicNotice:
    """How much public notice a statutory meeting had from its publication."""

    needed: int
    unit: str
    citation: str
    published_on: date | None  # the day the notice and its last public paper were out
    clear_days: int | None
    short: bool
    judged: bool  # False: bvflow was not yet publishing for the council before the meeting

    def describe(self) -> str:
        """One sentence a member of the public (or an inspector) can read."""
        if not self.judged:
            return "not published with bvflow (the council was not yet publishing with it)"
        if self.published_on is None or self.clear_days is None:
            verdict = "short notice: " if self.short else ""
            return (
                f"{verdict}the agenda and papers are not published yet; they need "
                f"{self.needed} {self.unit} ({self.citation})"
            )
        verdict = "short notice: " if self.short else ""
        return (
            f"{verdict}agenda and papers published {long_date(self.published_on)}, "
            f"{self.clear_days} of the {self.needed} {self.unit} needed ({self.citation})"
        )


def public_notice(
    rule: NoticeRule,
    calendar: WorkingCalendar,
    meeting_on: date,
    today: date,
    notice_on: date | None,
    papers_on: Sequence[date | None],
    judged: bool,
) -> PublicNotice:
    """The public notice a meeting on ``meeting_on`` had: from the later of its notice's and
    its public papers' first publication (None: not published). Not published yet is short
    once publishing today would be too late."""
    days = [notice_on, *papers_on]
    published = None if any(d is None for d in days) else max(d for d in days if d)
    if published is None:
        given = None
        short = judged and rule.given(calendar, today, meeting_on) < rule.days
    else:
        given = rule.given(calendar, published, meeting_on)
        short = given < rule.days
    return PublicNotice(
        rule.days, rule.unit, rule.citation, published, given, short, judged
    )
