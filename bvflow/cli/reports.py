"""``bvflow report``: review reports, the inspection pack, the programme, competency."""

from __future__ import annotations

from pathlib import Path

import click

from bvflow.cli._base import State, emit_json, json_option, pass_state
from bvflow.cli._export import deliver, output_option, refuse_binary_on_terminal


@click.group()
def report() -> None:
    """Reports for the public, the working party, the council and inspectors."""


force_option = click.option(
    "--force", is_flag=True, help="Replace the output file if it exists (never the database)."
)


@report.command(name="review")
@click.argument("ref")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True
)
@output_option
@click.option(
    "--audience",
    type=click.Choice(["public", "working-party", "internal"]),
    default="internal",
    show_default=True,
    help="What may be disclosed; overrides and dissent appear in every audience.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="SEQ|DATE|'DATE HH:MM'",
    help="The report as the record stood then (an event number, the end of a London day, "
    "or a London time), replayed from the audit chain.",
)
@force_option
@pass_state
def review_(
    state: State,
    ref: str,
    fmt: str,
    out: Path | None,
    audience: str,
    as_of: str | None,
    force: bool,
) -> None:
    """A review's report: timetable, overrides, agreements, involvement, performance, plan.

    \b
    Example:
      bvflow report review BV-2027-001 --audience public -o refuse-review.html
    """
    from bvflow.services.reports import review_report

    deliver(state, review_report(state.app(), ref, fmt, audience, as_of), out, force)


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
@force_option
@json_option
@pass_state
def inspection(state: State, ref: str, out: Path, force: bool, as_json: bool) -> None:
    """The inspection pack: report, evidence and its files, audit trail, verification result,
    earlier inspections with the responses, a README and a SHA-256 manifest.

    \b
    Example:
      bvflow report inspection BV-2027-001 -o pack.zip
    """
    from bvflow.services.reports import inspection_pack

    result = inspection_pack(state.app(), ref, out, force)
    if as_json:
        emit_json(result)
    else:
        verdict = "intact" if result["intact"] else "BROKEN"
        click.echo(f"wrote {out}: {_listed(result['files'])} (audit trail {verdict})")
    if not result["intact"]:
        from bvflow.errors import IntegrityError

        raise IntegrityError(
            f"the pack was written, but the audit trail does not verify; see verify.json in {out}"
        )


def _listed(files: list[str]) -> str:
    """The pack's files, each folder as one entry with its count."""
    top = [f for f in files if "/" not in f]
    folders: dict[str, int] = {}
    for name in files:
        if "/" in name:
            folders[name.split("/")[0]] = folders.get(name.split("/")[0], 0) + 1
    counted = [f"{d}/ ({n} file{'' if n == 1 else 's'})" for d, n in sorted(folders.items())]
    return ", ".join(sorted(top + counted))


@report.command()
@click.option(
    "--year", type=click.IntRange(1990, 2200), help="Reviews opened or running in this year."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "csv", "json", "xlsx"]),
    default="html",
    show_default=True,
    help="xlsx is a spreadsheet: give --output FILE or redirect stdout.",
)
@output_option
@force_option
@pass_state
def programme(state: State, year: int | None, fmt: str, out: Path | None, force: bool) -> None:
    """Every review on one timeline, with its stage and status.

    \b
    Example:
      bvflow report programme --year 2027 -o programme.html
      bvflow report programme --year 2027 --format xlsx -o programme.xlsx
    """
    from bvflow.services.reports import programme as render
    from bvflow.services.reports import programme_xlsx

    refuse_binary_on_terminal(fmt, out)
    app = state.app()
    made = programme_xlsx(app, year) if fmt == "xlsx" else render(app, year, fmt)
    deliver(state, made, out, force)


@report.command(name="performance-plan")
@click.option("--year", type=click.IntRange(1999, 2200), required=True,
              help="The plan's year: 2027 reports on 2026-27 and sets targets from 2027-28.")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "md", "xlsx"]), default="html",
    show_default=True, help="xlsx is a spreadsheet: give --output FILE or redirect stdout.",
)
@output_option
@force_option
@pass_state
def performance_plan(state: State, year: int, fmt: str, out: Path | None, force: bool) -> None:
    """The annual performance plan: each service's outturns, trend, comparison with other
    authorities and targets ahead, and the reviews completed in the year.

    \b
    Example:
      bvflow report performance-plan --year 2027 -o plan-2027.html
      bvflow report performance-plan --year 2027 --format xlsx -o plan-2027.xlsx
    """
    from bvflow.services.performance_plan import performance_plan as render

    refuse_binary_on_terminal(fmt, out)
    deliver(state, render(state.app(), year, fmt), out, force)


@report.command(name="involvement")
@click.argument("ref", required=False)
@click.option("--year", type=click.IntRange(1999, 2200),
              help="The year across the programme (default: this year; with REF, only the "
              "activities and meetings of that year count in the table of categories).")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "md", "csv", "json"]), default="html",
    show_default=True,
)
@output_option
@force_option
@pass_state
def involvement_(
    state: State, ref: str | None, year: int | None, fmt: str, out: Path | None, force: bool
) -> None:
    """The plan for involvement against the record: who was reached, who was not.

    \b
    Example:
      bvflow report involvement --year 2027 -o involvement-2027.html
      bvflow report involvement BV-2027-001 --format md
    """
    from bvflow.services.involvement_plan import involvement_report

    deliver(state, involvement_report(state.app(), year, ref, fmt), out, force)


@report.command(name="competency")
@click.option("--framework", help="The framework's name (default: best-value-competencies).")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "xlsx"]), default="html",
              show_default=True,
              help="xlsx is a spreadsheet: give --output FILE or redirect stdout.")
@output_option
@force_option
@pass_state
def competency_(state: State, framework: str | None, fmt: str, out: Path | None,
                force: bool) -> None:
    """A competency self-assessment: levels by round, gaps, evidence, development actions.

    \b
    Example:
      bvflow report competency -o competency.html
      bvflow report competency --format xlsx -o competency.xlsx
    """
    from bvflow.services.competency_report import competency_report

    refuse_binary_on_terminal(fmt, out)
    deliver(state, competency_report(state.app(), framework, fmt), out, force)


COMMANDS = [report]
