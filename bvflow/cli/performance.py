"""``bvflow pi``, ``option`` and ``action``: indicators, the options appraisal, the plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from bvflow.cli._base import (
    DATE,
    ID,
    State,
    emit_json,
    emit_table,
    json_option,
    pass_state,
    table_text,
)
from bvflow.cli._export import Columns, Output, emit_rows, output_options


@click.group()
def pi() -> None:
    """Performance indicators: baselines, targets, actuals and benchmarking."""


@pi.command(name="add")
@click.argument("ref")
@click.argument("code")
@click.option("--name", required=True, help="What the indicator measures.")
@click.option("--unit", default="", help="e.g. %, days, per 100,000.")
@click.option("--higher-is-better/--lower-is-better", default=True, show_default=True)
@click.option("--national/--local", default=False, help="Nationally prescribed, or local.")
@click.option("--baseline", type=float, help="The baseline value.")
@click.option("--baseline-period", help="The baseline's period, e.g. 2025-26.")
@click.option("--target", "targets", multiple=True, help="PERIOD=VALUE (repeat).")
@pass_state
def pi_add(
    state: State,
    ref: str,
    code: str,
    name: str,
    unit: str,
    higher_is_better: bool,
    national: bool,
    baseline: float | None,
    baseline_period: str | None,
    targets: tuple[str, ...],
) -> None:
    """Add an indicator with its baseline and targets.

    \b
    Example:
      bvflow pi add BV-2027-001 BV82a --name "Household waste recycled" --unit % --baseline 31.5 --baseline-period 2025-26 --target 2027-28=40
    """
    from bvflow.services.performance import add_indicator, parse_targets

    add_indicator(
        state.app(),
        ref,
        code,
        name,
        unit,
        higher_is_better,
        national,
        baseline,
        baseline_period,
        parse_targets(targets),
    )
    click.echo(f"Indicator {code} added to {ref.upper()}")


@pi.command(name="record")
@click.argument("ref")
@click.argument("code")
@click.option("--period", "when", required=True, help="e.g. 2027-28.")
@click.option("--value", type=float, required=True)
@click.option("--target", "is_target", is_flag=True, help="Record a target, not an actual.")
@pass_state
def pi_record(state: State, ref: str, code: str, when: str, value: float, is_target: bool) -> None:
    """Record an actual (or, with --target, a target) for a period.

    \b
    Example:
      bvflow pi record BV-2027-001 BV82a --period 2027-28 --value 36.2
    """
    from bvflow.services.performance import record_value

    kind = "target" if is_target else "actual"
    record_value(state.app(), ref, code, kind, when, value)
    click.echo(f"{code} {kind} for {when}: {value:g}")


PI_COLUMNS = Columns(
    (
        "code",
        "name",
        "unit",
        "higher_is_better",
        "national",
        "baseline_value",
        "baseline_period",
        "targets",
        "actuals",
        "comparators",
    )
)


@pi.command(name="list")
@click.argument("ref")
@output_options
@pass_state
def pi_list(state: State, ref: str, output: Output) -> None:
    """List indicators with baselines, targets and actuals.

    \b
    Example:
      bvflow pi list BV-2027-001 --csv > indicators.csv
      bvflow pi list BV-2027-001 --format xlsx -o indicators.xlsx
    """
    from bvflow.services.performance import indicators

    found = [i.as_dict() for i in indicators(state.app(), ref)]
    emit_rows(state, output, found, PI_COLUMNS, f"Indicators {ref}", lambda: _pi_table(found))


def _pi_table(found: list[dict[str, Any]]) -> str:
    return table_text(
        [
            (
                i["code"],
                i["name"],
                i["unit"],
                f"{i['baseline_value']} ({i['baseline_period']})" if i["baseline_period"] else "-",
                ", ".join(f"{p}: {v:g}" for p, v in i["targets"].items()) or "-",
                ", ".join(f"{p}: {v:g}" for p, v in i["actuals"].items()) or "-",
                str(i["comparators"]),
            )
            for i in found
        ],
        ("CODE", "NAME", "UNIT", "BASELINE", "TARGETS", "ACTUALS", "COMPARATORS"),
    )


@pi.command(name="import")
@click.argument("ref")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_state
def pi_import(state: State, ref: str, file: Path) -> None:
    """Import comparator figures (authority, code, period, value) from a CSV extract.

    Rows for indicators the review does not track are skipped; any bad row refuses the whole
    file, naming its line.

    \b
    Example:
      bvflow pi import BV-2027-001 family-group-2025-26.csv
    """
    from bvflow.services.performance import import_comparators

    result = import_comparators(state.app(), ref, file)
    click.echo(
        f"imported {result.imported} new, {result.updated} updated, "
        f"{result.skipped} skipped (indicators not tracked, or the authority's own)"
    )


@pi.command(name="compare")
@click.argument("ref")
@click.option("--period", "when", help="The period to compare (default: the latest).")
@json_option
@pass_state
def pi_compare(state: State, ref: str, when: str | None, as_json: bool) -> None:
    """Each indicator's rank and quartile among comparators, and the top-quartile value.

    \b
    Example:
      bvflow pi compare BV-2027-001
    """
    from bvflow.services.performance import compare

    found = compare(state.app(), ref, when)
    if as_json:
        emit_json([c.as_dict() for c in found])
        return
    emit_table(
        [
            (
                c.code,
                c.period,
                f"{c.value:g}",
                f"{c.result.rank} of {c.result.of}",
                f"Q{c.result.quartile}",
                f"{c.result.top_quartile_threshold:g}",
            )
            for c in found
        ],
        ("CODE", "PERIOD", "VALUE", "RANK", "QUARTILE", "TOP QUARTILE"),
    )


@click.group()
def option() -> None:
    """The options appraisal: options scored against weighted criteria, and the choice."""


@option.command(name="add")
@click.argument("ref")
@click.argument("name")
@click.option("--description", default="")
@pass_state
def option_add(state: State, ref: str, name: str, description: str) -> None:
    """Add an option.

    \b
    Example:
      bvflow option add BV-2027-001 "In-house improvement"
    """
    from bvflow.services.appraisal import add_option

    add_option(state.app(), ref, name, description)
    click.echo(f"Option {name!r} added")


@option.command(name="criterion")
@click.argument("ref")
@click.argument("name")
@click.option("--weight", type=float, required=True)
@pass_state
def option_criterion(state: State, ref: str, name: str, weight: float) -> None:
    """Add a weighted criterion.

    \b
    Example:
      bvflow option criterion BV-2027-001 Quality --weight 40
    """
    from bvflow.services.appraisal import add_criterion

    add_criterion(state.app(), ref, name, weight)
    click.echo(f"Criterion {name!r} (weight {weight:g}) added")


@option.command(name="score")
@click.argument("ref")
@click.argument("name")
@click.argument("criterion")
@click.argument("value", type=float)
@pass_state
def option_score(state: State, ref: str, name: str, criterion: str, value: float) -> None:
    """Score an option against a criterion (0-100).

    \b
    Example:
      bvflow option score BV-2027-001 "In-house improvement" Quality 70
    """
    from bvflow.services.appraisal import score

    score(state.app(), ref, name, criterion, value)
    click.echo(f"{name} scores {value:g} on {criterion}")


@option.command(name="choose")
@click.argument("ref")
@click.argument("name")
@click.option("--rationale", required=True)
@pass_state
def option_choose(state: State, ref: str, name: str, rationale: str) -> None:
    """Choose the option to take forward, with the rationale.

    \b
    Example:
      bvflow option choose BV-2027-001 "In-house improvement" --rationale "Best value overall"
    """
    from bvflow.services.appraisal import choose

    choose(state.app(), ref, name, rationale)
    click.echo(f"{name!r} chosen")


@option.command(name="list")
@click.argument("ref")
@json_option
@pass_state
def option_list(state: State, ref: str, as_json: bool) -> None:
    """The appraisal: options ranked by weighted score, the chosen one marked.

    \b
    Example:
      bvflow option list BV-2027-001
    """
    from bvflow.services.appraisal import appraisal

    found = appraisal(state.app(), ref)
    if as_json:
        emit_json(found.as_dict())
        return
    emit_table(
        [
            (
                a.name,
                f"{a.total:g}",
                f"{a.scored}/{len(found.criteria)}",
                "CHOSEN" if a.chosen else "",
            )
            for a in found.ranked
        ],
        ("OPTION", "WEIGHTED SCORE", "SCORED", ""),
    )


@click.group()
def action() -> None:
    """The improvement plan: actions with owners, due dates and indicator targets."""


@action.command(name="add")
@click.argument("ref")
@click.option("--title", required=True)
@click.option("--owner", required=True, help="The owner's email address.")
@click.option("--due", type=DATE, required=True)
@click.option("--indicator", help="The indicator whose target it serves.")
@click.option("--priority", default="", help="The agreed priority it belongs to.")
@pass_state
def action_add(
    state: State, ref: str, title: str, owner: str, due: date, indicator: str | None, priority: str
) -> None:
    """Add an action to the improvement plan.

    \b
    Example:
      bvflow action add BV-2027-001 --title "Weekly food waste" --owner sam@example.gov.uk --due 2027-10-01 --indicator BV82a
    """
    from bvflow.services.plan import add_action

    found = add_action(state.app(), ref, title, owner, due, indicator, priority)
    click.echo(f"Action {found.id} added, due {found.due}")


@action.command(name="update")
@click.argument("ref")
@click.argument("action_id", type=ID)
@click.option("--status", type=click.Choice(["planned", "in_progress", "done", "dropped"]))
@click.option("--due", type=DATE)
@click.option("--owner")
@pass_state
def action_update(
    state: State, ref: str, action_id: int, status: str | None, due: date | None, owner: str | None
) -> None:
    """Update an action's status, due date or owner.

    \b
    Example:
      bvflow action update BV-2027-001 3 --status done
    """
    from bvflow.services.plan import update_action

    found = update_action(state.app(), ref, action_id, status, due, owner)
    click.echo(f"Action {found.id}: {found.status}, due {found.due}, owner {found.owner}")


ACTION_COLUMNS = Columns(
    ("id", "title", "owner", "due", "indicator", "priority", "status"),
    dates=frozenset({"due"}),
)


@action.command(name="list")
@click.argument("ref")
@output_options
@pass_state
def action_list(state: State, ref: str, output: Output) -> None:
    """List the improvement plan.

    \b
    Example:
      bvflow action list BV-2027-001 --csv > plan.csv
      bvflow action list BV-2027-001 --format xlsx -o plan.xlsx
    """
    from bvflow.services.plan import actions

    found = [a.as_dict() for a in actions(state.app(), ref)]
    emit_rows(state, output, found, ACTION_COLUMNS, f"Plan {ref}", lambda: _plan_table(found))


def _plan_table(found: list[dict[str, Any]]) -> str:
    return table_text(
        [
            (str(a["id"]), a["due"], a["status"], a["owner"], a["indicator"] or "-", a["title"])
            for a in found
        ],
        ("ID", "DUE", "STATUS", "OWNER", "INDICATOR", "TITLE"),
    )


COMMANDS = [pi, option, action]
