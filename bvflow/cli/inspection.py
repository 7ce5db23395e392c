"""``bvflow inspection``: Best Value inspections (LGA 1999 s.10), findings and responses."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from bvflow.cli._base import DATE, ID, State, emit_json, json_option, pass_state, table_text

RATINGS = click.Choice(["poor", "fair", "good", "excellent"])
PROSPECTS = click.Choice(["poor", "uncertain", "promising", "excellent"])
PRIORITIES = click.Choice(["high", "medium", "low"])


@click.group()
def inspection() -> None:
    """Inspections of services: the inspector's report, findings, recommendations, responses."""


@inspection.command(name="record")
@click.option("--service", required=True, help="The service inspected.")
@click.option("--date", "inspected_on", type=DATE, required=True, help="The inspection's date.")
@click.option("--inspector", required=True, help="The inspector (or the inspectorate).")
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The inspector's report (stored in the database, hashed).")
@click.option("--title", help="A title [default: Best Value inspection of SERVICE].")
@click.option("--review", help="The review the inspection looked at, if one.")
@click.option("--rating", type=RATINGS, help="How good the service is (0-3 stars).")
@click.option("--prospects", type=PROSPECTS, help="Whether the service will improve.")
@json_option
@pass_state
def record(
    state: State, service: str, inspected_on: date, inspector: str, file: Path,
    title: str | None, review: str | None, rating: str | None, prospects: str | None,
    as_json: bool,
) -> None:
    """Record an inspection (Local Government Act 1999 s.10) and its report (s.13).

    \b
    Example:
      bvflow inspection record --service Waste --date 2027-05-12 --inspector "Best Value Inspectorate" --file report.pdf --rating fair --prospects promising
    """
    from bvflow.services.inspections import record_inspection

    found = record_inspection(state.app(), service, inspected_on, inspector, file, title,
                              review, rating, prospects)
    if as_json:
        emit_json(found.as_dict())
        return
    click.echo(f"Inspection {found.id} recorded: {found.title} ({found.file_name}, "
               f"sha256 {found.file_sha256[:12]}…)")


@inspection.group(name="finding")
def finding() -> None:
    """An inspection's findings."""


@finding.command(name="add")
@click.argument("inspection_id", type=ID)
@click.option("--judgement", required=True, help="The inspector's judgement, in words.")
@click.option("--text", required=True, help="What the inspector found.")
@click.option("--recommendation", "recommendations", multiple=True,
              help="A recommendation (repeat for more); each becomes a tracked action.")
@click.option("--owner", required=True, help="The email address of the actions' owner.")
@click.option("--due", type=DATE, required=True, help="When the actions are due.")
@click.option("--priority", type=PRIORITIES, default=None, help="The actions' priority.")
@json_option
@pass_state
def finding_add(
    state: State, inspection_id: int, judgement: str, text: str,
    recommendations: tuple[str, ...], owner: str, due: date, priority: str | None,
    as_json: bool,
) -> None:
    """Add a finding with its recommendations, each an action with an owner and a due date.

    \b
    Example:
      bvflow inspection finding add 1 --judgement "Fair" --text "Complaints are not analysed" --recommendation "Analyse complaints quarterly" --owner pat@x.gov.uk --due 2027-09-30 --priority high
    """
    from bvflow.services.inspections import add_finding

    found = add_finding(state.app(), inspection_id, judgement, text, list(recommendations),
                        owner, due, priority or "")
    if as_json:
        emit_json(found)
        return
    ids = ", ".join(str(r["action"]["action_id"]) for r in found["recommendations"])
    noun = "action" if len(found["recommendations"]) == 1 else "actions"
    click.echo(f"Finding {found['finding_id']} added; {noun} {ids} due {due.isoformat()}")


@inspection.command(name="respond")
@click.argument("finding_id", type=ID)
@click.option("--text", required=True, help="The authority's response.")
@pass_state
def respond(state: State, finding_id: int, text: str) -> None:
    """Record the authority's response to a finding.

    \b
    Example:
      bvflow inspection respond 1 --text "Agreed: complaints analysed quarterly from July"
    """
    from bvflow.services.inspections import respond as respond_to

    found = respond_to(state.app(), finding_id, text)
    click.echo(f"Response {found['response_id']} recorded to finding {finding_id}")


@inspection.command(name="list")
@click.option("--service", help="Only the inspections of this service.")
@json_option
@pass_state
def list_inspections(state: State, service: str | None, as_json: bool) -> None:
    """The inspections recorded, oldest first.

    \b
    Example:
      bvflow inspection list --service Waste
    """
    from bvflow.services.inspections import list_inspections as listed

    found = [i.as_dict() for i in listed(state.app(), service)]
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo("No inspections; 'bvflow inspection record' records one.")
        return
    click.echo(table_text(
        [(str(i["id"]), i["inspected_on"], i["service"], i["rating"] or "-",
          i["prospects"] or "-", i["inspector"], i["title"]) for i in found],
        ("ID", "DATE", "SERVICE", "RATING", "PROSPECTS", "INSPECTOR", "TITLE"),
    ), nl=False)


@inspection.command(name="show")
@click.argument("inspection_id", type=ID)
@json_option
@pass_state
def show(state: State, inspection_id: int, as_json: bool) -> None:
    """An inspection: its findings, recommendations with their actions, and responses.

    \b
    Example:
      bvflow inspection show 1 --json
    """
    from bvflow.services.inspections import show_inspection

    found = show_inspection(state.app(), inspection_id).as_dict()
    if as_json:
        emit_json(found)
        return
    click.echo(_text(found), nl=False)


def _text(found: dict[str, Any]) -> str:
    from datetime import datetime

    from bvflow.domain.dates import short_instant
    from bvflow.services.inspections import STARS

    count = STARS[found["rating"]] if found["rating"] else None
    stars = "" if count is None else f" ({count} star{'' if count == 1 else 's'})"
    lines = [
        f"Inspection {found['id']}: {found['title']}",
        f"  service {found['service']}, {found['inspected_on']}, by {found['inspector']}",
        f"  rating {found['rating'] or '-'}{stars}, prospects {found['prospects'] or '-'}",
        f"  report {found['file_name']} ({found['file_size']} bytes, sha256 "
        f"{found['file_sha256']})",
    ]
    for f in found["findings"]:
        lines.append(f"Finding {f['id']} ({f['judgement']}): {f['text']}")
        for r in f["recommendations"]:
            a = r["action"]
            status = "no action" if a is None else (
                f"action {a['id']} {a['status']}{' (OVERDUE)' if a['overdue'] else ''}, "
                f"due {a['due']}, {a['owner']}")
            lines.append(f"  - {r['text']} [{status}]")
        for p in f["responses"]:
            at = short_instant(datetime.fromisoformat(p["at"]))
            lines.append(f"  Response {p['id']} by {p['by']}, {at}: {p['text']}")
        if not f["responses"]:
            lines.append("  No response yet.")
    return "\n".join(lines) + "\n"


COMMANDS = [inspection]
