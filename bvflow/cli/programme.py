"""``bvflow programme``: the authority's programme of reviews, ranked by need."""

from __future__ import annotations

from typing import Any

import click

from bvflow.cli._base import ID, State, emit_json, json_option, pass_state, table_text
from bvflow.cli._export import Columns, Output, emit_rows, output_options

YEAR = click.IntRange(1999, 2200)


@click.group()
def programme() -> None:
    """The programme of reviews: which service is reviewed when, ranked by need."""


@programme.command(name="add")
@click.argument("service")
@click.option("--year", type=YEAR, required=True, help="The year its review is to start.")
@click.option(
    "--priority", type=click.Choice(["high", "medium", "low"]), required=True,
    help="The authority's priority for it.",
)
@click.option("--reason", required=True, help="Why it is planned then, in words.")
@json_option
@pass_state
def add(state: State, service: str, year: int, priority: str, reason: str, as_json: bool) -> None:
    """Plan a service's review for a year.

    \b
    Example:
      bvflow programme add Libraries --year 2027 --priority high --reason "Visits halved"
    """
    from bvflow.services.programme import plan_review

    item = plan_review(state.app(), service, year, priority, reason)
    if as_json:
        emit_json(item.as_dict())
        return
    click.echo(f"planned item {item.id}: {item.service}, {item.year}, need {item.need} "
               f"({'; '.join(item.signals)})")


PROGRAMME_COLUMNS = Columns(
    ("id", "year", "service", "priority", "need", "signals", "status", "review", "reason")
)


@programme.command(name="list")
@click.option("--year", type=YEAR, help="Only the items planned for this year.")
@output_options
@pass_state
def list_items(state: State, year: int | None, output: Output) -> None:
    """The plan, year by year, each year ranked by need (the highest first), with why.

    \b
    Example:
      bvflow programme list --year 2027
      bvflow programme list --format xlsx -o programme-plan.xlsx
    """
    from bvflow.services.programme import programme_items

    found = [i.as_dict() for i in programme_items(state.app(), year)]
    rows = [{**i, "signals": "; ".join(i["signals"])} for i in found]
    data = found if output.fmt == "json" else rows
    emit_rows(state, output, data, PROGRAMME_COLUMNS, "Programme plan", lambda: _table(rows))


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No reviews are planned; 'bvflow programme add SERVICE' plans one.\n"
    return table_text(
        [
            (str(r["id"]), str(r["year"]), str(r["need"]), r["status"], r["review"] or "-",
             r["service"], r["signals"])
            for r in rows
        ],
        ("ID", "YEAR", "NEED", "STATUS", "REVIEW", "SERVICE", "WHY"),
    )


@programme.command(name="start")
@click.argument("item", type=ID)
@click.option("--coordinator", required=True, help="The coordinating officer's email address.")
@click.option("--title", help='The review\'s title (default "Best Value review of SERVICE").')
@click.option("--workflow", default="best-value", show_default=True,
              help="A workflow name, or the path to a workflow file.")
@pass_state
def start(state: State, item: int, coordinator: str, title: str | None, workflow: str) -> None:
    """Open the planned review; prints only its new reference.

    \b
    Example:
      bvflow programme start 1 --coordinator jo@example.gov.uk
    """
    from bvflow.services.programme import start_item

    click.echo(start_item(state.app(), item, coordinator, title, workflow)[1])


@programme.command(name="drop")
@click.argument("item", type=ID)
@click.option("--reason", help="Why it is no longer planned (required).")
@pass_state
def drop(state: State, item: int, reason: str | None) -> None:
    """Take a planned review off the programme; the plan keeps it, marked dropped.

    \b
    Example:
      bvflow programme drop 2 --reason "Service transferred to the county council"
    """
    from bvflow.services.programme import drop_item

    dropped = drop_item(state.app(), item, reason)
    click.echo(f"dropped item {dropped.id}: {dropped.service}, {dropped.year}")


COMMANDS = [programme]
