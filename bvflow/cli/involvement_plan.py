"""``bvflow involvement plan add|list|remove``: the strategic plan for involvement."""

from __future__ import annotations

from typing import Any

import click

from bvflow.cli._base import ID, State, emit_json, json_option, pass_state, table_text
from bvflow.cli._export import Columns, Output, emit_rows, output_options

YEAR = click.IntRange(1999, 2200)


@click.group()
def involvement() -> None:
    """The strategic plan for involvement: who is to be involved, how, and when."""


@involvement.group()
def plan() -> None:
    """Plan which categories of organisation are involved, by which methods, when."""


@plan.command(name="add")
@click.argument("ref", required=False)
@click.option("--year", type=YEAR, help="The authority's plan for this year (instead of REF).")
@click.option("--category", required=True, help="e.g. youth, pensioners, trade_union.")
@click.option("--method", "methods", multiple=True,
              help="A method that would meet it, e.g. survey, workshop (repeat: any one).")
@click.option("--stage", help="For a review: the stage it is to happen in, e.g. consult.")
@click.option("--by", "by", metavar="YYYY-MM",
              help="For the authority's year: the month it is to happen by.")
@click.option("--note", default="", help="Anything else: who, where, why.")
@json_option
@pass_state
def add(state: State, ref: str | None, year: int | None, category: str,
        methods: tuple[str, ...], stage: str | None, by: str | None, note: str,
        as_json: bool) -> None:
    """Plan a category's involvement, in a review or in the authority's year.

    \b
    Example:
      bvflow involvement plan add BV-2027-001 --category youth --method survey --stage consult
      bvflow involvement plan add --year 2027 --category youth --method survey --by 2027-09
    """
    from bvflow.services.involvement_plan import plan_involvement

    entry = plan_involvement(state.app(), ref, year, category, methods, stage, by, note)
    if as_json:
        emit_json(entry.as_dict())
        return
    where = entry.review or f"the authority's plan for {entry.year}"
    click.echo(f"planned entry {entry.id} in {where}: {entry.category} by "
               f"{' or '.join(entry.methods)}")


PLAN_COLUMNS = Columns(
    ("id", "review", "year", "category", "methods", "stage", "by", "note", "status",
     "withdrawn_reason")
)


@plan.command(name="list")
@click.argument("ref", required=False)
@click.option("--year", type=YEAR,
              help="The authority's plan for this year, and that of reviews opened in it.")
@output_options
@pass_state
def list_entries(state: State, ref: str | None, year: int | None, output: Output) -> None:
    """The plan's entries, withdrawn ones marked.

    \b
    Example:
      bvflow involvement plan list BV-2027-001
      bvflow involvement plan list --year 2027 --csv
    """
    from bvflow.services.involvement_plan import plan_list

    found = [e.as_dict() for e in plan_list(state.app(), ref, year)]
    rows = [{**e, "methods": " ".join(e["methods"])} for e in found]
    data = found if output.fmt == "json" else rows
    emit_rows(state, output, data, PLAN_COLUMNS, "Involvement plan", lambda: _table(rows))


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "Nothing is planned; 'bvflow involvement plan add' plans a category.\n"
    return table_text(
        [
            (str(r["id"]), r["review"] or str(r["year"]), r["category"], r["methods"],
             r["stage"] or r["by"] or "-",
             f"withdrawn: {r['withdrawn_reason']}" if r["status"] == "withdrawn"
             else r["note"] or "-")
            for r in rows
        ],
        ("ID", "SCOPE", "CATEGORY", "METHODS", "WHEN", "NOTE"),
    )


@plan.command(name="remove")
@click.argument("entry", type=ID)
@click.option("--reason", help="Why it is no longer planned (required).")
@pass_state
def remove(state: State, entry: int, reason: str | None) -> None:
    """Withdraw an entry from the plan; it stays on record, marked withdrawn.

    \b
    Example:
      bvflow involvement plan remove 3 --reason "The youth forum was merged into the panel"
    """
    from bvflow.services.involvement_plan import withdraw_entry

    gone = withdraw_entry(state.app(), entry, reason)
    click.echo(f"withdrew entry {gone.id}: {gone.category} ({gone.review or gone.year})")


COMMANDS = [involvement]
