"""``bvflow calendar``: council closure days, which stop counting as working days, and bank
holidays the council works, which count."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from bvflow.cli._base import DATE, State, emit_json, emit_table, json_option, pass_state


@click.group()
def calendar() -> None:
    """The working-day calendar: weekends, bank holidays, council closure days."""


@calendar.command()
@click.argument("day", type=DATE)
@click.option("--reason", required=True, help="Why the council is closed.")
@pass_state
def close(state: State, day: date, reason: str) -> None:
    """Add a council closure day (or, for a bank holiday the council had opened, take the
    opening back: it is a holiday again).

    \b
    Example:
      bvflow calendar close 2027-12-29 --reason "Christmas closure"
    """
    from bvflow.services.setup import add_closure

    if add_closure(state.app(), day, reason):
        click.echo(f"{day.isoformat()} is a bank holiday again (no longer worked): {reason}")
    else:
        click.echo(f"{day.isoformat()} is a closure day: {reason}")


@calendar.command()
@click.argument("day", type=DATE)
@click.option("--reason", required=True, help="Why the closure is taken back.")
@pass_state
def reopen(state: State, day: date, reason: str) -> None:
    """Take back a closure day added by mistake (it counts as a working day again).

    \b
    Example:
      bvflow calendar reopen 2027-12-29 --reason "Closure moved to the 30th"
    """
    from bvflow.services.setup import remove_closure

    remove_closure(state.app(), day, reason)
    click.echo(f"{day.isoformat()} is no longer a closure day")


@calendar.command(name="open")
@click.argument("day", type=DATE)
@click.option("--reason", required=True, help="Why the council works that bank holiday.")
@pass_state
def open_(state: State, day: date, reason: str) -> None:
    """Make a bank holiday a working day for this council's reviews.

    For a council that works a national bank holiday and closes on a local holiday instead
    (add that one with 'calendar close').

    \b
    Example:
      bvflow calendar open 2027-08-02 --reason "Glasgow Fair Monday is our holiday instead"
    """
    from bvflow.services.setup import open_day

    open_day(state.app(), day, reason)
    click.echo(f"{day.isoformat()} is a working day for this council: {reason}")


def _day(day: date) -> str:
    from bvflow.domain.dates import weekday_date

    return weekday_date(day)


@calendar.command()
@json_option
@pass_state
def refresh(state: State, as_json: bool) -> None:
    """Update the stored bank holidays from the installed holidays package (audited).

    The calendar in force is stored in the database at init. Run this after upgrading
    bvflow or when a bank holiday is proclaimed; it prints every day added and removed.
    Today and the days already past are never changed.

    \b
    Example:
      bvflow calendar refresh
    """
    from bvflow.services.bank_holidays import refresh as refresh_days

    found = refresh_days(state.app())
    if as_json:
        emit_json(
            {
                "source": found.source,
                "years": list(found.years),
                "added": [{"day": d.isoformat(), "name": n} for d, n in found.added],
                "removed": [{"day": d.isoformat(), "name": n} for d, n in found.removed],
                "worked_days_removed": [d.isoformat() for d, _ in found.worked],
            }
        )
        return
    first, last = found.years
    if not found.added and not found.removed:
        click.echo(f"Bank holidays {first}-{last} already match {found.source}: no change")
        return
    for day, name in found.added:
        click.echo(f"added    {_day(day)}  {name}")
    for day, name in found.removed:
        click.echo(f"removed  {_day(day)}  {name}")
    for day, name in found.worked:
        click.echo(
            f"Warning: {_day(day)} ({name}) was a bank holiday the council works; it is an "
            "ordinary working day now",
            err=True,
        )
    click.echo(
        f"Bank holidays {first}-{last} now match {found.source}: "
        f"{len(found.added)} added, {len(found.removed)} removed"
    )


@calendar.command(name="import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
@pass_state
def import_(state: State, file: Path, as_json: bool) -> None:
    """Add the council's local holidays from an iCalendar (.ics) or CSV file as closure days.

    A CSV has the header 'date,name' and one YYYY-MM-DD date per line; an iCalendar file has
    whole-day events (a multi-day event closes each day). Weekends, bank holidays, days
    already closed and past days are skipped and listed. One audited event.

    \b
    Example:
      bvflow calendar import glasgow-holidays.ics
    """
    from bvflow.services.bank_holidays import import_days

    found = import_days(state.app(), file)
    if as_json:
        emit_json(
            {
                "file_sha256": found.sha256,
                "added": [{"day": d.isoformat(), "name": n} for d, n in found.added],
                "skipped": [
                    {"day": d.isoformat(), "name": n, "why": w} for d, n, w in found.skipped
                ],
                "left_out": found.left_out,
            }
        )
        return
    for day, name in found.added:
        click.echo(f"closed   {_day(day)}  {name}")
    for day, name, why in found.skipped:
        click.echo(f"skipped  {_day(day)}  {name}: {why}")
    for event in found.left_out:
        click.echo(f"left out {event}")
    click.echo(f"{len(found.added)} closure day(s) added, {len(found.skipped)} skipped")


@calendar.command(name="list")
@click.option(
    "--year",
    type=click.IntRange(1990, 2100),
    help="Every bank holiday, closure day and opened day of that year, with its source.",
)
@json_option
@pass_state
def list_(state: State, year: int | None, as_json: bool) -> None:
    """List council closure days and opened bank holidays, or a whole year with --year.

    \b
    Example:
      bvflow calendar list --year 2027
    """
    from bvflow.services.setup import calendar_year, list_closures, list_openings

    if year is not None:
        days = calendar_year(state.app(), year)
        if as_json:
            emit_json([d.as_dict() for d in days])
            return
        emit_table(
            [
                (d.day.isoformat(), f"{d.day:%a}", "working" if d.working else "closed",
                 d.what, d.source)
                for d in days
            ],
            ("DAY", "", "STATUS", "WHAT", "SOURCE"),
        )
        return
    found = list_closures(state.app())
    opened = list_openings(state.app())
    if as_json:
        emit_json(
            [{"day": c.day.isoformat(), "reason": c.reason, "added_by": c.added_by,
              "working": False} for c in found]
            + [{"day": o.day.isoformat(), "reason": o.reason, "added_by": o.added_by,
                "working": True} for o in opened]
        )
        return
    rows = [(c.day.isoformat(), "closed", c.reason, c.added_by) for c in found]
    rows += [(o.day.isoformat(), "working", o.reason, o.added_by) for o in opened]
    emit_table(sorted(rows), ("DAY", "STATUS", "REASON", "ADDED BY"))


COMMANDS = [calendar]
