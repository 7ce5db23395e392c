"""``bvflow calendar``: council closure days, which stop counting as working days."""

from __future__ import annotations

from datetime import date

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
    """Add a council closure day.

    \b
    Example:
      bvflow calendar close 2027-12-29 --reason "Christmas closure"
    """
    from bvflow.services.setup import add_closure

    add_closure(state.app(), day, reason)
    click.echo(f"{day.isoformat()} is a closure day: {reason}")


@calendar.command(name="list")
@json_option
@pass_state
def list_(state: State, as_json: bool) -> None:
    """List council closure days.

    \b
    Example:
      bvflow calendar list
    """
    from bvflow.services.setup import list_closures

    found = list_closures(state.app())
    if as_json:
        emit_json(
            [{"day": c.day.isoformat(), "reason": c.reason, "added_by": c.added_by} for c in found]
        )
        return
    emit_table(
        [(c.day.isoformat(), c.reason, c.added_by) for c in found], ("DAY", "REASON", "ADDED BY")
    )


COMMANDS = [calendar]
