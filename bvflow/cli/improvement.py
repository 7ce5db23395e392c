"""``bvflow improvement``: the authority's own improvement actions (no single review's)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from bvflow.cli._base import DATE, ID, State, emit_json, json_option, pass_state, table_text
from bvflow.cli._export import Columns, Output, emit_rows, output_options

SOURCES = click.Choice(["authority", "competency", "inspection"])
STATUSES = click.Choice(["planned", "in_progress", "done", "dropped"])


@click.group()
def improvement() -> None:
    """The authority's improvement actions: from inspections, self-assessments, or its own."""


@improvement.command(name="add")
@click.option("--title", required=True)
@click.option("--owner", required=True, help="The owner's email address.")
@click.option("--due", type=DATE, required=True)
@click.option("--service", help="The service it concerns (none: the whole authority).")
@click.option("--priority", default="", help="The priority it belongs to.")
@json_option
@pass_state
def add(
    state: State, title: str, owner: str, due: date, service: str | None, priority: str,
    as_json: bool,
) -> None:
    """Add an action the authority sets itself (an inspection's or a self-assessment's are
    added with their findings and gaps).

    \b
    Example:
      bvflow improvement add --title "Publish complaints" --owner pat@x.gov.uk --due 2027-06-30
    """
    from bvflow.services.authority_actions import add_authority_action

    found = add_authority_action(state.app(), title, owner, due, service, priority)
    if as_json:
        emit_json(found.as_dict())
        return
    click.echo(f"Action {found.id} added, due {found.due}")


@improvement.command(name="update")
@click.argument("action_id", type=ID)
@click.option("--status", type=STATUSES)
@click.option("--due", type=DATE)
@click.option("--owner")
@pass_state
def update(
    state: State, action_id: int, status: str | None, due: date | None, owner: str | None
) -> None:
    """Update an authority action's status, due date or owner.

    \b
    Example:
      bvflow improvement update 4 --status done
    """
    from bvflow.services.authority_actions import update_authority_action

    found = update_authority_action(state.app(), action_id, status, due, owner)
    click.echo(f"Action {found.id}: {found.status}, due {found.due}, owner {found.owner}")


COLUMNS = Columns(
    ("id", "source", "source_id", "service", "title", "owner", "due", "priority", "status",
     "overdue"),
    dates=frozenset({"due"}),
)


@improvement.command(name="list")
@click.option("--source", type=SOURCES, help="Only the actions from this source.")
@click.option("--service", help="Only the actions for this service.")
@output_options
@pass_state
def list_actions(state: State, source: str | None, service: str | None, output: Output) -> None:
    """The authority's actions, soonest due first, the overdue marked.

    \b
    Example:
      bvflow improvement list --source inspection
      bvflow improvement list --format xlsx -o actions.xlsx
    """
    from bvflow.services.authority_actions import authority_actions

    found = [a.as_dict() for a in authority_actions(state.app(), source, service)]
    emit_rows(state, output, found, COLUMNS, "Improvement actions", lambda: _table(found))


def _table(found: list[dict[str, Any]]) -> str:
    if not found:
        return "No improvement actions; 'bvflow improvement add' adds one.\n"
    return table_text(
        [
            (str(a["id"]), a["due"], a["status"] + (" (OVERDUE)" if a["overdue"] else ""),
             a["source"], a["service"] or "-", a["owner"], a["title"])
            for a in found
        ],
        ("ID", "DUE", "STATUS", "SOURCE", "SERVICE", "OWNER", "TITLE"),
    )


COMMANDS = [improvement]
