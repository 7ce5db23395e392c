"""``bvflow publish``: the public site, a folder of static pages for the council's website."""

from __future__ import annotations

from pathlib import Path

import click

from bvflow.cli._base import State, emit_json, json_option, pass_state


@click.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="The site's folder: new, empty, or one bvflow publish wrote before (it is replaced).",
)
@json_option
@pass_state
def publish(state: State, out: Path, as_json: bool) -> None:
    """Write the public site: the programme of reviews, a page per review, an Atom feed.

    Only what the disclosure rules make public. The first time a meeting's agenda and
    papers are on the site is recorded: a committee, cabinet or council meeting's public
    notice counts from then. Run it after each sweep, or from cron; a run that changes
    nothing writes nothing.

    \b
    Example:
      bvflow publish --out /srv/www/reviews
    """
    from bvflow.services.publish import publish as publish_site

    result = publish_site(state.app(), out)
    if as_json:
        emit_json(result.as_dict())
        return
    if not result.changed:
        click.echo(f"{out}: unchanged ({result.files} files)")
        return
    first = len(result.first_published)
    gone = f", {len(result.removed)} removed" if result.removed else ""
    click.echo(f"published {out}: {result.files} files{gone}; {first} first published "
               f"(event {result.event})")


COMMANDS = [publish]
