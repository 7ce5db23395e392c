"""``bvflow competency``: the frameworks, a round's self-assessment, development actions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from bvflow.cli._base import DATE, State, emit_json, json_option, pass_state, table_text

ROUND = click.IntRange(1999, 2200)
FRAMEWORK_HELP = "A bundled framework's name, or the path of the council's own file."


@click.group()
def competency() -> None:
    """Competency self-assessment: score the authority against a framework, answer its gaps."""


@competency.command(name="frameworks")
@json_option
@pass_state
def frameworks_(state: State, as_json: bool) -> None:
    """The competency frameworks: the bundled ones and any a round was assessed against.

    \b
    Example:
      bvflow competency frameworks
    """
    from bvflow.services.competency import frameworks

    found = frameworks(state.app())
    if as_json:
        emit_json([f.as_dict() for f in found])
        return
    click.echo(table_text(
        [(f.name, str(f.competencies), f"1-{f.levels}",
          ", ".join(map(str, f.rounds)) or "none yet", f.title) for f in found],
        ("NAME", "COMPETENCIES", "LEVELS", "ROUNDS ASSESSED", "TITLE"),
    ), nl=False)


@competency.command(name="assess")
@click.option("--framework", required=True, help=FRAMEWORK_HELP)
@click.option("--round", "round_", type=ROUND, required=True, help="The round: its year.")
@click.option("--file", "scores_file", type=click.Path(path_type=Path, dir_okay=False),
              help="A CSV with the columns code,level,evidence (one row per competency).")
@click.option("--score", "scores", multiple=True, metavar="CODE=LEVEL",
              help="A competency's level (repeat for each; instead of --file).")
@click.option("--evidence", multiple=True, metavar="CODE=TEXT",
              help="The evidence for a competency's level (repeat for each).")
@click.option("--participant", "participants", multiple=True, required=True, metavar="EMAIL",
              help="Who took part (repeat for each; at least one).")
@click.option("--target-level", "target", type=click.IntRange(1, 10), default=3,
              show_default=True, help="A score below this level is a gap.")
@json_option
@pass_state
def assess_(state: State, framework: str, round_: int, scores_file: Path | None,
            scores: tuple[str, ...], evidence: tuple[str, ...], participants: tuple[str, ...],
            target: int, as_json: bool) -> None:
    """Record a round's self-assessment: a level and its evidence for every competency.

    \b
    Example:
      bvflow competency assess --framework best-value-competencies --round 2027 --file s.csv --participant pat@x.gov.uk
      bvflow competency assess --framework my-framework.yaml --round 2028 --score local-people=3 --evidence "local-people=Residents' panel" --participant pat@x.gov.uk
    """
    from bvflow.errors import InputError
    from bvflow.services.competency import assess, pairs, read_scores_file

    if scores_file is not None and (scores or evidence):
        raise InputError("give --file or --score/--evidence, not both")
    levels, texts = (read_scores_file(scores_file) if scores_file is not None
                     else (pairs(scores, "--score"), pairs(evidence, "--evidence")))
    found = assess(state.app(), framework, round_, levels, texts, participants, target)
    if as_json:
        emit_json(found.as_dict())
        return
    gaps = ", ".join(found.gaps) or "none"
    click.echo(f"Assessed {found.framework} for {found.round}: {len(found.scores)} "
               f"competencies, gaps below level {found.target_level}: {gaps}")


@competency.group(name="action")
def action() -> None:
    """Development actions answering the gaps of a round."""


@action.command(name="add")
@click.option("--round", "round_", type=ROUND, required=True, help="The round of the gap.")
@click.option("--competency", "code", required=True, help="The competency's code.")
@click.option("--title", required=True)
@click.option("--owner", required=True, help="The owner's email address.")
@click.option("--due", type=DATE, required=True)
@click.option("--framework", default="best-value-competencies", show_default=True,
              help="The framework's name.")
@json_option
@pass_state
def add(state: State, round_: int, code: str, title: str, owner: str, due: date,
        framework: str, as_json: bool) -> None:
    """Add a development action for a gap: it is reminded to its owner like any action.

    \b
    Example:
      bvflow competency action add --round 2027 --competency business-links --title "Business forum" --owner pat@x.gov.uk --due 2027-12-31
    """
    from bvflow.services.competency import add_development_action

    found = add_development_action(state.app(), round_, code, title, owner, due, framework)
    if as_json:
        emit_json(found.as_dict())
        return
    click.echo(f"Action {found.id} added for {code} ({round_}), due {found.due}; "
               f"'bvflow improvement update {found.id}' records progress")


COMMANDS = [competency]
