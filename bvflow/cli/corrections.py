"""Corrections, never deletions: ``evidence amend|withdraw``, ``agreement amend|withdraw``,
``activity withdraw``, ``party update`` and ``review amend``, each with a required reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bvflow.cli._base import ID, State, emit_json, json_option, pass_state
from bvflow.cli.evidence import evidence
from bvflow.cli.involvement import DISCLOSURE, activity, agreement, party
from bvflow.cli.reviews import review

if TYPE_CHECKING:
    from bvflow.services.corrections import CorrectionView

REASON = click.option(
    "--reason", required=True, help="Why the record is corrected (kept in the audit trail)."
)


def _done(view: CorrectionView, as_json: bool) -> None:
    if as_json:
        emit_json(view.as_dict())
    else:
        click.echo(f"Corrected {view.review}: {view.describe()}")


@evidence.command(name="amend")
@click.argument("ref")
@click.argument("evidence_id", type=ID)
@click.option("--title", help="The corrected title.")
@click.option("--kind", help="The corrected kind.")
@click.option("--disclosure", type=DISCLOSURE, help="The corrected disclosure level.")
@REASON
@json_option
@pass_state
def evidence_amend(
    state: State,
    ref: str,
    evidence_id: int,
    title: str | None,
    kind: str | None,
    disclosure: str | None,
    reason: str,
    as_json: bool,
) -> None:
    """Correct an evidence item's title, kind or disclosure (the old value stays on record).

    \b
    Example:
      bvflow evidence amend BV-2027-001 3 --title "Baseline 2025-26" --reason "Wrong year"
    """
    from bvflow.services.corrections import amend_evidence

    view = amend_evidence(state.app(), ref, evidence_id, reason, title, kind, disclosure)
    _done(view, as_json)


@evidence.command(name="withdraw")
@click.argument("ref")
@click.argument("evidence_id", type=ID)
@REASON
@json_option
@pass_state
def evidence_withdraw(
    state: State, ref: str, evidence_id: int, reason: str, as_json: bool
) -> None:
    """Withdraw evidence: it stops counting for the stage's requirements, and stays on record.

    \b
    Example:
      bvflow evidence withdraw BV-2027-001 3 --reason "Superseded by the audited figures"
    """
    from bvflow.services.corrections import withdraw_evidence

    _done(withdraw_evidence(state.app(), ref, evidence_id, reason), as_json)


@agreement.command(name="amend")
@click.argument("ref")
@click.argument("agreement_id", type=ID)
@click.option("--agreed-by", "agreed_by", multiple=True, help="Who agreed, in full (repeat).")
@click.option("--dissent", multiple=True, help="Who dissented, in full (repeat).")
@click.option("--no-dissent", is_flag=True, help="No organisation dissented after all.")
@click.option("--note", help="The corrected note.")
@click.option(
    "--external", multiple=True, help="An organisation not on the working party (repeat)."
)
@REASON
@json_option
@pass_state
def agreement_amend(
    state: State,
    ref: str,
    agreement_id: int,
    agreed_by: tuple[str, ...],
    dissent: tuple[str, ...],
    no_dissent: bool,
    note: str | None,
    external: tuple[str, ...],
    reason: str,
    as_json: bool,
) -> None:
    """Correct who agreed or dissented, or the note (a mistyped organisation, say).

    \b
    Example:
      bvflow agreement amend BV-2027-001 2 --agreed-by "UNISON City Branch" --reason "Typo"
    """
    from bvflow.errors import InputError
    from bvflow.services.corrections import amend_agreement

    if no_dissent and dissent:
        raise InputError("give --dissent or --no-dissent, not both")
    dissenting = () if no_dissent else (dissent or None)
    view = amend_agreement(
        state.app(), ref, agreement_id, reason, agreed_by, dissenting, note, external
    )
    _done(view, as_json)


@agreement.command(name="withdraw")
@click.argument("ref")
@click.argument("agreement_id", type=ID)
@REASON
@json_option
@pass_state
def agreement_withdraw(
    state: State, ref: str, agreement_id: int, reason: str, as_json: bool
) -> None:
    """Withdraw an agreement: the item counts as not agreed, and stays on record.

    \b
    Example:
      bvflow agreement withdraw BV-2027-001 2 --reason "Recorded against the wrong item"
    """
    from bvflow.services.corrections import withdraw_agreement

    _done(withdraw_agreement(state.app(), ref, agreement_id, reason), as_json)


@activity.command(name="withdraw")
@click.argument("ref")
@click.argument("activity_id", type=ID)
@REASON
@json_option
@pass_state
def activity_withdraw(
    state: State, ref: str, activity_id: int, reason: str, as_json: bool
) -> None:
    """Withdraw an involvement activity recorded by mistake (it stops counting).

    \b
    Example:
      bvflow activity withdraw BV-2027-001 4 --reason "Entered twice"
    """
    from bvflow.services.corrections import withdraw_activity

    _done(withdraw_activity(state.app(), ref, activity_id, reason), as_json)


@party.command(name="update")
@click.argument("ref")
@click.argument("email")
@click.option("--name", help="The corrected name.")
@click.option("--organisation", help="The corrected organisation.")
@click.option("--category", help="The corrected category.")
@click.option("--role", help="The corrected role.")
@REASON
@json_option
@pass_state
def party_update(
    state: State,
    ref: str,
    email: str,
    name: str | None,
    organisation: str | None,
    category: str | None,
    role: str | None,
    reason: str,
    as_json: bool,
) -> None:
    """Correct a member's name, organisation, category or role.

    \b
    Example:
      bvflow party update BV-2027-001 sam@unison.example --name "Sam Patel" --reason "Typo"
    """
    from bvflow.services.corrections import update_member

    view = update_member(state.app(), ref, email, reason, name, organisation, category, role)
    _done(view, as_json)


@review.command(name="amend")
@click.argument("ref")
@click.option("--title", help="The corrected title.")
@click.option("--service", help="The corrected service.")
@click.option("--coordinator", help="The corrected coordinator's email.")
@REASON
@json_option
@pass_state
def review_amend(
    state: State,
    ref: str,
    title: str | None,
    service: str | None,
    coordinator: str | None,
    reason: str,
    as_json: bool,
) -> None:
    """Correct a review's title, service or coordinator.

    \b
    Example:
      bvflow review amend BV-2027-001 --coordinator ann@exampleshire.gov.uk --reason "Jo left"
    """
    from bvflow.services.corrections import amend_review

    _done(amend_review(state.app(), ref, reason, title, service, coordinator), as_json)


COMMANDS: list[click.Command] = []  # the commands join the groups above when imported
