"""``bvflow workflow``: list, show, diagram and validate workflow definition files."""

from __future__ import annotations

from pathlib import Path

import click

from bvflow.cli._base import State, emit_json, emit_table, json_option, pass_state


@click.group(name="workflow")
def workflow() -> None:
    """Workflow definitions: the stages, periods and requirements reviews follow."""


@workflow.command(name="list")
@json_option
@pass_state
def list_(state: State, as_json: bool) -> None:
    """List the workflows available (bundled, and the council's own folder).

    \b
    Example:
      bvflow workflow list
    """
    from bvflow.services.workflows import list_workflows

    found = list_workflows(state.workflows_dir)
    if as_json:
        emit_json([w.as_dict() for w in found])
        return
    emit_table(
        [
            (w.name, str(w.version), str(w.stages), w.title, w.path)
            if w.problem is None
            else (w.name, "-", "-", "NOT VALID: see 'bvflow workflow validate'", w.path)
            for w in found
        ],
        ("NAME", "VERSION", "STAGES", "TITLE", "FILE"),
    )


@workflow.command()
@click.argument("name")
@json_option
@pass_state
def show(state: State, name: str, as_json: bool) -> None:
    """Show a workflow's stages, periods and requirements.

    \b
    Example:
      bvflow workflow show best-value
    """
    from bvflow.services.workflows import definition_dict, show_workflow

    found = show_workflow(name, state.workflows_dir)
    d = found.definition
    if as_json:
        emit_json({**definition_dict(d), "digest": found.digest, "file": found.source_name})
        return
    click.echo(f"{d.title} ({d.name}, version {d.version})")
    click.echo(f"File: {found.source_name}\nDigest: {found.digest}")
    agreed = sorted(set(d.involvement.meeting_notice_days.values()))
    days = " or ".join(str(n) for n in agreed)
    counted = "working days" if d.involvement.statutory_clear_days == "working" else "every day"
    click.echo(
        f"Notice: working-party and public meetings {days} clear working days (agreed); "
        f"committee, cabinet and council meetings the nation's lawful notice, counted in "
        f"{counted}\n"
    )
    for stage in d.stages:
        if stage.final:
            click.echo(f"{stage.name}: {stage.title} (final)")
            continue
        target = f", due within {stage.target_working_days}" if stage.target_working_days else ""
        click.echo(
            f"{stage.name}: {stage.title} - at least {stage.min_working_days} clear "
            f"working days{target}; then {stage.next}"
        )
        for req in stage.guards:
            click.echo(f"    requires {req.describe()}")


@workflow.command()
@click.argument("name")
@pass_state
def diagram(state: State, name: str) -> None:
    """Print a workflow as a Mermaid state diagram.

    \b
    Example:
      bvflow workflow diagram best-value > best-value.mmd
    """
    from bvflow.services.workflows import diagram as render

    click.echo(render(name, state.workflows_dir), nl=False)


@workflow.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@json_option
def validate(path: Path, as_json: bool) -> None:
    """Check a workflow file (or a competency framework); every problem is listed with
    file:line.

    \b
    Example:
      bvflow workflow validate my-workflow.yaml
      bvflow workflow validate my-competencies.yaml
    """
    from bvflow.errors import DefinitionError, InputError
    from bvflow.framework_files import FrameworkFile
    from bvflow.services.workflows import validate as check

    try:
        found = check(path)
    except DefinitionError as exc:
        if as_json:
            emit_json(
                {
                    "valid": False,
                    "problems": [{"line": p.line, "message": p.message} for p in exc.problems],
                }
            )
        else:
            for problem in exc.problems:
                click.echo(problem.render(exc.source), err=True)
        count = len(exc.problems)
        raise InputError(f"{exc.source} is not valid: {count} problem{'s' * (count != 1)}") from exc
    if isinstance(found, FrameworkFile):
        name, size = found.framework.name, f"{len(found.framework.competencies)} competencies"
    else:
        name, size = found.definition.name, f"{len(found.definition.stages)} stages"
    if as_json:
        emit_json({"valid": True, "name": name, "digest": found.digest})
    else:
        click.echo(f"{path}: valid ({name}, {size}, digest {found.digest[:12]})")


COMMANDS = [workflow]
