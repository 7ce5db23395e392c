"""The bank holidays in force: stored at ``init``, refreshed on request, each change audited.

Every period bvflow computes counts working days, so the calendar is part of the record. The
``holidays`` package supplies the nation's bank holidays once, into the ``bank_holidays``
table, in the event that records the authority; ``calendar refresh`` compares the stored days
with the installed package (a proclamation adds a day, like Scotland's 15 June 2026) and
records what it added and removed. ``calendar import`` adds a council's local holidays as
closure days, from an iCalendar or CSV file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import check_closures, library_holidays, local_date
from bvflow.errors import InputError
from bvflow.files import read_input
from bvflow.services.app import App, calendar_for
from bvflow.store import Session, changes, repo
from bvflow.store.models import BankHoliday, Closure

# The years stored at init, around the year it runs: periods are at most a few years long,
# and a year outside the stored ones falls back to the package (docs/counting.md).
YEARS_BEFORE: Final = 1
YEARS_AFTER: Final = 9
MAX_CALENDAR_BYTES: Final = 2 * 1024 * 1024
# A council's local holidays are a handful a year; more than this in one file is a mistake.
MAX_IMPORTED_DAYS: Final = 1000


def _source() -> str:
    return f"holidays {version('holidays')}"


def library_days(nation: str, years: range) -> dict[date, str]:
    """The package's bank holidays of ``nation`` over ``years``."""
    found: dict[date, str] = {}
    for year in years:
        found.update(library_holidays(nation, year))
    return found


def years_around(today: date) -> range:
    return range(today.year - YEARS_BEFORE, today.year + YEARS_AFTER + 1)


def store_holidays(session: Session, nation: str, years: range, now: datetime) -> int:
    """Replace the stored bank holidays with the package's, for ``nation`` over ``years``;
    the caller's audit event carries the rows. Returns how many were stored."""
    for row in repo.bank_holidays(session):
        changes.delete(session, row)
    source = _source()
    days = library_days(nation, years)
    for day, name in sorted(days.items()):
        changes.insert(session, BankHoliday(day=day, name=name, source=source, added_at=now))
    return len(days)


@dataclass(frozen=True)
class RefreshResult:
    added: list[tuple[date, str]]
    removed: list[tuple[date, str]]
    years: tuple[int, int]
    source: str
    # Removed holidays the council had opened: the opening now changes nothing.
    worked: list[tuple[date, str]]


def refresh(app: App) -> RefreshResult:
    """Bring the stored bank holidays up to date with the installed ``holidays`` package,
    over the stored years and those around today; audited with every day added and removed
    (nothing is recorded when nothing changes).

    Today and the days already past are never changed: periods that have run keep the
    calendar they ran on.
    """
    now = app.now()
    today = local_date(now)
    with app.db.write() as session:
        nation = repo.load_authority(session).nation
        stored = {row.day: row for row in repo.bank_holidays(session)}
        covered = {d.year for d in stored}
        years = sorted(covered | set(years_around(today)))
        wanted = library_days(nation, range(years[0], years[-1] + 1))
        source = _source()
        added, removed = [], []

        def may_change(day: date) -> bool:
            # A year stored already keeps its past; a year newly stored is taken whole, as
            # it was read from the package until now.
            return day > today or day.year not in covered

        for day, row in sorted(stored.items()):
            if may_change(day) and wanted.get(day) != row.name:
                changes.delete(session, row)
                removed.append((day, row.name))
        for day, name in sorted(wanted.items()):
            known = stored.get(day)
            if may_change(day) and (known is None or known.name != name):
                changes.insert(
                    session, BankHoliday(day=day, name=name, source=source, added_at=now)
                )
                added.append((day, name))
        worked = [(d, n) for d, n in removed if d in repo.opened_days(session)]
        if not added and not removed:
            return RefreshResult([], [], (years[0], years[-1]), source, [])
        repo.append_event(
            session,
            NewEvent(
                now,
                app.actor,
                "calendar.refreshed",
                payload={
                    "source": source,
                    "years": [years[0], years[-1]],
                    "added": [{"day": d.isoformat(), "name": n} for d, n in added],
                    "removed": [{"day": d.isoformat(), "name": n} for d, n in removed],
                    "worked_days_removed": [d.isoformat() for d, _ in worked],
                },
            ),
        )
    return RefreshResult(added, removed, (years[0], years[-1]), source, worked)


@dataclass(frozen=True)
class ImportResult:
    added: list[tuple[date, str]]
    skipped: list[tuple[date, str, str]]  # day, name, why
    sha256: str
    left_out: list[str]  # events not read as closures (cancelled, marked free), and why


def _csv_days(text: str, name: str) -> list[tuple[date, str]]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["date", "name"]:
        raise InputError(f"{name}: a CSV calendar needs the header 'date,name'")
    found = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[1].strip():
            raise InputError(f"{name} line {number}: give a date and a name")
        day = inputs.iso_date(row[0], f"{name} line {number}:")
        found.append((day, inputs.text(row[1], f"{name} line {number}: the name")))
    return found


