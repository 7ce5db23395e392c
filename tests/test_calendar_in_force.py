"""The calendar in force is data: bank holidays stored at init, refreshed and imported through
the CLI, every change audited, and the stored days (not the package) are what periods count."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from conftest import Cli, events, query, snapshot

from bvflow.domain.calendar import LONDON, library_holidays
from bvflow.services import bank_holidays


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.fixture
def glasgow(cli: Cli, travel: time_machine.Coordinates) -> Cli:
    travel.move_to(at("2027-01-04 10:00"))
    cli.ok("init", "--authority", "Glasgow City Council", "--nation", "scotland")
    return cli


def _record(cli: Cli, action: str) -> dict[str, Any]:
    (event,) = [e for e in events(cli.db) if e[2] == action]
    record: dict[str, Any] = json.loads(event[6])
    return record


def test_init_stores_the_nations_bank_holidays_in_its_event(glasgow: Cli) -> None:
    stored = query(glasgow.db, "SELECT day, name, source FROM bank_holidays ORDER BY day")
    assert stored
    years = {str(day)[:4] for day, _, _ in stored}
    assert years == {str(y) for y in range(2026, 2037)}
    assert ("2027-01-04", "New Year Holiday (observed)") in {(str(d), n) for d, n, _ in stored}
    assert all(source.startswith("holidays ") for _, _, source in stored)
    record = _record(glasgow, "authority.set")
    inserted = [c for c in record["changes"] if c["table"] == "bank_holidays"]
    assert len(inserted) == len(stored)
    assert record["payload"]["bank_holidays"] == {"stored": len(stored), "years": [2026, 2036]}
    listed = glasgow.ok("calendar", "list", "--year", "2027").stdout
    assert "New Year Holiday (observed)" in listed
    assert "bank holiday (scotland; holidays " in listed
    assert glasgow.ok("audit", "verify").stdout.startswith("intact")


def _proclaimed(nation: str, year: int) -> dict[date, str]:
    """The package after a proclamation: a new bank holiday, and one moved away."""
    days = dict(library_holidays(nation, year))
    if year == 2027:
        days[date(2027, 6, 14)] = "A proclaimed bank holiday"
        days.pop(date(2027, 8, 2), None)  # the Summer Bank Holiday, in Scotland
        days.pop(date(2027, 1, 4), None)  # already past: refresh must keep it
    return days


def test_refresh_adds_and_removes_future_days_and_periods_follow(
        glasgow: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = glasgow.ok("review", "create", "Parks", "--service", "Leisure", "--coordinator",
                     "jo@glasgow.gov.uk").stdout.strip()
    unchanged = glasgow.ok("calendar", "refresh").stdout
    assert "already match holidays " in unchanged
    assert "no change" in unchanged
    # Installing a newer package changes nothing until the council refreshes.
    monkeypatch.setattr(bank_holidays, "library_holidays", _proclaimed)
    before = json.loads(glasgow.ok("calendar", "list", "--year", "2027", "--json").stdout)
    assert "2027-06-14" not in {d["day"] for d in before}
    done = glasgow.ok("calendar", "refresh").stdout
    assert "added    Mon 14 Jun 2027  A proclaimed bank holiday" in done
    assert "removed  Mon 2 Aug 2027  Summer Bank Holiday" in done
    assert "1 added, 1 removed" in done
    assert query(glasgow.db, "SELECT name FROM bank_holidays WHERE day = '2027-01-04'") == [
        ("New Year Holiday (observed)",)]  # the past keeps the calendar it ran on
    refreshed = [json.loads(e[6])["payload"] for e in events(glasgow.db)
                 if e[2] == "calendar.refreshed"]
    assert refreshed[-1]["added"] == [{"day": "2027-06-14", "name": "A proclaimed bank holiday"}]
    assert refreshed[-1]["removed"] == [{"day": "2027-08-02", "name": "Summer Bank Holiday"}]
    # The stored day is what counts: it cannot be closed again, and it can be opened.
    refused = glasgow("calendar", "close", "2027-06-14", "--reason", "x")
    assert refused.exit_code == 1
    assert "already not a working day (A proclaimed bank holiday)" in refused.stderr
    glasgow.ok("calendar", "close", "2027-08-02", "--reason", "Fair Monday instead")
    shown = json.loads(glasgow.ok("review", "show", ref, "--json").stdout)
    assert shown["earliest_advance"] is not None
    assert glasgow.ok("audit", "verify").stdout.startswith("intact")


CSV = "date,name\n2027-07-19,Glasgow Fair Monday\n2027-07-17,A Saturday\n" \
      "2027-01-04,Already a holiday\n2026-12-31,In the past\n"
ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Glasgow//Holidays//EN\r
BEGIN:VEVENT\r
UID:fair@glasgow\r
DTSTAMP:20261201T000000Z\r
DTSTART;VALUE=DATE:20270719\r
DTEND;VALUE=DATE:20270721\r
SUMMARY:Glasgow Fair\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:sept@glasgow\r
DTSTAMP:20261201T000000Z\r
DTSTART;VALUE=DATE:20270927\r
SUMMARY:September weekend Monday\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_import_adds_local_holidays_as_closures_in_one_event(glasgow: Cli,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "local.csv"
    path.write_text(CSV)
    out = glasgow.ok("calendar", "import", str(path)).stdout
    assert "closed   Mon 19 Jul 2027  Glasgow Fair Monday" in out
    assert "skipped  Sat 17 Jul 2027  A Saturday: a weekend" in out
    assert "Already a holiday: already a bank holiday (New Year Holiday (observed))" in out
    assert "In the past: in the past" in out
    assert "1 closure day(s) added, 3 skipped" in out
    ics = tmp_path / "glasgow.ics"
    ics.write_text(ICS)
    data = json.loads(glasgow.ok("calendar", "import", str(ics), "--json").stdout)
    assert [a["day"] for a in data["added"]] == ["2027-07-20", "2027-09-27"]
    assert data["skipped"] == [{"day": "2027-07-19", "name": "Glasgow Fair",
                                "why": "already closed"}]
    closures = query(glasgow.db, "SELECT day, reason FROM closures ORDER BY day")
    assert [(str(d), r) for d, r in closures] == [
        ("2027-07-19", "Glasgow Fair Monday (imported from local.csv)"),
        ("2027-07-20", "Glasgow Fair (imported from glasgow.ics)"),
        ("2027-09-27", "September weekend Monday (imported from glasgow.ics)"),
    ]
    imported = [json.loads(e[6])["payload"] for e in events(glasgow.db)
                if e[2] == "calendar.imported"]
    assert [p["file"] for p in imported] == ["local.csv", "glasgow.ics"]
    assert len(imported[1]["file_sha256"]) == 64
    listed = glasgow.ok("calendar", "list", "--year", "2027").stdout
    assert "September weekend Monday (imported from glasgow.ics)" in listed
    assert glasgow.ok("audit", "verify").stdout.startswith("intact")


@pytest.mark.parametrize(("name", "content", "words"), [
    ("missing.csv", None, "missing.csv"),
    ("days.txt", "2027-07-19,Fair\n", "give an iCalendar (.ics) or CSV (.csv) file"),
    ("days.csv", "", "is empty"),
    ("days.csv", "day,what\n2027-07-19,Fair\n", "needs the header 'date,name'"),
    ("days.csv", "date,name\n19/07/2027,Fair\n", "line 2: '19/07/2027' is not a date"),
    ("days.csv", "date,name\n2027-07-19\n", "line 2: give a date and a name"),
    ("days.csv", "date,name\n", "has no days in it"),
    ("days.csv", b"date,name\n2027-07-19,F\xe9te\n", "must be UTF-8"),
    ("days.ics", "not a calendar", "not an iCalendar file"),
    ("days.ics", ICS.replace("DTSTART;VALUE=DATE:20270927", "DTSTART:20270927T090000"),
     "every event must be a whole day"),
    ("days.ics", ICS.replace("DTEND;VALUE=DATE:20270721", "DTEND;VALUE=DATE:20271231"),
     "lasts more than a month"),
    ("days.ics", ICS.replace("SUMMARY:Glasgow Fair\r",
                             "SUMMARY:Glasgow Fair\r\nRRULE:FREQ=YEARLY\r"),
     "'Glasgow Fair' repeats (RRULE)"),
    ("days.csv", "date,name\n" + "".join(f"2030-01-01,Day {n}\n" for n in range(1001)),
     "has 1001 days; import at most 1000"),
])
def test_bad_calendar_files_are_one_line_and_change_nothing(
        glasgow: Cli, tmp_path: Path, name: str, content: str | bytes | None,
        words: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    before = snapshot(glasgow.db)
    result = glasgow("calendar", "import", str(path))
    assert result.exit_code == 1, result.stdout
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: ")
    assert words in result.stderr
    assert snapshot(glasgow.db) == before


def test_refresh_needs_a_database(cli: Cli) -> None:
    result = cli("calendar", "refresh")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")


def test_ical_events_are_read_as_calendars_write_them(glasgow: Cli, tmp_path: Path) -> None:
    """DURATION counts, cancelled and free events are left out and listed."""
    ics = tmp_path / "events.ics"
    ics.write_text(ICS.replace("DTEND;VALUE=DATE:20270721", "DURATION:P3D")
                   .replace("SUMMARY:September weekend Monday\r",
                            "SUMMARY:September weekend Monday\r\nSTATUS:CANCELLED\r")
                   .replace("END:VCALENDAR", "BEGIN:VEVENT\r\nUID:free@g\r\nDTSTAMP:20261201T"
                            "000000Z\r\nDTSTART;VALUE=DATE:20271004\r\nSUMMARY:Staff day\r\n"
                            "TRANSP:TRANSPARENT\r\nEND:VEVENT\r\nEND:VCALENDAR"))
    out = glasgow.ok("calendar", "import", str(ics)).stdout
    assert [line.split()[1:5] for line in out.splitlines() if line.startswith("closed")] == [
        ["Mon", "19", "Jul", "2027"], ["Tue", "20", "Jul", "2027"], ["Wed", "21", "Jul", "2027"]]
    assert "left out September weekend Monday: cancelled" in out
    assert "left out Staff day: marked free, not a closure" in out
    imported = _record(glasgow, "calendar.imported")["payload"]
    assert imported["left_out"] == ["September weekend Monday: cancelled",
                                    "Staff day: marked free, not a closure"]


@pytest.mark.parametrize(("content", "words"), [
    (ICS.replace("DTEND;VALUE=DATE:20270721", "DTEND;VALUE=DATE:20270718"), "ends before it"),
    (ICS.replace("DTEND;VALUE=DATE:20270721", "DTEND;VALUE=DATE:20270719"), "ends before it"),
    (ICS.replace("SUMMARY:Glasgow Fair", "SUMMARY:Caf\xe9").encode("latin-1"), "must be UTF-8"),
    (ICS.replace("20270719", "99991230").replace("20270721", "99991231"), "outside 1990-2100"),
])
def test_broken_ical_events_are_named(glasgow: Cli, tmp_path: Path, content: str | bytes,
                                      words: str) -> None:
    path = tmp_path / "bad.ics"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    before = snapshot(glasgow.db)
    result = glasgow("calendar", "import", str(path))
    assert result.exit_code == 1
    assert words in result.stderr
    assert result.stderr.count("\n") == 1
    assert snapshot(glasgow.db) == before


@pytest.mark.parametrize("text", ["20270929", "2027-W39-3", "9999-12-31"])
def test_csv_dates_are_written_as_documented(glasgow: Cli, tmp_path: Path, text: str) -> None:
    path = tmp_path / "days.csv"
    path.write_text(f"date,name\n{text},Odd\n")
    result = glasgow("calendar", "import", str(path))
    assert result.exit_code == 1
    assert "YYYY-MM-DD" in result.stderr or "outside 1990-2100" in result.stderr


def test_closures_are_bounded_so_every_period_stays_countable(glasgow: Cli,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    holidays = library_holidays("scotland", 2028)
    weekdays = [d for d in (date(2028, 1, 5) + timedelta(days=n) for n in range(120))
                if d.weekday() < 5 and d not in holidays][:61]
    path.write_text("date,name\n" + "".join(f"{d},Closed\n" for d in weekdays))
    before = snapshot(glasgow.db)
    refused = glasgow("calendar", "import", str(path))
    assert refused.exit_code == 1
    assert "2028 would have 61 closure days; at most 60 a year" in refused.stderr
    assert snapshot(glasgow.db) == before
    path.write_text("date,name\n" + "".join(f"{d},Closed\n" for d in weekdays[:60]))
    glasgow.ok("calendar", "import", str(path))
    one_more = glasgow("calendar", "close", str(weekdays[60]), "--reason", "x")
    assert one_more.exit_code == 1
    assert "at most 60 a year" in one_more.stderr


def test_an_opened_holiday_is_not_imported_as_a_closure(glasgow: Cli, tmp_path: Path) -> None:
    glasgow.ok("calendar", "open", "2027-08-02", "--reason", "We work it")
    path = tmp_path / "days.csv"
    path.write_text("date,name\n2027-08-02,Summer\n")
    out = glasgow.ok("calendar", "import", str(path)).stdout
    assert "a bank holiday the council works (Summer Bank Holiday)" in out


def test_refresh_takes_a_newly_covered_year_whole_and_records_nothing_for_no_change(
        glasgow: Cli, travel: time_machine.Coordinates) -> None:
    before = len(events(glasgow.db))
    glasgow.ok("calendar", "refresh")
    assert len(events(glasgow.db)) == before  # nothing changed: nothing recorded
    travel.move_to(at("2037-06-02 10:00"))  # 2037 and later were never stored
    found = json.loads(glasgow.ok("calendar", "refresh", "--json").stdout)
    added = {d["day"] for d in found["added"]}
    assert {"2037-01-01", "2037-01-02", "2037-04-03"} <= added  # the past of a new year too
    assert "2046-12-25" in added
    listed = json.loads(glasgow.ok("calendar", "list", "--year", "2037", "--json").stdout)
    assert "2037-01-01" in {d["day"] for d in listed}
    assert glasgow.ok("audit", "verify").stdout.startswith("intact")
