"""The calendar against an oracle that owes nothing to the product.

The truth is the published list of bank holidays in ``tests/data`` (its source is in the
file), and the reference counts below walk the days one by one with that list and
``date.weekday()``: neither calls the product's calendar. A calendar that counted weekends,
forgot a nation's holiday, or moved a substitute day fails here.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bvflow.domain.calendar import (
    LONDON,
    MAX_CLOSURES_PER_YEAR,
    MAX_PERIOD_DAYS,
    StoredHolidays,
    WorkingCalendar,
    check_closures,
    days_touched,
    local_date,
    london_instant,
    utc,
)
from bvflow.domain.notice import NoticeRule
from bvflow.errors import InputError

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
    rule = NoticeRule(days)
    assert rule.earliest(WorkingCalendar(nation), notice_on) == earliest
    assert rule.given(WorkingCalendar(nation), notice_on, earliest) >= days
    assert rule.given(WorkingCalendar(nation), notice_on, earliest - timedelta(days=1)) < days


@settings(max_examples=300, deadline=None)
@given(nation=st.sampled_from(NATIONS), start=DATES, n=st.integers(0, 40),
       counting=st.sampled_from(["working", "calendar"]))
def test_the_earliest_meeting_is_the_first_day_with_full_notice(
        nation: str, start: date, n: int, counting: str) -> None:
    """For either counting, the earliest day gives the full notice and the day before does not."""
    rule, calendar = NoticeRule(n, counting), WorkingCalendar(nation)
    earliest = rule.earliest(calendar, start)
    assert rule.given(calendar, start, earliest) >= n
    if n:
        assert rule.given(calendar, start, earliest - timedelta(days=1)) < n
    if counting == "working":
        given = rule.given(calendar, start, earliest)
        assert given == reference_clear_days(nation, start, earliest)


@pytest.mark.parametrize(("wall", "utc_hour"), [
    ("2027-03-28 00:59", 0), ("2027-03-28 02:00", 1), ("2027-10-31 00:30", 23),
    ("2027-10-31 02:00", 2), ("2027-07-01 12:00", 11), ("2027-01-01 12:00", 12),
], ids=["before-spring", "after-spring", "before-autumn", "after-autumn", "summer", "winter"])
def test_london_wall_times_around_the_clock_changes(wall: str, utc_hour: int) -> None:
    instant = london_instant(datetime.fromisoformat(wall))
    assert instant.astimezone(UTC).hour == utc_hour
    assert instant.astimezone(LONDON).replace(tzinfo=None) == datetime.fromisoformat(wall)


@pytest.mark.parametrize(("wall", "words"), [
    ("2027-03-28 01:00", "does not exist in London"), ("2027-03-28 01:59", "does not exist"),
    ("2027-10-31 01:00", "happens twice"), ("2027-10-31 01:59", "2027-10-31 01:59+01:00"),
])
def test_london_times_in_the_gap_or_the_overlap_are_refused(wall: str, words: str) -> None:
    with pytest.raises(InputError, match=re.escape(words)):
        london_instant(datetime.fromisoformat(wall))
    aware = datetime.fromisoformat(wall + "+00:00")
    assert london_instant(aware) is aware


def test_instants_must_be_aware() -> None:
    naive = datetime(2027, 1, 4, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        local_date(naive)
    with pytest.raises(ValueError, match="naive"):
        utc(naive)
    assert local_date(datetime(2027, 6, 30, 23, 30, tzinfo=UTC)) == date(2027, 7, 1)
    assert utc(datetime(2027, 6, 30, 23, 30, tzinfo=LONDON)).hour == 22
    with pytest.raises(ValueError, match="unknown nation 'cornwall'"):
        WorkingCalendar("cornwall")


def test_counting_limits() -> None:
    calendar = WorkingCalendar("england")
    start = date(2027, 1, 4)
    assert calendar.nth_counting_day(start, 0) == start
    assert calendar.nth_counting_day(start, -3) == start
    assert calendar.nth_counting_day(start, 1) == date(2027, 1, 5)
    assert calendar.nth_counting_day(start, 2000) > date(2034, 1, 1)
    with pytest.raises(ValueError, match="exceeds 2000"):
        calendar.nth_counting_day(start, 2001)
    skipped = frozenset({date(2027, 1, 5)})
    assert calendar.nth_counting_day(start, 1, skipped) == date(2027, 1, 6)
    assert next(iter(calendar.counting_days(date(2027, 1, 1)))) == date(2027, 1, 4)


def test_days_touched_by_suspensions_are_london_dates() -> None:
    """A suspension from 23:30 to 00:30 London time touches two days; an open one runs
    through today; each day is listed once."""
    late = datetime(2027, 6, 30, 22, 30, tzinfo=UTC)  # 23:30 BST on 30 June
    spans = [(late, late + timedelta(hours=1)), (late, late + timedelta(minutes=10)),
             (datetime(2027, 7, 5, 9, 0, tzinfo=LONDON), None)]
    assert days_touched(spans, date(2027, 7, 7)) == frozenset(
        {date(2027, 6, 30), date(2027, 7, 1), date(2027, 7, 5), date(2027, 7, 6),
         date(2027, 7, 7)})
    assert days_touched([], date(2027, 7, 7)) == frozenset()
    one_day = datetime(2027, 7, 2, 9, 0, tzinfo=LONDON)
    assert days_touched([(one_day, one_day + timedelta(hours=2))], date(2027, 7, 9)) == \
        frozenset({date(2027, 7, 2)})


def test_a_naive_time_marked_as_the_second_of_two_is_still_refused() -> None:
    """The fold a caller left on a naive time must not decide which of the two it was."""
    with pytest.raises(InputError, match="happens twice"):
        london_instant(datetime(2027, 10, 31, 1, 30, fold=1))
    with pytest.raises(InputError, match="give a time outside the missing hour$"):
        london_instant(datetime(2027, 3, 28, 1, 30))


def test_messages_name_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"^naive datetime: instants must carry a timezone$"):
        local_date(datetime(2027, 1, 4))
    with pytest.raises(ValueError, match=r"^naive datetime: instants must carry a timezone$"):
        utc(datetime(2027, 1, 4))
    with pytest.raises(ValueError, match=re.escape(
            "(known: england, wales, scotland, northern-ireland)")):
        WorkingCalendar("cornwall")


def test_utc_does_not_depend_on_the_hosts_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server set to another zone still stamps and converts in UTC."""
    import time

    from bvflow.domain.audit import format_instant

    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        summer = datetime(2027, 7, 1, 12, 0, tzinfo=LONDON)
        assert utc(summer).tzinfo is UTC
        assert utc(summer).hour == 11
        assert format_instant(summer) == "2027-07-01T11:00:00.000000Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_opened_holidays_work_and_closures_still_win() -> None:
    """Worked by hand for Scotland, August 2027: Mon 2 Aug is the Summer Bank Holiday."""
    plain = WorkingCalendar("scotland")
    opened = WorkingCalendar("scotland", opened=frozenset({date(2027, 8, 2)}))
    both = WorkingCalendar("scotland", frozenset({date(2027, 8, 2)}), frozenset({date(2027, 8, 2)}))
    assert plain.is_working_day(date(2027, 8, 2)) is False
    assert opened.is_working_day(date(2027, 8, 2)) is True
    assert both.is_working_day(date(2027, 8, 2)) is False  # a closure day is closed
    # Opening a weekend day changes nothing: weekends are never working days.
    assert WorkingCalendar("scotland", opened=frozenset({date(2027, 7, 31)})).is_working_day(
        date(2027, 7, 31)) is False
    # Fri 30 Jul to Wed 4 Aug: clear days Mon 2, Tue 3 (opened) against Tue 3 only.
    assert plain.clear_days_between(date(2027, 7, 30), date(2027, 8, 4)) == 1
    assert opened.clear_days_between(date(2027, 7, 30), date(2027, 8, 4)) == 2
    assert plain.nth_counting_day(date(2027, 7, 30), 1) == date(2027, 8, 3)
    assert opened.nth_counting_day(date(2027, 7, 30), 1) == date(2027, 8, 2)
    # England's calendar is not Scotland's: 2 Aug 2027 is an ordinary working day there.
    assert WorkingCalendar("england").is_working_day(date(2027, 8, 2)) is True