def _whole_day(value: object, what: str, name: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InputError(f"{name}: every event must be a whole day ({what};VALUE=DATE)")
    return value


def _ical_days(content: bytes, name: str) -> tuple[list[tuple[date, str]], list[str]]:
    """The days of each whole-day event, and the events left out (cancelled or free)."""
    import icalendar

    try:
        content.decode("utf-8")
        calendar = icalendar.Calendar.from_ical(content)
    except UnicodeDecodeError:
        raise InputError(f"{name}: an iCalendar file must be UTF-8") from None
    except (ValueError, IndexError, KeyError):
        raise InputError(f"{name}: not an iCalendar file") from None
    found: list[tuple[date, str]] = []
    left_out: list[str] = []
    for event in calendar.walk("VEVENT"):
        title = inputs.text(str(event.get("SUMMARY", "")), f"{name}: an event's SUMMARY")
        why = _left_out(event, title, name)
        if why:
            left_out.append(f"{title}: {why}")
        else:
            found += [(day, title) for day in _event_days(event, title, name)]
    return found, left_out


def _left_out(event: Any, title: str, name: str) -> str:
    """Why an event is not a closure ('' if it is); a repeating event is refused."""
    if {"RRULE", "RDATE", "EXDATE"} & set(event):
        raise InputError(
            f"{name}: '{title}' repeats (RRULE); give each year's days as their own events"
        )
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return "cancelled"
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return "marked free, not a closure"
    return ""


def _event_days(event: Any, title: str, name: str) -> list[date]:
    """Every day a whole-day event covers (DTEND is exclusive; DURATION is read too)."""
    start = _whole_day(event.decoded("DTSTART", None), "DTSTART", name)
    if "DTEND" in event:
        end = _whole_day(event.decoded("DTEND"), "DTEND", name)
    elif "DURATION" in event:
        end = start + event.decoded("DURATION")
    else:
        end = start + timedelta(days=1)
    if end <= start:
        raise InputError(f"{name}: '{title}' ends before it starts")
    if (end - start).days > 31:
        raise InputError(f"{name}: '{title}' lasts more than a month")
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    return [inputs.iso_date(d.isoformat(), f"{name}: '{title}'") for d in days]


def import_days(app: App, file: Path) -> ImportResult:
    """Add a council's local holidays (an .ics or .csv file) as closure days, in one event.

    Weekends, bank holidays, days already closed and days in the past are skipped, each with
    its reason; a file with nothing to add changes nothing.
    """
    shown = inputs.text(file.name, "the file name", max_length=255)
    content = read_input(file, "the calendar file", MAX_CALENDAR_BYTES)
    if not content.strip():
        raise InputError(f"{shown} is empty; give the file that holds the days")
    left_out: list[str] = []
    if file.suffix.lower() == ".ics":
        days, left_out = _ical_days(content, shown)
    elif file.suffix.lower() == ".csv":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{shown}: a CSV calendar must be UTF-8") from None
        days = _csv_days(text, shown)
    else:
        raise InputError(f"{shown}: give an iCalendar (.ics) or CSV (.csv) file")
    if not days:
        raise InputError(f"{shown} has no days in it")
    if len(days) > MAX_IMPORTED_DAYS:
        raise InputError(
            f"{shown} has {len(days)} days; import at most {MAX_IMPORTED_DAYS} at a time"
        )
    now = app.now()
    today = local_date(now)
    digest = hashlib.sha256(content).hexdigest()
    added: list[tuple[date, str]] = []
    skipped: list[tuple[date, str, str]] = []
    with app.db.write() as session:
        calendar = calendar_for(session)
        taken = set(calendar.closures)
        for day, name in sorted(set(days)):
            why = _skip(calendar.bank_holiday(day), day, today, taken, calendar.opened)
            if why:
                skipped.append((day, name, why))
                continue
            reason = f"{name} (imported from {shown})"
            changes.insert(
                session, Closure(day=day, reason=reason, added_by=app.actor, added_at=now)
            )
            added.append((day, name))
            taken.add(day)
        check_closures(taken)
        if added:
            repo.append_event(
                session,
                NewEvent(
                    now,
                    app.actor,
                    "calendar.imported",
                    payload={
                        "file": shown,
                        "file_sha256": digest,
                        "added": [{"day": d.isoformat(), "name": n} for d, n in added],
                        "skipped": [
                            {"day": d.isoformat(), "name": n, "why": w} for d, n, w in skipped
                        ],
                        "left_out": left_out,
                    },
                ),
            )
    return ImportResult(added, skipped, digest, left_out)


def _skip(
    holiday: str | None, day: date, today: date, closed: set[date], opened: frozenset[date]
) -> str:
    """Why an imported day is not added, or '' to add it."""
    if day < today:
        return "in the past"
    if day.weekday() >= 5:
        return "a weekend"
    if day in opened:
        return f"a bank holiday the council works ({holiday}); 'calendar close' takes that back"
    if holiday is not None:
        return f"already a bank holiday ({holiday})"
    if day in closed:
        return "already closed"
    return ""
