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
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Final

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import library_holidays, local_date
from bvflow.errors import InputError
from bvflow.files import read_input
from bvflow.services.app import App, calendar_for
from bvflow.store import Session, changes, repo
from bvflow.store.models import BankHoliday, Closure

# The years stored at init, around the year it runs: periods are at most a few years long,
# and a year outside the stored ones falls back to the package (docs/counting.md).
YEARS_BEFORE: Final = 1
YEARS_AFTER: Final = 9
MAX_CALENDAR_BYTES: Final = 2_000_000


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


def refresh(app: App) -> RefreshResult:
    """Bring the stored bank holidays up to date with the installed ``holidays`` package,
    over the stored years and those around today; audited with every day added and removed.

    Today and the days already past are never changed: periods that have run keep the
    calendar they ran on.
    """
    now = app.now()
    today = local_date(now)
    with app.db.write() as session:
        nation = repo.load_authority(session).nation
        stored = {row.day: row for row in repo.bank_holidays(session)}
        years = sorted({d.year for d in stored} | set(years_around(today)))
        wanted = library_days(nation, range(years[0], years[-1] + 1))
        source = _source()
        added, removed = [], []
        for day, row in sorted(stored.items()):
            if day > today and wanted.get(day) != row.name:
                changes.delete(session, row)
                removed.append((day, row.name))
        for day, name in sorted(wanted.items()):
            known = stored.get(day)
            if day > today and (known is None or known.name != name):
                changes.insert(
                    session, BankHoliday(day=day, name=name, source=source, added_at=now)
                )
                added.append((day, name))
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
                },
            ),
        )
    return RefreshResult(added, removed, (years[0], years[-1]), source)


@dataclass(frozen=True)
class ImportResult:
    added: list[tuple[date, str]]
    skipped: list[tuple[date, str, str]]  # day, name, why
    sha256: str


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
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise InputError(
                f"{name} line {number}: {row[0].strip()!r} is not a date (YYYY-MM-DD)"
            ) from None
        found.append((day, inputs.text(row[1], f"{name} line {number}: the name")))
    return found


def _ical_days(content: bytes, name: str) -> list[tuple[date, str]]:
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError, KeyError) as exc:
        raise InputError(f"{name}: not an iCalendar file ({exc})") from None
    found = []
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART", None)
        if not isinstance(start, date) or isinstance(start, datetime):
            raise InputError(f"{name}: every event must be a whole day (DTSTART;VALUE=DATE)")
        end = event.decoded("DTEND", None)
        if end is not None and (not isinstance(end, date) or isinstance(end, datetime)):
            raise InputError(f"{name}: every event must be a whole day (DTEND;VALUE=DATE)")
        title = inputs.text(str(event.get("SUMMARY", "")), f"{name}: an event's SUMMARY")
        last = (end.toordinal() - 1) if end is not None else start.toordinal()
        if last - start.toordinal() > 31:
            raise InputError(f"{name}: '{title}' lasts more than a month")
        found += [(date.fromordinal(o), title) for o in range(start.toordinal(), last + 1)]
    return found


def import_days(app: App, file: Path) -> ImportResult:
    """Add a council's local holidays (an .ics or .csv file) as closure days, in one event.

    Weekends, bank holidays, days already closed and days in the past are skipped, each with
    its reason; a file with nothing to add changes nothing.
    """
    shown = inputs.text(file.name, "the file name", max_length=255)
    content = read_input(file, "the calendar file", MAX_CALENDAR_BYTES)
    if not content.strip():
        raise InputError(f"{shown} is empty; give the file that holds the days")
    if file.suffix.lower() == ".ics":
        days = _ical_days(content, shown)
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
    now = app.now()
    today = local_date(now)
    digest = hashlib.sha256(content).hexdigest()
    added: list[tuple[date, str]] = []
    skipped: list[tuple[date, str, str]] = []
    with app.db.write() as session:
        calendar = calendar_for(session)
        for day, name in sorted(set(days)):
            why = _skip(calendar.bank_holiday(day), day, today, calendar.closures, added)
            if why:
                skipped.append((day, name, why))
                continue
            reason = f"{name} (imported from {shown})"
            changes.insert(
                session, Closure(day=day, reason=reason, added_by=app.actor, added_at=now)
            )
            added.append((day, name))
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
                    },
                ),
            )
    return ImportResult(added, skipped, digest)


def _skip(
    holiday: str | None,
    day: date,
    today: date,
    closed: frozenset[date],
    added: list[tuple[date, str]],
) -> str:
    """Why an imported day is not added, or '' to add it."""
    if day < today:
        return "in the past"
    if day.weekday() >= 5:
        return "a weekend"
    if holiday is not None:
        return f"already a bank holiday ({holiday})"
    if day in closed or any(d == day for d, _ in added):
        return "already closed"
    return ""
