"""``bvflow review``: open reviews, see where they stand, and move them through their stages."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from bvflow.cli._base import (
    State,
    describe_event,
    emit_json,
    expect_version_option,
    json_option,
    london,
    long_date,
    pass_state,
    table_text,
)
from bvflow.cli._export import Columns, Output, emit_rows, output_options

if TYPE_CHECKING:
    from bvflow.services.reviews import Change, ReviewView


@click.group()
def review() -> None:
    """Service reviews: create, list, show, advance, return, suspend, resume, abandon."""


@review.command()
@click.argument("title")
@click.option("--service", required=True, help="The service under review, e.g. Waste.")
@click.option("--coordinator", required=True, help="The coordinating officer's email address.")
@click.option(
    "--workflow",
    default="best-value",
    show_default=True,
    help="A workflow name, or the path to a workflow file.",
)
@pass_state
def create(state: State, title: str, service: str, coordinator: str, workflow: str) -> None:
    """Open a review; prints only its new reference.

    \b
    Example:
      bvflow review create "Refuse collection" --service Waste --coordinator jo@example.gov.uk
    """
    from bvflow.services.reviews import create_review

    click.echo(create_review(state.app(), title, service, coordinator, workflow))


REVIEW_COLUMNS = Columns(
    (
        "ref",
        "title",
        "service",
        "coordinator",
        "stage",
        "status",
        "entered_on",
        "clear_working_days",
        "target_date",
        "overdue",
        "version",
    ),
    dates=frozenset({"entered_on", "target_date"}),
)


@review.command(name="list")
@click.option("--stage", help="Only reviews in this stage.")
@click.option("--status", type=click.Choice(["active", "suspended", "closed", "abandoned"]))
@click.option("--overdue", is_flag=True, help="Only reviews past their stage's due date.")
@output_options
@pass_state
def list_(
    state: State, stage: str | None, status: str | None, overdue: bool, output: Output
) -> None:
    """List reviews with their stage, status and timetable.

    \b
    Example:
      bvflow review list --stage consult --overdue
      bvflow review list --format xlsx -o reviews.xlsx
    """
    from bvflow.services.reviews import list_reviews

    found = [s.as_dict() for s in list_reviews(state.app(), stage, status, overdue)]
    emit_rows(state, output, found, REVIEW_COLUMNS, "Reviews", lambda: _table(found))


def _table(found: list[dict[str, Any]]) -> str:
    return table_text(
        [
            (
                r["ref"],
                r["stage"],
                r["status"],
                # A closed or abandoned review's days no longer run, and it has no due date.
                str(r["clear_working_days"]) if r["status"] in LIVE else "-",
                _due(r["target_date"]) + (" OVERDUE" if r["overdue"] else ""),
                r["title"],
            )
            for r in found
        ],
        ("REF", "STAGE", "STATUS", "DAYS", "DUE", "TITLE"),
    )


LIVE = ("active", "suspended")


def _due(iso: str | None) -> str:
    if not iso:
        return "-"
    from datetime import date

    from bvflow.domain.dates import weekday_date

    return weekday_date(date.fromisoformat(iso))


def _print_view(view: ReviewView) -> None:
    r, t = view.review, view.timing
    click.echo(f"{r.ref}  {r.title}\nService: {r.service}    Coordinator: {r.coordinator}")
    click.echo(
        f"Workflow: {view.workflow_title} ({r.workflow}, {r.definition_digest[:12]})"
        f"    Version: {r.version}"
    )
    click.echo(f"Stage: {view.stage_title} ({r.stage})    Status: {r.status}")
    click.echo(f"Entered: {london(r.stage_entered_at)}")
    if r.status in ("active", "suspended"):
        click.echo(f"Clear working days: {t.clear_days} of at least {t.min_days}")
        complete = (
            f" (the period is complete from {long_date(t.earliest)}, not a working day)"
            if t.earliest_working not in (None, t.earliest)
            else ""
        )
        click.echo(f"Earliest advance: {long_date(t.earliest_working or t.earliest)}{complete}")
        overdue = "  (OVERDUE)" if t.overdue else ""
        click.echo(f"Due: {long_date(t.target)}{overdue}")
        click.echo(f"Next stage: {view.next_stage or '-'}    Possible: {', '.join(view.actions)}")
        click.echo("Unmet before advancing:" if view.unmet else "All requirements met.")
        for unmet in view.unmet:
            click.echo(f"  - {unmet.message}: {unmet.remedy}")
    for warning in view.warnings:
        click.echo(f"Warning: {warning}")
    if view.corrections:
        click.echo("Corrections:")
        for correction in view.corrections:
            when = london(datetime.fromisoformat(correction.corrected_at))
            click.echo(f"  {when} {correction.describe()}")
    click.echo("History:")
    for event in view.history:
        click.echo(f"  #{event.seq} {london(event.at)} {event.actor} {describe_event(event)}")


@review.command()
@click.argument("ref")
@click.option(
    "--as-of",
    "as_of",
    metavar="SEQ|DATE|'DATE HH:MM'",
    help="As the record stood then (an event number, the end of a London day, or a London "
    "time), replayed from the audit chain: what members saw on the day of a meeting.",
)
@json_option
@pass_state
def show(state: State, ref: str, as_of: str | None, as_json: bool) -> None:
    """Show a review's stage, timetable, unmet requirements and recent history.

    \b
    Example:
      bvflow review show BV-2027-001
      bvflow review show BV-2027-001 --as-of 2027-02-10
    """
    from bvflow.services.reviews import show_review

    if as_of is not None:
        from bvflow.services.history import show_review_as_of

        view, point = show_review_as_of(state.app(), ref, as_of)
        if as_json:
            emit_json({**view.as_dict(), "as_of": point.as_dict()})
            return
        click.echo(
            f"As the record stood at {london(point.at)} (event {point.seq}), "
            "replayed from the audit chain:"
        )
        _print_view(view)
        return
    view = show_review(state.app(), ref)
    if as_json:
        emit_json(view.as_dict())
    else:
        _print_view(view)


def _print_change(change: Change, as_json: bool) -> None:
    if as_json:
        emit_json(change.__dict__)
        return
    note = " (timetable overridden)" if change.overridden else ""
    moved = (
        f"{change.from_stage} -> {change.to_stage}"
        if change.from_stage != change.to_stage
        else change.to_stage
    )
    click.echo(f"{change.ref} {change.action}: {moved}, status {change.status}{note}")


@review.command()
@click.argument("ref")
@click.option(
    "--override-timetable",
    is_flag=True,
    help="Leave the stage before its discussion period has run (needs --reason; "
    "audited and shown in every report).",
)
@click.option("--reason", help="Why the timetable is overridden.")
@expect_version_option
@json_option
@pass_state
def advance(
    state: State,
    ref: str,
    override_timetable: bool,
    reason: str | None,
    expected_version: int | None,
    as_json: bool,
) -> None:
    """Move a review to its next stage, or exit 4 naming every unmet condition.

    \b
    Example:
      bvflow review advance BV-2027-001
      bvflow review advance BV-2027-001 --override-timetable --reason "Members agreed"
    """
    from bvflow.services.reviews import advance as run

    if reason is not None and not override_timetable:
        raise click.UsageError("--reason is only used with --override-timetable")
    _print_change(
        run(
            state.app(),
            ref,
            override_timetable=override_timetable,
            reason=reason,
            expected_version=expected_version,
        ),
        as_json,
    )


@review.command(name="return")
@click.argument("ref")
@click.option("--to", "to", required=True, help="The earlier stage to return to.")
@click.option("--reason", required=True, help="Why the review goes back.")
@expect_version_option
@json_option
@pass_state
def return_(
    state: State, ref: str, to: str, reason: str, expected_version: int | None, as_json: bool
) -> None:
    """Send a review back to an earlier stage; its discussion period starts again.

    \b
    Example:
      bvflow review return BV-2027-001 --to compare --reason "Benchmarks were out of date"
    """
    from bvflow.services.reviews import return_review

    _print_change(return_review(state.app(), ref, to, reason, expected_version), as_json)


@review.command()
@click.argument("ref")
@click.option("--reason", required=True, help="Why the review is paused.")
@expect_version_option
@json_option
@pass_state
def suspend(
    state: State, ref: str, reason: str, expected_version: int | None, as_json: bool
) -> None:
    """Pause a review; suspended days do not count toward any period.

    \b
    Example:
      bvflow review suspend BV-2027-001 --reason "Purdah before the local elections"
    """
    from bvflow.services.reviews import suspend as run

    _print_change(run(state.app(), ref, reason, expected_version), as_json)


@review.command()
@click.argument("ref")
@expect_version_option
@json_option
@pass_state
def resume(state: State, ref: str, expected_version: int | None, as_json: bool) -> None:
    """Restart a suspended review in the stage where it stopped.

    \b
    Example:
      bvflow review resume BV-2027-001
    """
    from bvflow.services.reviews import resume as run

    _print_change(run(state.app(), ref, expected_version), as_json)


@review.command()
@click.argument("ref")
@click.option("--reason", required=True, help="Why the review is abandoned.")
@expect_version_option
@json_option
@pass_state
def abandon(
    state: State, ref: str, reason: str, expected_version: int | None, as_json: bool
) -> None:
    """End a review without completing it.

    \b
    Example:
      bvflow review abandon BV-2027-001 --reason "Service transferred to the county"
    """
    from bvflow.services.reviews import abandon as run

    _print_change(run(state.app(), ref, reason, expected_version), as_json)


@review.command()
@click.argument("ref")
@click.argument("email")
@click.option("--name", default="", help="The recipient's name, for the greeting.")
@pass_state
def watch(state: State, ref: str, email: str, name: str) -> None:
    """Send a review's notices and reminders to an address too.

    \b
    Example:
      bvflow review watch BV-2027-001 branch.secretary@unison.example --name "UNISON branch"
    """
    from bvflow.services.watchers import watch as run

    added = run(state.app(), ref, email, name)
    click.echo(f"{added.email} now receives notices for {ref.upper()}")


@review.command()
@click.argument("ref")
@click.argument("email")
@pass_state
def unwatch(state: State, ref: str, email: str) -> None:
    """Stop sending a review's notices to an address.

    \b
    Example:
      bvflow review unwatch BV-2027-001 branch.secretary@unison.example
    """
    from bvflow.services.watchers import unwatch as run

    run(state.app(), ref, email)
    click.echo(f"{email} no longer receives notices for {ref.upper()}")


COMMANDS = [review]
