"""``bvflow report``: review reports, the inspection pack, the programme."""

from __future__ import annotations

from pathlib import Path

import click

from bvflow.cli._base import State, emit_json, json_option, pass_state


@click.group()
def report() -> None:
    """Reports for the public, the working party, the council and inspectors."""


def _write(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    from bvflow.errors import InputError

    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from exc
    click.echo(f"wrote {out}", err=True)


@report.command(name="review")
@click.argument("ref")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of stdout.",
)
@click.option(
    "--audience",
    type=click.Choice(["public", "working-party", "internal"]),
    default="internal",
    show_default=True,
    help="What may be disclosed; overrides and dissent appear in every audience.",
)
@pass_state
def review_(state: State, ref: str, fmt: str, out: Path | None, audience: str) -> None:
    """A review's report: timetable, overrides, agreements, involvement, performance, plan.

    \b
    Example:
      bvflow report review BV-2027-001 --audience public -o refuse-review.html
    """
    from bvflow.services.reports import review_report

    _write(review_report(state.app(), ref, fmt, audience), out)


@report.command()
@click.argument("ref")
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The zip file to write.",
)
@json_option
@pass_state
def inspection(state: State, ref: str, out: Path, as_json: bool) -> None:
    """The inspection pack: report, evidence index, audit trail CSV, verification result.

    \b
    Example:
      bvflow report inspection BV-2027-001 -o pack.zip
    """
    from bvflow.services.reports import inspection_pack

    result = inspection_pack(state.app(), ref, out)
    if as_json:
        emit_json(result)
    else:
        verdict = "intact" if result["intact"] else "BROKEN"
        click.echo(f"wrote {out}: {', '.join(result['files'])} (audit trail {verdict})")
    if not result["intact"]:
        from bvflow.errors import IntegrityError

        raise IntegrityError(
            f"the pack was written, but the audit trail does not verify; see verify.json in {out}"
        )


@report.command()
@click.option(
    "--year", type=click.IntRange(1990, 2200), help="Reviews opened or running in this year."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "csv", "json"]),
    default="html",
    show_default=True,
)
@click.option("-o", "--output", "out", type=click.Path(path_type=Path, dir_okay=False))
@pass_state
def programme(state: State, year: int | None, fmt: str, out: Path | None) -> None:
    """Every review on one timeline, with its stage and status.

    \b
    Example:
      bvflow report programme --year 2027 -o programme.html
    """
    from bvflow.services.reports import programme as render

    _write(render(state.app(), year, fmt), out)


COMMANDS = [report]
