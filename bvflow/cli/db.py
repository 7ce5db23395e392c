"""``bvflow init`` and ``bvflow db``: create, upgrade and inspect the database."""

from __future__ import annotations

import click

from bvflow.cli._base import State, emit_json, json_option, pass_state


@click.command()
@click.option("--authority", help='The council\'s name, e.g. "Exampleshire County Council".')
@click.option(
    "--nation",
    type=click.Choice(["england", "wales", "scotland", "northern-ireland"]),
    help="Whose bank holidays count as non-working days.",
)
@click.option(
    "--acting-for",
    type=click.Choice(["allow", "forbid"]),
    help="Whether --actor may name someone other than the login (recorded beside it) "
    "[default for a new database: allow]. On PostgreSQL only the owner can change it.",
)
@click.option(
    "--sender",
    metavar="EMAIL",
    help="The address notices come from, e.g. bestvalue@exampleshire.gov.uk "
    "([mail] from in the settings overrides it).",
)
@pass_state
def init(
    state: State,
    authority: str | None,
    nation: str | None,
    acting_for: str | None,
    sender: str | None,
) -> None:
    """Create the database (or upgrade it) and record the authority.

    \b
    Example:
      bvflow init --authority "Exampleshire County Council" --nation england
      bvflow init --sender bestvalue@exampleshire.gov.uk
    """
    from bvflow.services import setup

    app = state.app(check_schema=False)
    result = setup.init(app, authority, nation, acting_for, sender)
    verb = "Created" if result.created else ("Upgraded" if app.db.path else "Initialised")
    sent = f"; notices come from {result.sender}" if result.sender else ""
    if sent and app.settings.sender:
        sent += f" ([mail] from overrides it: {app.settings.sender})"
    click.echo(
        f"{verb} {app.db.describe()} (schema {result.revision}) for {result.authority} "
        f"({result.nation}){sent}"
    )
    warning = app.settings.unanswerable(result.sender)
    if warning:
        click.echo(f"Warning: {warning}", err=True)


@click.group(name="db")
def db_group() -> None:
    """Database schema: upgrade to this version of bvflow, or show the current revision."""


@db_group.command()
@pass_state
def upgrade(state: State) -> None:
    """Apply any pending migrations.

    \b
    Example:
      bvflow --db bvflow.db db upgrade
    """
    from bvflow.store import migrate

    app = state.app(check_schema=False)
    app.db.require_exists()
    migrate.upgrade(app.db)
    click.echo(f"{app.db.describe()} is at schema {migrate.head_revision()}")


@db_group.command()
@json_option
@pass_state
def current(state: State, as_json: bool) -> None:
    """Show the database's schema revision and the one this bvflow expects.

    \b
    Example:
      bvflow db current
    """
    from bvflow.store.database import SCHEMA_HEAD

    app = state.app(check_schema=False)
    app.db.require_exists()
    found = app.db.schema_revision()
    if as_json:
        emit_json(
            {
                "database": app.db.describe(),
                "revision": found,
                "expected": SCHEMA_HEAD,
                "up_to_date": found == SCHEMA_HEAD,
            }
        )
        return
    status = "up to date" if found == SCHEMA_HEAD else f"this bvflow expects {SCHEMA_HEAD}"
    click.echo(f"{app.db.describe()}: schema {found or 'none'} ({status})")


COMMANDS = [init, db_group]
