"""How bvflow writes dates and times: one UK style everywhere, in Europe/London time.

Long forms in sentences ("Tuesday 1 December 2026", "... at 18:00 GMT"), short forms in
tables and on chart axes ("Tue 1 Dec 2026 18:00 GMT", "1 Dec 2026"); never a zero-padded
day, never an ISO date where people read.
"""

from __future__ import annotations

from datetime import date, datetime

from bvflow.domain.calendar import LONDON


def long_date(day: date) -> str:
    """'Tuesday 1 December 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """'1 Dec 2026' (chart axes)."""
    return f"{day.day} {day:%b %Y}"


def weekday_date(day: date) -> str:
    """'Tue 1 Dec 2026' (tables)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def long_instant(instant: datetime) -> str:
    """'Tuesday 1 December 2026 at 18:00 GMT', in London time."""
    local = instant.astimezone(LONDON)
    return f"{long_date(local.date())} at {local:%H:%M %Z}"


def short_instant(instant: datetime) -> str:
    """'Tue 1 Dec 2026 18:00 GMT' (tables), in London time."""
    local = instant.astimezone(LONDON)
    return f"{weekday_date(local.date())} {local:%H:%M %Z}"
