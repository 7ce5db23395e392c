"""``bvflow audit``: query the trail, verify the chain, take a checkpoint."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

import click

from bvflow.cli._base import (
    DATE,
    State,
    describe_event,
    emit_json,
    json_option,
    london,
    pass_state,
    table_text,
)
from bvflow.cli._export import Columns, Output, emit_rows, output_options
from bvflow.errors import IntegrityError

if TYPE_CHECKING:
    from bvflow.domain.audit import SealedEvent

AUDIT_COLUMNS = Columns(
    ("seq", "at", "actor", "login", "action", "review", "from_stage", "to_stage", "payload",
     "hash"),
    dates=frozenset({"at"}),
)
ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


@click.group()
def audit() -> None:
    """The tamper-evident audit trail: who did what, when, under which rules."""


@audit.command()
@click.option("--review", help="Only events of this review.")
@click.option("--actor", "who", help="Only events by this actor.")
@click.option(
    "--action",
    help="Only this action, e.g. review.timetable_overridden, or a glob such as 'review.*'; "
    "a name no event can have is an error that lists the known ones.",
)
@click.option("--since", type=DATE, help="From this date (YYYY-MM-DD, Europe/London).")
@click.option("--until", type=DATE, help="Up to and including this date.")
@output_options
@pass_state
def log(
    state: State,
    review: str | None,
    who: str | None,
    action: str | None,
    since: date | None,
    until: date | None,
    output: Output,
) -> None:
    """Show audit events, oldest first.

    \b
    Example:
      bvflow audit log --review BV-2027-001 --since 2027-01-01 --csv > trail.csv
      bvflow audit log --review BV-2027-001 --format xlsx -o trail.xlsx
    """
    from bvflow.services.audit import audit_log
    from bvflow.services.reviews import event_dict

    found = audit_log(state.app(), review, who, action, since, until)
    rows = [event_dict(e) for e in found]
    emit_rows(state, output, rows, AUDIT_COLUMNS, "Audit trail", lambda: _table(found))


def _table(found: list[SealedEvent]) -> str:
    return table_text(
        [
            (
                str(e.seq),
                london(e.at),
                e.actor,
                e.login or e.data.get("login") or "-",
                e.review or "-",
                describe_event(e),
            )
            for e in found
        ],
        ("SEQ", "WHEN (LONDON)", "ACTOR", "LOGIN", "REVIEW", "EVENT"),
    )


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    match = ANCHOR.match(value.strip())
    if match is None:
        raise click.BadParameter(
            "expected SEQ:HASH as printed by 'bvflow audit checkpoint'", param_hint="--checkpoint"
        )
    return int(match.group(1)), match.group(2)


@audit.command()
@click.option(
    "--checkpoint",
    "anchor",
    metavar="SEQ:HASH",
    help="Also check against a checkpoint recorded earlier outside the database.",
)
@click.option(
    "--chain-only",
    is_flag=True,
    help="Only re-hash the chain (quick); by default the stored state is rebuilt from the "
    "chain and compared too.",
)
@json_option
@pass_state
def verify(state: State, anchor: str | None, chain_only: bool, as_json: bool) -> None:
    """Check the record: exit 0 "intact", or exit 5 naming what was altered.

    Re-hashes the chain, then rebuilds every review's state (stages, evidence, agreements,
    dissent, the pinned rules...) from the events and compares it with the stored tables.
    A difference names the table, the row, the column, the stored and the expected values,
    and the event that set them. See docs/audit.md.

    \b
    Example:
      bvflow audit verify --checkpoint 42:9f2c...
    """
    from bvflow.services.audit import verify as run

    result = run(state.app(), _anchor(anchor), chain_only)
    verdict = result.chain
    if as_json:
        emit_json(result.as_dict())
    elif result.intact:
        what = "chain" if chain_only else "chain and state"
        click.echo(
            f"intact: {verdict.checked} events, head {verdict.head_seq}:{verdict.head_hash} "
            f"({what} checked)"
        )
    if not verdict.intact:
        where = f" at event {verdict.bad_seq}" if verdict.bad_seq is not None else ""
        raise IntegrityError(f"audit trail broken{where}: {verdict.problem}", verdict.bad_seq)
    if result.total:
        if not as_json:
            for difference in result.differences[1:]:
                click.echo(f"  {difference.describe()}", err=True)
        more = result.total - 1
        listed = " listed above" if not as_json else ""
        also = f" (and {more} more difference{'s' if more != 1 else ''}{listed})" if more else ""
        raise IntegrityError(
            f"the stored state differs from the chain: {result.differences[0].describe()}{also}",
            None,
        )


@audit.command()
@json_option
@pass_state
def checkpoint(state: State, as_json: bool) -> None:
    """Print the chain's sequence number and head hash, to record somewhere else.

    \b
    Example:
      bvflow audit checkpoint >> checkpoints.txt
    """
    from bvflow.services.audit import checkpoint as run

    point = run(state.app())
    if as_json:
        emit_json(point.as_dict())
    else:
        click.echo(f"{point.seq}:{point.hash}")


COMMANDS = [audit]
