"""``bvflow sweep``, ``scheduler run``, ``outbox`` and ``notify preview``: getting word out."""

from __future__ import annotations

import click

from bvflow.cli._base import ID, State, emit_json, emit_table, json_option, pass_state


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would be queued; queue and send nothing.")
@json_option
@pass_state
def sweep(state: State, dry_run: bool, as_json: bool) -> None:
    """One idempotent pass: queue the reminders due now, then deliver the outbox.

    Safe to run from cron as often as you like (a second run the same day queues nothing).

    \b
    Example:
      bvflow sweep --dry-run
      */5 * * * *  bvflow --db /srv/bvflow/bvflow.db sweep
    """
    from bvflow.services.delivery import sweep as run

    report = run(state.app(), dry_run)
    if as_json:
        emit_json(report.as_dict())
    elif dry_run:
        click.echo(f"would queue {len(report.would_queue)} message(s)")
        for item in report.would_queue:
            click.echo(f"  {item['kind']} to {item['recipient']}")
    else:
        click.echo(
            f"queued {report.queued}, sent {report.sent}, retrying {report.retrying}, "
            f"failed {report.failed}"
        )
    if not as_json:
        for warning in report.warnings(state.app().settings.late_after_minutes):
            click.echo(f"Warning: {warning}", err=True)


@click.group()
def scheduler() -> None:
    """The long-running reminder and notice daemon."""


@scheduler.command()
@click.option("--every", default="5m", show_default=True, help="How often to sweep: 30s, 5m, 1h.")
@pass_state
def run(state: State, every: str) -> None:
    """Sweep on a timer until SIGTERM or Ctrl-C; only one may run per database.

    \b
    Example:
      bvflow --db /srv/bvflow/bvflow.db scheduler run --every 5m
    """
    import logging

    from bvflow.scheduler import parse_interval
    from bvflow.scheduler import run as run_scheduler

    seconds = parse_interval(every)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    run_scheduler(state.app(), seconds)


@click.group()
def outbox() -> None:
    """Queued, sent and failed messages."""


@outbox.command(name="list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed"]))
@click.option("--review", "ref", help="Only messages about this review.")
@json_option
@pass_state
def list_(state: State, status: str | None, ref: str | None, as_json: bool) -> None:
    """List outbox messages (not their bodies).

    \b
    Example:
      bvflow outbox list --status failed
    """
    from bvflow.services.outbox import list_messages

    found = list_messages(state.app(), status, ref)
    if as_json:
        emit_json([m.as_dict() for m in found])
        return
    emit_table(
        [
            (
                str(m.id),
                m.status,
                str(m.attempts),
                m.review or "-",
                m.kind,
                m.recipient,
                m.last_error or "",
            )
            for m in found
        ],
        ("ID", "STATUS", "TRIES", "REVIEW", "KIND", "RECIPIENT", "LAST ERROR"),
    )


@outbox.command()
@click.argument("message_id", required=False, type=ID)
@click.option("--all-failed", is_flag=True, help="Retry every failed message.")
@pass_state
def retry(state: State, message_id: int | None, all_failed: bool) -> None:
    """Queue failed messages again (after fixing the mail settings or a template).

    \b
    Example:
      bvflow outbox retry 42
      bvflow outbox retry --all-failed
    """
    from bvflow.services.outbox import retry as run

    ids = run(state.app(), message_id, all_failed)
    click.echo(f"queued again: {', '.join(map(str, ids)) or 'nothing'}")


@click.group()
def notify() -> None:
    """Notice templates."""


@notify.command()
@click.argument("kind")
@click.option("--review", "ref", required=True, help="The review to render it for.")
@click.option("--html", is_flag=True, help="Print the HTML alternative instead of the text.")
@pass_state
def preview(state: State, kind: str, ref: str, html: bool) -> None:
    """Render a notice for a review without queueing or sending it.

    \b
    Example:
      bvflow notify preview reminder_due_soon --review BV-2027-001
    """
    from bvflow.services.outbox import preview as render

    rendered = render(state.app(), kind, ref)
    click.echo(f"Subject: {rendered.subject}\n")
    click.echo(rendered.html if html else rendered.text, nl=False)


COMMANDS = [sweep, scheduler, outbox, notify]
