"""The ``bvflow`` command: a thin click layer that parses, calls one service, prints."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Final

import click

from bvflow import __version__
from bvflow.cli._base import EXIT_CODES, BVFlowGroup, State, default_actor

# Every top-level command, imported only when it runs: ``bvflow --help`` imports none of
# them. Name -> (module in bvflow.cli, attribute, the first paragraph of its help, which is
# what the command list shows). tests/test_cli_lazy.py checks the table against the commands.
COMMANDS: Final[dict[str, tuple[str, str, str]]] = {
    "action": (
        "performance",
        "action",
        "The improvement plan: actions with owners, due dates and indicator targets.",
    ),
    "activity": (
        "involvement",
        "activity",
        "Involvement activities: workshops, user panels, surveys, public meetings...",
    ),
    "agreement": (
        "involvement",
        "agreement",
        "Agreements: baseline profile, information disclosure, priorities, targets...",
    ),
    "audit": (
        "audit",
        "audit",
        "The tamper-evident audit trail: who did what, when, under which rules.",
    ),
    "calendar": (
        "calendar",
        "calendar",
        "The working-day calendar: weekends, bank holidays, council closure days.",
    ),
    "competency": (
        "competency",
        "competency",
        "Competency self-assessment: score the authority against a framework, answer its gaps.",
    ),
    "db": (
        "db",
        "db_group",
        "Database schema: upgrade to this version of bvflow, or show the current revision.",
    ),
    "demo": (
        "demo",
        "demo",
        "Run a review through the lifecycle on a fresh SQLite database, with a simulated clock.",
    ),
    "evidence": (
        "evidence",
        "evidence",
        "Evidence recorded for a review: scope statements, baselines, benchmarks, plans.",
    ),
    "init": ("db", "init", "Create the database (or upgrade it) and record the authority."),
    "improvement": (
        "improvement",
        "improvement",
        "The authority's improvement actions: from inspections, self-assessments, or its own.",
    ),
    "indicator": (
        "indicators",
        "indicator",
        "A service's own performance indicators, outturns and targets, year by year.",
    ),
    "inspection": (
        "inspection",
        "inspection",
        "Inspections of services: the inspector's report, findings, recommendations, responses.",
    ),
    "involvement": (
        "involvement_plan",
        "involvement",
        "The strategic plan for involvement: who is to be involved, how, and when.",
    ),
    "meeting": (
        "involvement",
        "meeting",
        "Meetings: working party, committee, cabinet, council or public, with their notice.",
    ),
    "notify": ("notify", "notify", "Notice templates."),
    "option": (
        "performance",
        "option",
        "The options appraisal: options scored against weighted criteria, and the choice.",
    ),
    "outbox": ("notify", "outbox", "Queued, sent and failed messages."),
    "party": (
        "involvement",
        "party",
        "The review's working party: representatives who receive its notices and papers.",
    ),
    "pi": (
        "performance",
        "pi",
        "Performance indicators: baselines, targets, actuals and benchmarking.",
    ),
    "programme": (
        "programme",
        "programme",
        "The programme of reviews: which service is reviewed when, ranked by need.",
    ),
    "proposal": (
        "involvement",
        "proposal",
        "Proposals circulated to the working party for discussion.",
    ),
    "publish": (
        "publish",
        "publish",
        "Write the public site: the programme of reviews, a page per review, an Atom feed.",
    ),
    "report": (
        "reports",
        "report",
        "Reports for the public, the working party, the council and inspectors.",
    ),
    "review": (
        "reviews",
        "review",
        "Service reviews: create, list, show, advance, return, suspend, resume, abandon.",
    ),
    "scheduler": ("notify", "scheduler", "The long-running reminder and notice daemon."),
    "sweep": (
        "notify",
        "sweep",
        "One idempotent pass: queue the reminders due now, then deliver the outbox.",
    ),
    "today": (
        "today",
        "today",
        "What needs the coordinator now: stages ready to advance or overdue, due dates this "
        "week, meetings in the next 14 days, notices not delivered, improvement actions due.",
    ),
    "workflow": (
        "workflows",
        "workflow",
        "Workflow definitions: the stages, periods and requirements reviews follow.",
    ),
}
# Groups that bvflow.cli.corrections adds subcommands to (amend, withdraw, update).
CORRECTED: Final = frozenset({"activity", "agreement", "evidence", "party", "review"})


class LazyGroup(BVFlowGroup):
    """The top-level group: a command's module is imported when that command is asked for.

    The list in ``--help`` comes from the table, so it needs no imports; ``commands`` gives
    the whole tree (importing every module) to whatever walks it, such as the docs.
    """

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, help_text = COMMANDS[cmd_name]
        if self._listing:  # only its line in the command list is needed
            return click.Command(cmd_name, help=help_text)
        if cmd_name in CORRECTED:
            importlib.import_module("bvflow.cli.corrections")
        command = getattr(importlib.import_module(f"bvflow.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    @property
    def commands(self) -> dict[str, click.Command]:
        found = {}
        for name in COMMANDS:
            command = self.get_command(click.Context(self), name)
            assert command is not None
            found[name] = command
        return found

    @commands.setter
    def commands(self, _value: object) -> None:
        """click.Group sets an empty dict at construction; the table is the source."""


@click.group(cls=LazyGroup, epilog=EXIT_CODES)
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
