"""``bvflow today``: what needs the coordinator now."""

from __future__ import annotations

import click

from bvflow.cli._base import State, emit_json, json_option, pass_state


@click.command()
@click.option("--coordinator", metavar="EMAIL", help="Only the reviews this person coordinates.")
@json_option
@pass_state
def today(state: State, coordinator: str | None, as_json: bool) -> None:
    """What needs the coordinator now: stages ready to advance or overdue, due dates this
    week, meetings in the next 14 days, notices not delivered, improvement actions due.

    \b
    Example:
      bvflow today --coordinator jo.bloggs@exampleshire.gov.uk
    """
    from bvflow.services.today import SECTIONS
    from bvflow.services.today import today as gather

    found = gather(state.app(), coordinator)
    if as_json:
        emit_json(found.as_dict())
        return
    for warning in found.warnings:
        click.echo(f"Warning: {warning}", err=True)
    day = _day(found.today)
    whose = f" for {found.coordinator}" if found.coordinator else ""
    if found.coordinator and not found.reviews:
        click.echo(f"No live review has {found.coordinator} as its coordinator "
                   "('bvflow review list' shows each review's).")
        return
    if not found.items:
        click.echo(f"Nothing needs {found.coordinator or 'you'} today, {day}.")
        return
    click.echo(f"Today, {day}{whose}:")
    for section, heading in SECTIONS.items():
        items = [i for i in found.items if i.section == section]
        if not items:
            continue
        click.echo(f"\n{heading} ({len(items)})")
        for item in items:
            click.echo(f"  {item.ref} {item.title}: {item.text}")
            if item.next:
                click.echo(f"      {item.next}")


def _day(iso: str) -> str:
    from datetime import date

    from bvflow.domain.dates import long_date

    return long_date(date.fromisoformat(iso))


COMMANDS = [today]
