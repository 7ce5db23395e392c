"""The calendar against an oracle that owes nothing to the product.

The truth is the published list of bank holidays in ``tests/data`` (its source is in the
file), and the reference counts below walk the days one by one with that list and
``date.weekday()``: neither calls the product's calendar. A calendar that counted weekends,
forgot a nation's holiday, or moved a substitute day fails here.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bvflow.domain.calendar import WorkingCalendar
from bvflow.domain.involvement import earliest_lawful_meeting

TABLE = Path(__file__).parent / "data" / "uk_bank_holidays_2025_2028.csv"
NATIONS = ("england", "wales", "scotland", "northern-ireland")
FIRST, LAST = date(2025, 1, 1), date(2028, 12, 31)


@cache
def published() -> dict[str, frozenset[date]]:
    lines = [line for line in TABLE.read_text().splitlines() if not line.startswith("#")]
    found: dict[str, set[date]] = {}
    for row in csv.DictReader(lines):
        found.setdefault(row["nation"], set()).add(date.fromisoformat(row["date"]))
    found["wales"] = found["england"]  # one list for England and Wales
    return {nation: frozenset(days) for nation, days in found.items()}


def working(nation: str, day: date, closures: frozenset[date] = frozenset()) -> bool:
    """The reference: Monday to Friday, not a published bank holiday, not a closure."""
    return day.weekday() < 5 and day not in published()[nation] and day not in closures


def reference_clear_days(nation: str, start: date, end: date,
                         closures: frozenset[date] = frozenset()) -> int:
    """Working days strictly between ``start`` and ``end``, counted one by one."""
    return sum(1 for i in range(1, (end - start).days)
               if working(nation, start + timedelta(days=i), closures))


def reference_nth(nation: str, after: date, n: int) -> date:
    day, seen = after, 0
    while seen < n:
        day += timedelta(days=1)
        seen += working(nation, day)
    return day


def test_the_table_has_the_published_number_of_holidays() -> None:
    counts = {n: {y: sum(1 for d in published()[n] if d.year == y) for y in range(2025, 2029)}
              for n in NATIONS}
    assert counts == {
        "england": dict.fromkeys(range(2025, 2029), 8),
        "wales": dict.fromkeys(range(2025, 2029), 8),
        "scotland": {2025: 9, 2026: 10, 2027: 9, 2028: 9},
        "northern-ireland": dict.fromkeys(range(2025, 2029), 10),
    }


@pytest.mark.parametrize("nation", NATIONS)
def test_every_day_2025_to_2028_matches_the_published_list(nation: str) -> None:
    calendar = WorkingCalendar(nation)
    wrong = [day for day in (FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1))
             if calendar.is_working_day(day) != working(nation, day)]
    assert wrong == []


@pytest.mark.parametrize(("nation", "day", "name_part"), [
    ("scotland", date(2026, 6, 15), ""),            # the World Cup holiday, proclaimed in 2026
    ("scotland", date(2027, 1, 4), "New Year"),       # 2 January on a Saturday moves to Monday
    ("scotland", date(2025, 12, 1), "Andrew"),        # St Andrew's Day on a Sunday
    ("northern-ireland", date(2026, 7, 13), "Boyne"),  # 12 July on a Sunday
    ("england", date(2027, 12, 28), "Boxing"),        # Christmas and Boxing Day both moved
], ids=["world-cup", "second-january", "st-andrew", "boyne", "boxing-day-2027"])
def test_substitute_and_proclaimed_days_are_holidays(nation: str, day: date,
                                                     name_part: str) -> None:
    calendar = WorkingCalendar(nation)
    assert not calendar.is_working_day(day)
    assert name_part in (calendar.bank_holiday(day) or "")


# Late enough that every walk below stays inside the table (at most 40 days or 25 working days).
DATES = st.dates(min_value=FIRST, max_value=date(2028, 10, 31))


@settings(max_examples=300, deadline=None)
@given(nation=st.sampled_from(NATIONS), start=DATES, length=st.integers(0, 40),
       closed=st.lists(st.integers(0, 40), max_size=4))
def test_clear_days_match_a_day_by_day_count(nation: str, start: date, length: int,
                                             closed: list[int]) -> None:
    closures = frozenset(start + timedelta(days=i) for i in closed)
    end = start + timedelta(days=length)
    calendar = WorkingCalendar(nation, closures)
    assert calendar.clear_days_between(start, end) == \
        reference_clear_days(nation, start, end, closures)


@settings(max_examples=300, deadline=None)
@given(nation=st.sampled_from(NATIONS), start=DATES, n=st.integers(0, 25))
def test_the_nth_working_day_matches_a_day_by_day_walk(nation: str, start: date,
                                                       n: int) -> None:
    assert WorkingCalendar(nation).nth_counting_day(start, n) == reference_nth(nation, start, n)


@pytest.mark.parametrize(("nation", "notice_on", "days", "earliest"), [
    # Notice on Thursday 23 December 2027: the 5 clear working days are 24, 29, 30, 31
    # December and 4 January (27 and 28 December and 3 January are substitute days).
    ("england", date(2027, 12, 23), 5, date(2028, 1, 5)),
    # Wales, 3 clear days from Thursday 25 March 2027, over Easter (26 and 29 March).
    ("wales", date(2027, 3, 25), 3, date(2027, 4, 2)),
    # Scotland from Friday 12 June 2026: the World Cup Monday does not count.
    ("scotland", date(2026, 6, 12), 3, date(2026, 6, 19)),
], ids=["england-christmas-2027", "wales-easter-2027", "scotland-world-cup-2026"])
def test_earliest_meeting_dates_worked_by_hand(nation: str, notice_on: date, days: int,
                                               earliest: date) -> None:
    """Clear days exclude the day of notice and the day of the meeting."""
    assert reference_clear_days(nation, notice_on, earliest) >= days
    assert reference_clear_days(nation, notice_on, earliest - timedelta(days=1)) < days
    assert earliest_lawful_meeting(WorkingCalendar(nation), notice_on, days) == earliest
