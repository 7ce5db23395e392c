"""``bvflow indicator``: a service's own indicators, recorded every year (no review needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bvflow.cli._base import State, emit_json, json_option, pass_state, table_text
from bvflow.cli._export import Columns, Output, emit_rows, output_options

SERVICE = click.option("--service", required=True, help="The service, e.g. 'Housing repairs'.")


@click.group()
def indicator() -> None:
    """A service's own performance indicators, outturns and targets, year by year."""


@indicator.command(name="add")
@SERVICE
@click.argument("code")
@click.option("--name", required=True, help="What the indicator measures.")
@click.option("--unit", default="", help="e.g. %, days, per 100,000.")
@click.option("--higher-is-better/--lower-is-better", default=True, show_default=True)
@click.option("--national/--local", default=False, help="Nationally prescribed, or local.")
@click.option("--tolerance", type=float, help="How far short of target (in the unit) is "
              "still 'within tolerance'.")
@click.option("--target", "targets", multiple=True, help="PERIOD=VALUE (repeat).")
@json_option
@pass_state
def add(
    state: State, service: str, code: str, name: str, unit: str, higher_is_better: bool,
    national: bool, tolerance: float | None, targets: tuple[str, ...], as_json: bool,
) -> None:
    """Add an indicator to a service, with a tolerance and its targets by year.

    \b
    Example:
      bvflow indicator add --service Waste BV82a --name "Waste recycled" --unit % --tolerance 2
      bvflow indicator add --service Waste BV86 --name "Cost" --lower-is-better --target 2027-28=48
    """
    from bvflow.services.performance import parse_targets
    from bvflow.services.service_indicators import add_service_indicator

    found = add_service_indicator(
        state.app(), service, code, name, unit, higher_is_better, national, tolerance,
        parse_targets(targets),
    )
    if as_json:
        emit_json(found.as_dict())
        return
    click.echo(f"Indicator {found.code} added to {found.service}")


@indicator.command(name="record")
@SERVICE
@click.argument("code")
@click.option("--period", "when", required=True, help="e.g. 2026-27.")
@click.option("--value", type=float, required=True)
@click.option("--target", "is_target", is_flag=True, help="Record a target, not an outturn.")
@pass_state
def record(
    state: State, service: str, code: str, when: str, value: float, is_target: bool
) -> None:
    """Record a year's outturn (or, with --target, a target), replacing any earlier figure.

    \b
    Example:
      bvflow indicator record --service "Housing repairs" BV72 --period 2026-27 --value 90.5
    """
    from bvflow.services.service_indicators import record_service_value

    kind = "target" if is_target else "actual"
    found = record_service_value(state.app(), service, code, kind, when, value)
    if is_target:
        click.echo(f"{found.service} {found.code} {when} target: {value:g}")
    else:
        click.echo(f"{found.service} {found.code} {when} outturn: {value:g} ({found.status})")


@indicator.command(name="import")
@SERVICE
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_state
def import_(state: State, service: str, file: Path) -> None:
    """Import other authorities' figures (authority, code, period, value) from a CSV extract.

    Rows for indicators the service does not track are skipped; any bad row refuses the
    whole file, naming its line.

    \b
    Example:
      bvflow indicator import --service "Housing repairs" family-group-2026-27.csv
    """
    from bvflow.services.service_indicators import import_service_comparators

    result = import_service_comparators(state.app(), service, file)
    click.echo(
        f"imported {result.imported} new, {result.updated} updated, "
        f"{result.skipped} skipped (indicators not tracked, or the authority's own)"
    )


COLUMNS = Columns(
    ("service", "code", "name", "unit", "higher_is_better", "national", "tolerance",
     "latest_period", "latest", "status", "trend", "targets", "actuals", "benchmark"),
)


@indicator.command(name="list")
@click.option("--service", help="Only this service's indicators.")
@output_options
@pass_state
def list_(state: State, service: str | None, output: Output) -> None:
    """Each service's indicators: the latest outturn, its status against target (on target,
    within tolerance, off target), the trend and the quartile among other authorities.

    \b
    Example:
      bvflow indicator list --service "Housing repairs"
      bvflow indicator list --format xlsx -o indicators.xlsx
    """
    from bvflow.services.service_indicators import service_indicator_list

    found = [i.as_dict() for i in service_indicator_list(state.app(), service)]
    emit_rows(state, output, found, COLUMNS, "Service indicators", lambda: _table(found))


def _table(found: list[dict[str, Any]]) -> str:
    if not found:
        return "No service indicators; 'bvflow indicator add' adds one.\n"
    return table_text(
        [
            (
                i["service"],
                i["code"],
                i["name"],
                f"{i['latest']:g} ({i['latest_period']})" if i["latest_period"] else "-",
                i["status"],
                i["trend"],
                _quartile(i["benchmark"]),
            )
            for i in found
        ],
        ("SERVICE", "CODE", "NAME", "LATEST", "STATUS", "TREND", "QUARTILE"),
    )


def _quartile(found: dict[str, Any] | None) -> str:
    if not found:
        return "-"
    return f"{found['quartile']} (rank {found['rank']} of {found['of']}, {found['period']})"


COMMANDS = [indicator]
