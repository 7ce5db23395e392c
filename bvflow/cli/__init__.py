"""The ``bvflow`` command: a thin click layer that parses, calls one service, prints."""

from __future__ import annotations

from pathlib import Path

import click

from bvflow import __version__
from bvflow.cli import (
    audit,
    calendar,
    corrections,
    db,
    demo,
    evidence,
    involvement,
    notify,
    performance,
    reports,
    reviews,
    workflows,
)
from bvflow.cli._base import EXIT_CODES, BVFlowGroup, State, default_actor


@click.group(cls=BVFlowGroup, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="bvflow")
@click.option(
    "--db",
    envvar="BVFLOW_DB",
    default="bvflow.db",
    show_default=True,
    help="SQLite file or SQLAlchemy URL (env BVFLOW_DB).",
)
@click.option(
    "--actor",
    envvar="BVFLOW_ACTOR",
    default=default_actor,
    help="Who is acting, for the audit trail (env BVFLOW_ACTOR; default: login name).",
)
@click.option(
    "--workflows",
    "workflows_dir",
    envvar="BVFLOW_WORKFLOWS",
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder of the council's own workflow files, searched before the "
    "bundled ones (env BVFLOW_WORKFLOWS).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="BVFLOW_CONFIG",
    help="Settings file (env BVFLOW_CONFIG; default: bvflow.toml beside the "
    "database, if there is one).",
)
@click.pass_context
def main(
    ctx: click.Context, db: str, actor: str, workflows_dir: Path | None, config: Path | None
) -> None:
    """Run Best Value service reviews through their stages, on a timetable that leaves time
    for full and genuine discussion, with an audit trail an inspector can verify.

    \b
    Example:
      bvflow init --authority "Exampleshire County Council" --nation england
      bvflow review create "Refuse collection" --service Waste --coordinator jo@example.gov.uk
    """
    from bvflow import inputs

    ctx.obj = State(
        db=db,
        actor=inputs.text(actor, "--actor", max_length=100),
        workflows_dir=workflows_dir,
        config=config,
    )


for module in (
    db,
    workflows,
    reviews,
    evidence,
    involvement,
    performance,
    audit,
    calendar,
    notify,
    reports,
    demo,
    corrections,
):
    for command in module.COMMANDS:
        main.add_command(command)
