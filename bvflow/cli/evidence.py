"""``bvflow evidence``: record and list the evidence a review's stages require."""

from __future__ import annotations

from pathlib import Path

import click

from bvflow.cli._base import (
    State,
    emit_json,
    emit_table,
    expect_version_option,
    json_option,
    pass_state,
    withdrawn,
)


@click.group(name="evidence")
def evidence() -> None:
    """Evidence recorded for a review: scope statements, baselines, benchmarks, plans."""


@evidence.command()
@click.argument("ref")
@click.option("--kind", required=True, help="The evidence kind, e.g. scope_statement.")
@click.option("--title", required=True, help="A short title.")
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A file to keep with the evidence (stored in the database, hashed).",
)
@click.option(
    "--disclosure",
    type=click.Choice(["public", "restricted", "confidential"]),
    help="Who may see it: everyone, the working party, or the council only "
    "[default: as agreed for the review's information, else restricted].",
)
@expect_version_option
@json_option
@pass_state
def add(
    state: State,
    ref: str,
    kind: str,
    title: str,
    file: Path | None,
    disclosure: str | None,
    expected_version: int | None,
    as_json: bool,
) -> None:
    """Record evidence in the review's current stage.

    \b
    Example:
      bvflow evidence add BV-2027-001 --kind scope_statement --title "Scope" --file scope.pdf
    """
    from bvflow.services.evidence import add_evidence

    view = add_evidence(state.app(), ref, kind, title, file, disclosure, expected_version)
    if as_json:
        emit_json(view.as_dict())
    else:
        click.echo(
            f"Evidence {view.id} ({view.kind}) recorded for {view.review} in stage {view.stage}"
        )


@evidence.command(name="list")
@click.argument("ref")
@json_option
@pass_state
def list_(state: State, ref: str, as_json: bool) -> None:
    """List a review's evidence, oldest first.

    \b
    Example:
      bvflow evidence list BV-2027-001 --json
    """
    from bvflow.services.evidence import list_evidence

    found = list_evidence(state.app(), ref)
    if as_json:
        emit_json([e.as_dict() for e in found])
        return
    emit_table(
        [
            (str(e.id), e.stage, e.kind, e.disclosure, e.file_name or "-",
             withdrawn(e.title, e.withdrawn_reason))
            for e in found
        ],
        ("ID", "STAGE", "KIND", "DISCLOSURE", "FILE", "TITLE"),
    )


COMMANDS = [evidence]
