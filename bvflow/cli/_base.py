"""What every command shares: the group that translates errors, global state, output helpers.

Nothing heavy is imported at module level, so ``bvflow --help`` stays fast: services (and with
them SQLAlchemy) are imported inside commands.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

import click

from bvflow.errors import BVFlowError, RefusedError

if TYPE_CHECKING:
    from bvflow.domain.audit import SealedEvent
    from bvflow.services.app import App

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES = """\b
Exit codes: 0 ok; 1 error (bad input, not found, no database); 2 usage;
3 conflict (changed since read); 4 refused by the workflow; 5 audit integrity failure."""


MAX_ERROR: Final = 1000
# Errors that mean the output could not be written (stdout to a full disk or a dead device).
OUTPUT_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _fail(message: str, code: int, limit: int = MAX_ERROR) -> NoReturn:
    shown = printable(message)
    if len(shown) > limit:  # an error may quote a value of any length
        shown = f"{shown[:limit]}… ({len(shown) - limit} more characters)"
    click.echo(f"Error: {shown}", err=True)
    sys.exit(code)


def printable(message: str) -> str:
    """A message that stays one honest line: an error may quote what was typed, so control,
    format, bidi and separator characters (and lone surrogates) are shown as escapes."""
    from bvflow.inputs import REFUSED_CATEGORIES

    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in REFUSED_CATEGORIES
        else ch
        for ch in message
    )


class BVFlowGroup(click.Group):
    """A group that turns every expected error into one line on stderr and an exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            check_arguments(sys.argv[1:] if args is None else list(args))
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except BVFlowError as exc:
            # The workflow's own refusal lists every unmet requirement with its remedy: each
            # part is bounded where it is made, and none may be lost to the cut.
            refused = isinstance(exc, RefusedError)
            _fail(exc.message, exc.exit_code, MAX_ERROR * 20 if refused else MAX_ERROR)
        except click.MissingParameter as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.BadParameter as exc:
            _fail(exc.format_message(), 1)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except BrokenPipeError:
            # The reader went away (| head) after taking what it wanted; the command did its
            # work. 0, as when the output happened to fit the pipe before the reader left: the
            # exit code must not depend on that race.
            _quiet_stdout()
            sys.exit(0)
        except OSError as exc:
            if exc.errno not in OUTPUT_ERRNOS:  # a file bvflow did not wrap: name it
                _fail(f"{exc.strerror or exc}: {exc.filename or 'a file'}", 1)
            _quiet_stdout()  # the output itself cannot be written: a full disk, /dev/full
            _fail(
                f"cannot write the output: {exc.strerror or exc}; anything the command changed "
                "before this was saved (see 'bvflow audit log')",
                1,
            )
        sys.exit(result if isinstance(result, int) else 0)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # CliRunner's stdout has no file descriptor
        pass


def check_arguments(args: Sequence[str]) -> None:
    """Refuse arguments and BVFLOW_* settings that are not UTF-8 text, before anything runs.

    Python hands a byte that is not UTF-8 to the program as a lone surrogate, which would
    only fail later, deep in the database driver or an encoder.
    """
    from bvflow.errors import InputError

    named = [(_argument(args, i), arg) for i, arg in enumerate(args)]
    named += [(f"${key}", value) for key, value in os.environ.items() if key.startswith("BVFLOW_")]
    for where, value in named:
        if "\x00" in value:  # a shell cannot pass one; only a program calling main() can
            raise InputError(f"{where} contains a NUL, a control character")
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            raise InputError(f"{where} ({_as_bytes(value)[:60]}) is not valid UTF-8 text")


def _argument(args: Sequence[str], index: int) -> str:
    """'argument 4', or 'argument 4 (the value of --reason)' when an option precedes it."""
    before = args[index - 1] if index > 0 else ""
    of = f" (the value of {before})" if before.startswith("--") and "=" not in before else ""
    return f"argument {index + 1}{of}"


def _as_bytes(value: str) -> str:
    """The text as the bytes that were typed, with the bad ones shown as \\xNN."""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def database_url(value: str) -> str:
    """A SQLAlchemy URL as given, or a file path turned into an absolute SQLite URL."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


@dataclass
class State:
    """Global options, carried on ``ctx.obj``; the App is built on first use."""

    db: str
    actor: str
    workflows_dir: Path | None
    config: Path | None = None
    _app: App | None = None

    def app(self, check_schema: bool = True) -> App:
        if self._app is None:
            from bvflow.services.app import App
            from bvflow.settings import load_settings
            from bvflow.store.database import Database

            database = Database(database_url(self.db))
            beside = database.path.parent if database.path else Path.cwd()
            self._app = App(
                database,
                self.actor,
                workflows_dir=self.workflows_dir,
                settings=load_settings(self.config, beside),
            )
            database.allow_acting_for = self._app.settings.allow_acting_for
            click.get_current_context().call_on_close(self._app.db.dispose)
        if check_schema:
            self._app.db.check_schema()
        return self._app


pass_state = click.make_pass_decorator(State)


def default_actor() -> str:
    from bvflow.identity import os_login

    return os_login()


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")(
        f
    )


def expect_version_option(f: F) -> F:
    return click.option(
        "--if-version",
        "expected_version",
        type=ID,
        default=None,
        help="Refuse (exit 3) unless the review is still at this version, as shown by "
        "'review show'.",
    )(f)


def json_text(data: Any) -> str:
    """Data as the indented JSON ``--json`` prints, with a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def emit_json(data: Any) -> None:
    click.echo(json_text(data), nl=False)


def table_text(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Rows under their headers in aligned columns, one line each."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    return "".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=False)).rstrip()
        + "\n"
        for line in [headers, *rows]
    )


def emit_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> None:
    click.echo(table_text(rows, headers), nl=False)


def long_date(day: date | None) -> str:
    """A date as coordinators read it: 'Tuesday 5 January 2027'."""
    from bvflow.domain.dates import long_date as written

    return "-" if day is None else written(day)


def london(instant: datetime) -> str:
    """An instant shown in Europe/London."""
    from bvflow.domain.dates import short_instant

    return short_instant(instant)


def withdrawn(text: str, reason: str | None) -> str:
    """A listed item's text, marked when it was withdrawn (it stays on record)."""
    return text if reason is None else f"[WITHDRAWN: {reason}] {text}".rstrip()


def describe_event(event: SealedEvent) -> str:
    """One line for an audit event: the action, any stage move, and its reason or subject."""
    text = event.action
    if event.to_stage and event.from_stage != event.to_stage:
        text += f" {event.from_stage or ''} -> {event.to_stage}".replace("  ", " ")
    payload = event.payload
    detail = payload.get("reason") or payload.get("override_reason")
    if event.action == "evidence.added":
        detail = f"{payload.get('kind')}: {payload.get('title')}"
    return f"{text} ({detail})" if detail else text


# Ids and versions are 64-bit in the database; a larger number is bad input, not a crash.
ID = click.IntRange(1, 2**63 - 1)


class DateType(click.ParamType):  # type: ignore[type-arg]
    """YYYY-MM-DD between 1990 and 2100; a bad value is bad input (exit 1), one line."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        from bvflow.errors import InputError
        from bvflow.inputs import iso_date

        try:
            return iso_date(str(value), "the date")
        except InputError as exc:
            self.fail(exc.message, param, ctx)


DATE = DateType()
