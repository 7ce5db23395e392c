"""``bvflow demo``: one review through its whole lifecycle on a fresh database."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from bvflow.cli._base import State, pass_state


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to put the demo database (default: a new temporary folder).",
)
@pass_state
def demo(state: State, directory: Path | None) -> None:
    """Run a review through the lifecycle on a fresh SQLite database, with a simulated clock.

    Shows a refusal for insufficient discussion time (and missing evidence), an audited
    timetable override, a suspension that stops the clock, and 'audit verify'; then says
    where the database is so that you can explore it with the other commands.

    \b
    Example:
      bvflow demo
    """
    from bvflow.demo import run_demo
    from bvflow.errors import InputError

    folder = directory or Path(tempfile.mkdtemp(prefix="bvflow-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bvflow.db"
    if path.exists():
        raise InputError(f"{path} already exists; give the demo an empty --dir")
    ref = run_demo(folder.resolve(), state.actor, click.echo)
    click.echo(f"\nThe demo database is {path}. Explore it:")
    for command in (
        f"party list {ref}",
        f"agreement list {ref}",
        f"outbox list --review {ref}",
        f"review show {ref}",
        "review list",
        f"audit log --review {ref}",
        "audit verify",
        f"evidence list {ref}",
    ):
        click.echo(f"  bvflow --db {path} {command}")


COMMANDS = [demo]