def test_a_stored_calendar_is_what_counts_in_the_years_it_covers() -> None:
    """The calendar in force comes from the database: in a stored year its days, not the
    package's, decide; in a year it does not cover, the published list does."""
    proclaimed, dropped = date(2027, 6, 14), date(2027, 5, 31)  # a Monday added, one removed
    days = {d: "stored" for d in published()["england"] if d.year == 2027}
    days[proclaimed] = "Proclaimed"
    days.pop(dropped)
    stored = StoredHolidays.of(days)
    assert stored.years == frozenset({2027})
    calendar = WorkingCalendar("england", stored=stored)
    assert calendar.bank_holiday(proclaimed) == "Proclaimed"
    assert not calendar.is_working_day(proclaimed)
    assert calendar.bank_holiday(dropped) is None
    assert calendar.is_working_day(dropped)
    for day in (date(2027, 1, 1), date(2027, 12, 27), date(2027, 12, 28)):
        assert calendar.bank_holiday(day) == "stored"
    # Outside 2027 the package decides, as the published list says.
    for day in (date(2026, 12, 25), date(2028, 1, 3), date(2028, 4, 17)):
        assert calendar.bank_holiday(day) is not None
        assert not calendar.is_working_day(day)
    assert calendar.is_working_day(date(2028, 6, 12))
    assert calendar.clear_days_between(date(2027, 6, 11), date(2027, 6, 16)) == 1
    assert calendar.clear_days_between(date(2027, 5, 28), date(2027, 6, 2)) == 2


