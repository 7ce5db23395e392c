"""The working-day calendar and the timetable: clear days, bank holidays by nation, suspension."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bvflow.domain.calendar import LONDON, WorkingCalendar, local_date
from bvflow.domain.timetable import stage_timing


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


CASES = [
    # nation, entered, minimum, earliest advance date, why
    ("england", date(2026, 12, 23), 5, date(2027, 1, 5),
     "24 Dec, 29, 30, 31 Dec, 4 Jan; Christmas, Boxing Day (observed 28th), New Year off"),
    ("scotland", date(2026, 12, 23), 5, date(2027, 1, 6),
     "Scotland also keeps 4 Jan 2027 (2 Jan New Year Holiday, observed)"),
    ("england", date(2027, 3, 24), 3, date(2027, 4, 1),
     "Good Friday 26 Mar and Easter Monday 29 Mar are bank holidays in England"),
    ("scotland", date(2027, 3, 24), 3, date(2027, 3, 31),
     "Easter Monday is not a bank holiday in Scotland"),
    ("wales", date(2027, 3, 24), 3, date(2027, 4, 1), "Wales follows England at Easter"),
    ("northern-ireland", date(2027, 3, 15), 2, date(2027, 3, 19),
     "St Patrick's Day, 17 Mar, is a bank holiday in Northern Ireland"),
    ("england", date(2027, 3, 15), 2, date(2027, 3, 18), "17 Mar is an ordinary day in England"),
    ("england", date(2027, 1, 4), 0, date(2027, 1, 4), "no minimum: the same day"),
    ("england", date(2027, 1, 8), 1, date(2027, 1, 12),
     "entered on a Friday: Monday is the one clear day, Tuesday the first it may leave"),
]


@pytest.mark.parametrize(("nation", "entered", "minimum", "earliest", "why"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_earliest_advance_date(nation: str, entered: date, minimum: int, earliest: date,
                               why: str) -> None:
    calendar = WorkingCalendar(nation)
    timing = stage_timing(calendar, at(entered), at(entered), minimum, None)
    assert timing.earliest == earliest, why
    # On the earliest date the period has run; the day before it has not.
    on_day = stage_timing(calendar, at(entered), at(earliest), minimum, None)
    assert on_day.timetable_met
    if minimum:
        day_before = stage_timing(calendar, at(entered), at(date.fromordinal(
            earliest.toordinal() - 1)), minimum, None)
        assert not day_before.timetable_met


def test_clear_days_across_christmas_differ_by_nation() -> None:
    start, end = date(2026, 12, 23), date(2027, 1, 5)
    assert WorkingCalendar("england").clear_days_between(start, end) == 5
    assert WorkingCalendar("scotland").clear_days_between(start, end) == 4


def test_bank_holidays_use_the_nation_not_the_bare_gb_list() -> None:
    easter_monday = date(2027, 3, 29)
    assert WorkingCalendar("england").bank_holiday(easter_monday) == "Easter Monday"
    assert WorkingCalendar("scotland").bank_holiday(easter_monday) is None
    assert WorkingCalendar("england").bank_holiday(date(2027, 8, 30)) is not None
    assert WorkingCalendar("scotland").bank_holiday(date(2027, 8, 2)) is not None


def test_closure_days_do_not_count() -> None:
    plain = WorkingCalendar("england")
    closed = WorkingCalendar("england", frozenset({date(2027, 1, 5)}))
    assert plain.clear_days_between(date(2027, 1, 4), date(2027, 1, 8)) == 3
    assert closed.clear_days_between(date(2027, 1, 4), date(2027, 1, 8)) == 2


def test_suspended_days_do_not_count() -> None:
    calendar = WorkingCalendar("england")
    entered = at(date(2027, 1, 4))
    suspension = (at(date(2027, 1, 6)), at(date(2027, 1, 8), 12))
    plain = stage_timing(calendar, entered, entered, 10, 20)
    paused = stage_timing(calendar, entered, at(date(2027, 1, 11)), 10, 20, [suspension])
    assert plain.earliest == date(2027, 1, 19)
    # 6, 7 and 8 January were touched by the suspension: three working days later.
    assert paused.earliest == date(2027, 1, 22)
    assert paused.clear_days == 1  # only Tuesday 5 January
    assert paused.target == date(2027, 2, 4)


def test_while_suspended_dates_are_unknown_and_never_overdue() -> None:
    calendar = WorkingCalendar("england")
    entered = at(date(2027, 1, 4))
    timing = stage_timing(calendar, entered, at(date(2027, 6, 1)), 10, 20,
                          [(at(date(2027, 1, 6)), None)])
    assert timing.suspended
    assert timing.earliest is None
    assert timing.target is None
    assert not timing.overdue
    assert timing.clear_days == 1


def test_overdue_after_the_due_date() -> None:
    calendar = WorkingCalendar("england")
    entered = at(date(2027, 1, 4))
    due = stage_timing(calendar, entered, entered, 0, 5).target
    assert due == date(2027, 1, 11)
    assert not stage_timing(calendar, entered, at(date(2027, 1, 11)), 0, 5).overdue
    assert stage_timing(calendar, entered, at(date(2027, 1, 12)), 0, 5).overdue


def test_local_date_is_london_across_the_clock_change() -> None:
    late_summer_evening = datetime(2027, 6, 1, 23, 30, tzinfo=UTC)
    assert local_date(late_summer_evening) == date(2027, 6, 2)
    winter_evening = datetime(2027, 1, 11, 23, 30, tzinfo=UTC)
    assert local_date(winter_evening) == date(2027, 1, 11)
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2027, 1, 1))


def test_unknown_nation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown nation"):
        WorkingCalendar("gb")
