"""The working-day calendar: weekends, a UK nation's bank holidays, council closure days.

The bank holidays in force are the ones stored in the database (``StoredHolidays``: put
there at ``init`` and by ``calendar refresh``, so the audit trail records every calendar a
date was computed from). Only a year outside the stored ones falls back to the ``holidays``
package, imported then.

Counting rule (see docs/counting.md): periods are *clear* working days. The day a period
starts does not count, and neither does the day on which it is tested: a stage entered on
Monday with a 2-day minimum has Tuesday and Wednesday as its two clear days and may be left
from Thursday. A day on which the review was suspended at any time does not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from bvflow.errors import InputError

LONDON: Final = ZoneInfo("Europe/London")

# holidays' GB subdivisions. The bare "GB" list omits Easter Monday and the August bank
# holiday, so a subdivision is always passed.
NATIONS: Final[dict[str, str]] = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}

# A period longer than this is certainly a typo, and bounds every loop below.
MAX_PERIOD_DAYS: Final = 2000
# Closure days beyond weekends and bank holidays, in any one year: more is a mistake (a
# review that pauses is suspended instead), and the bound keeps every period countable.
MAX_CLOSURES_PER_YEAR: Final = 60


def check_closures(days: Iterable[date]) -> None:
    """Refuse a set of closure days with more than the bound in any one year."""
    per_year: dict[int, int] = {}
    for day in days:
        per_year[day.year] = per_year.get(day.year, 0) + 1
    over = sorted(y for y, n in per_year.items() if n > MAX_CLOSURES_PER_YEAR)
    if over:
        raise InputError(
            f"{over[0]} would have {per_year[over[0]]} closure days; at most "
            f"{MAX_CLOSURES_PER_YEAR} a year are allowed (suspend a review to pause it)"
        )


def local_date(instant: datetime) -> date:
    """The Europe/London calendar date of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: instants must carry a timezone")
    return instant.astimezone(LONDON).date()


def utc(instant: datetime) -> datetime:
    """The same instant in UTC; naive values are refused."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: instants must carry a timezone")
    return instant.astimezone(UTC)


def london_instant(wall: datetime) -> datetime:
    """A time as written: aware values as they are, naive ones read as London wall-clock time.

    ``zoneinfo`` silently moves a time that does not exist (01:30 on the night the clocks go
    forward) and silently picks the first of a time that happens twice (01:30 on the night
    they go back). Both are refused here, with what to write instead.
    """
    if wall.tzinfo is not None:
        return wall
    first, second = wall.replace(tzinfo=LONDON, fold=0), wall.replace(tzinfo=LONDON, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = f"{wall:%Y-%m-%d %H:%M}"
    if first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != wall:
        raise InputError(
            f"{shown} does not exist in London: the clocks go forward an hour that night; "
            "give a time outside the missing hour"
        )
    raise InputError(
        f"{shown} happens twice in London (the clocks go back that night): write "
        f"{shown}+01:00 for the first (BST) or {shown}+00:00 for the second (GMT)"
    )


@lru_cache(maxsize=64)
def library_holidays(nation: str, year: int) -> dict[date, str]:
    """The ``holidays`` package's bank holidays of ``nation`` in ``year`` (imported on first
    use: most commands read the stored calendar and never need it)."""
    import holidays

    table = holidays.country_holidays("GB", subdiv=NATIONS[nation], years=[year])
    return {d: str(name) for d, name in table.items()}


@dataclass(frozen=True)
class StoredHolidays:
    """The bank holidays in force, as stored: the years they cover and each day's name."""

    years: frozenset[int]
    names: tuple[tuple[date, str], ...]

    @classmethod
    def of(cls, days: Mapping[date, str]) -> StoredHolidays:
        return cls(frozenset(d.year for d in days), tuple(sorted(days.items())))

    @cached_property
    def by_day(self) -> dict[date, str]:
        return dict(self.names)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days for one authority."""

    nation: str
    closures: frozenset[date] = field(default_factory=frozenset)
    # Bank holidays the council works (Scottish councils often close on local holidays
    # instead): working days despite the national calendar.
    opened: frozenset[date] = field(default_factory=frozenset)
    # The bank holidays stored in the database; None (or a year it does not cover) reads
    # the holidays package.
    stored: StoredHolidays | None = None

    def __post_init__(self) -> None:
        if self.nation not in NATIONS:
            known = ", ".join(NATIONS)
            raise ValueError(f"unknown nation {self.nation!r} (known: {known})")

    def bank_holiday(self, day: date) -> str | None:
        """The bank holiday's name on ``day`` in this nation, or None."""
        if self.stored is not None and day.year in self.stored.years:
            return self.stored.by_day.get(day)
        return library_holidays(self.nation, day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        """True unless a weekend, a council closure day, or a bank holiday of this nation the
        council has not opened."""
        if day.weekday() >= 5 or day in self.closures:
            return False
        return day in self.opened or self.bank_holiday(day) is None

    def counting_days(self, after: date, excluded: frozenset[date] = frozenset()) -> Iterator[date]:
        """Working days after ``after`` (exclusive) that are not ``excluded``, in order."""
        day = after
        for _ in range(MAX_PERIOD_DAYS * 3):
            day += timedelta(days=1)
            if day not in excluded and self.is_working_day(day):
                yield day

    def clear_days_between(
        self, start: date, end: date, excluded: frozenset[date] = frozenset()
    ) -> int:
        """Working days strictly between ``start`` and ``end``, not counting ``excluded``."""
        count = 0
        day = start + timedelta(days=1)
        while day < end:
            if day not in excluded and self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count

    def nth_counting_day(
        self, after: date, n: int, excluded: frozenset[date] = frozenset()
    ) -> date:
        """The date of the n-th counting working day after ``after`` (``after`` if n is 0)."""
        if n <= 0:
            return after
        if n > MAX_PERIOD_DAYS:
            raise ValueError(f"period of {n} working days exceeds {MAX_PERIOD_DAYS}")
        for index, day in enumerate(self.counting_days(after, excluded), start=1):
            if index == n:
                return day
        raise InputError(  # unreachable while closures are bounded (check_closures)
            f"there are not {n} working days in the {MAX_PERIOD_DAYS * 3} days after {after}"
        )


def days_touched(
    intervals: Iterable[tuple[datetime, datetime | None]], today: date
) -> frozenset[date]:
    """Every London date touched by any interval; an open interval runs through ``today``."""
    days: set[date] = set()
    for start, end in intervals:
        first = local_date(start)
        last = local_date(end) if end is not None else today
        day = first
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)