def test_closure_days_are_bounded_per_year() -> None:
    """At most MAX_CLOSURES_PER_YEAR closure days in any one year, counted year by year."""
    assert MAX_CLOSURES_PER_YEAR == 60
    weekdays = [d for d in (date(2027, 1, 4) + timedelta(days=n) for n in range(400))
                if d.weekday() < 5]
    check_closures(weekdays[:60])  # sixty in 2027: allowed
    check_closures([*weekdays[:60], *(d for d in weekdays if d.year == 2028)][:120])
    with pytest.raises(InputError) as refused:
        check_closures(weekdays[:61])
    assert str(refused.value) == ("2027 would have 61 closure days; at most 60 a year are "
                                  "allowed (suspend a review to pause it)")
    spread = [date(year, 3, 1) for year in range(2027, 2100)]
    check_closures(spread)  # one a year for seventy years
    with pytest.raises(InputError, match="^2029 would have 61"):
        check_closures([*weekdays[:10], *(date(2029, 1, 1) + timedelta(days=n) for n in range(61))])


def test_a_calendar_with_no_working_days_left_fails_with_a_message() -> None:
    span = range(MAX_PERIOD_DAYS * 3 + 10)
    closed = frozenset(date(2027, 1, 1) + timedelta(days=n) for n in span)
    calendar = WorkingCalendar("england", closures=closed)
    with pytest.raises(InputError) as refused:
        calendar.nth_counting_day(date(2027, 1, 1), 5)
    assert str(refused.value) == (
        f"there are not 5 working days in the {MAX_PERIOD_DAYS * 3} days after 2027-01-01")


@settings(max_examples=300, deadline=None)
@given(nation=st.sampled_from(NATIONS), start=DATES, n=st.integers(1, 40),
       skipped=st.sets(st.integers(0, 80), max_size=12), span=st.integers(0, 120))
def test_counting_around_suspended_days_matches_a_day_by_day_walk(
        nation: str, start: date, n: int, skipped: set[int], span: int) -> None:
    """Days touched by a suspension do not count: the counts and the n-th day agree with a
    walk that skips them one by one, whatever table the calendar keeps."""
    excluded = frozenset(start + timedelta(days=k) for k in skipped)
    calendar = WorkingCalendar(nation)
    day, seen = start, 0
    while seen < n:
        day += timedelta(days=1)
        seen += working(nation, day) and day not in excluded
    assert calendar.nth_counting_day(start, n, excluded) == day
    end = min(start + timedelta(days=span), LAST)  # the published list ends with 2028
    expected = sum(1 for i in range(1, (end - start).days)
                   if working(nation, start + timedelta(days=i))
                   and start + timedelta(days=i) not in excluded)
    assert calendar.clear_days_between(start, end, excluded) == expected


def test_one_calendar_answers_backwards_and_forwards_in_time() -> None:
    """The counts are built as they are asked for, later years first or earlier ones."""
    calendar = WorkingCalendar("england")
    # 21, 22, 27, 28, 29 December 2028 and 2 January 2029 (1 January is a holiday).
    assert calendar.clear_days_between(date(2028, 12, 20), date(2029, 1, 3)) == 6
    assert calendar.clear_days_between(date(2025, 12, 19), date(2026, 1, 5)) == 7
    assert calendar.nth_counting_day(date(2028, 12, 22), 2) == date(2028, 12, 28)
    assert calendar.nth_counting_day(date(2025, 12, 23), 1) == date(2025, 12, 24)
