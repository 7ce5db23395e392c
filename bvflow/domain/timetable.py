"""A stage's timetable: clear working days run, the earliest date it may be left, its due date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from bvflow.domain.calendar import WorkingCalendar, days_touched, local_date

Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class StageTiming:
    """Where a stage stands against its timetable on ``today`` (Europe/London dates)."""

    entered_on: date
    today: date
    clear_days: int
    min_days: int
    earliest: date | None
    target: date | None
    suspended: bool
    # The first working day on or after ``earliest``: the day people can act on. The period
    # itself may be complete on a weekend or a holiday (``earliest``, kept for the record).
    earliest_working: date | None = None

    @property
    def overdue(self) -> bool:
        """True when the stage has run past its due date and is not suspended."""
        return self.target is not None and not self.suspended and self.today > self.target

    @property
    def timetable_met(self) -> bool:
        return self.clear_days >= self.min_days


def stage_timing(
    calendar: WorkingCalendar,
    entered_at: datetime,
    now: datetime,
    min_days: int,
    target_days: int | None,
    suspensions: Sequence[Interval] = (),
) -> StageTiming:
    """Count clear working days since ``entered_at``, leaving out every day touched by a suspension.

    The earliest date is the day after the ``min_days``-th counting day (the stage's own day
    and the day of the decision are not clear days); with no minimum it is the day of entry.
    While suspended, the earliest and due dates are unknown (None).
    """
    entered_on, today = local_date(entered_at), local_date(now)
    suspended = any(end is None for _, end in suspensions)
    excluded = days_touched(suspensions, today)
    return _timing_on(calendar, entered_on, today, min_days, target_days, excluded, suspended)


@lru_cache(maxsize=4096)
def _timing_on(
    calendar: WorkingCalendar,
    entered_on: date,
    today: date,
    min_days: int,
    target_days: int | None,
    excluded: frozenset[date],
    suspended: bool,
) -> StageTiming:
    """The timing from dates alone, cached: a sweep asks it of every review, and reviews that
    entered their stage on the same day, under the same calendar and timetable, share it."""
    clear = calendar.clear_days_between(entered_on, today, excluded)
    earliest: date | None = entered_on
    if min_days > 0:
        earliest = calendar.nth_counting_day(entered_on, min_days, excluded) + timedelta(days=1)
    target = None
    if target_days:
        target = calendar.nth_counting_day(entered_on, target_days, excluded)
    if suspended:
        earliest = None if min_days > 0 and clear < min_days else earliest
        target = None
    working = _first_working_day(calendar, earliest) if earliest is not None else None
    return StageTiming(entered_on, today, clear, min_days, earliest, target, suspended, working)


def _first_working_day(calendar: WorkingCalendar, day: date) -> date:
    for offset in range(60):  # the longest run of non-working days is well under this
        candidate = day + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    return day
