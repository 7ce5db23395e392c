"""The output options of the list commands, and writing what a command made to a file.

``--format text|json|csv|xlsx`` (``--json`` and ``--csv`` are its older spellings), and
``-o/--output FILE``, written beside the target and renamed into place (``bvflow.files``).
An xlsx workbook is binary: it goes to a file or a pipe, never to a terminal.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import click

from bvflow.cli._base import State, json_text

FORMATS: Final = ("text", "json", "csv", "xlsx")
BINARY_ON_TERMINAL: Final = "xlsx is binary: give --output FILE or redirect stdout"


@dataclass(frozen=True)
class Output:
    """How a command's rows are shown, and where they go (stdout when ``out`` is None)."""

    fmt: str
    out: Path | None
    force: bool


@dataclass(frozen=True)
class Columns:
    """An export's columns, the same for CSV and xlsx, and which of them hold ISO dates."""

    fields: tuple[str, ...]
    dates: frozenset[str] = frozenset()


def chosen_format(fmt: str | None, as_json: bool, as_csv: bool) -> str:
    """The one format asked for; two different ones are a usage error (exit 2)."""
    given = {"--json": "json" if as_json else None, "--csv": "csv" if as_csv else None}
    given[f"--format {fmt}"] = fmt
    asked = {option: value for option, value in given.items() if value}
    if len(set(asked.values())) > 1:
        raise click.UsageError(f"{' and '.join(asked)} ask for different formats; give one")
    return next(iter(asked.values()), "text")


def refuse_binary_on_terminal(fmt: str, out: Path | None) -> None:
    """Refuse, before any work, to pour a workbook's bytes onto a terminal."""
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        from bvflow.errors import InputError

        raise InputError(BINARY_ON_TERMINAL)


# -o/--output, for every command that can write its result to a file instead of stdout.
output_option: Final = click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of stdout (written whole, or not at all).",
)

OUTPUT_OPTIONS: Final = (
    click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="text (the default: a table for the screen), json, csv, or xlsx (a spreadsheet: "
        "give --output FILE or redirect stdout).",
    ),
    click.option("--json", "as_json", is_flag=True, help="Same as --format json."),
    click.option("--csv", "as_csv", is_flag=True, help="Same as --format csv."),
    output_option,
    click.option(
        "--force", is_flag=True, help="Replace the output file if it exists (never the database)."
    ),
)


def output_options(f: Callable[..., None]) -> Callable[..., None]:
    """``--format``, ``--json``, ``--csv``, ``-o/--output`` and ``--force``, handed to the
    command as one ``output`` argument."""

    @functools.wraps(f)
    def command(
        *args: Any,
        fmt: str | None,
        as_json: bool,
        as_csv: bool,
        out: Path | None,
        force: bool,
        **kwargs: Any,
    ) -> None:
        picked = chosen_format(fmt, as_json, as_csv)
        refuse_binary_on_terminal(picked, out)
        f(*args, output=Output(picked, out, force), **kwargs)

    for option in reversed(OUTPUT_OPTIONS):
        command = option(command)
    return command


def emit_rows(
    state: State,
    output: Output,
    rows: Sequence[Mapping[str, Any]],
    columns: Columns,
    title: str,
    table: Callable[[], str],
) -> None:
    """The rows in the format asked for (``table`` makes the text one), printed or written."""
    data: str | bytes
    if output.fmt == "json":
        data = json_text(list(rows))
    elif output.fmt == "csv":
        from bvflow.exports import to_csv

        data = to_csv(rows, columns.fields)
    elif output.fmt == "xlsx":
        from bvflow.exports import to_xlsx

        data = to_xlsx(rows, columns.fields, title, dates=columns.dates)
    else:
        data = table()
    deliver(state, data, output.out, output.force)


def deliver(state: State, data: str | bytes, out: Path | None, force: bool) -> None:
    """Print ``data``, or write it to ``out`` atomically (never over the database)."""
    if out is not None:
        from bvflow.files import protected_paths, write_output

        raw = data.encode("utf-8") if isinstance(data, str) else data
        write_output(out, raw, protected_paths(state.app().db.path), force)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(data, nl=False)  # bytes go to stdout's binary buffer
