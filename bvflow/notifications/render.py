"""Rendering notices with Jinja2: a plain-text and an autoescaped HTML template per kind.

Each kind has ``<kind>.txt.j2`` (which sets ``subject``) and ``<kind>.html.j2``, as its
declaration in ``bvflow.notifications.kinds`` names them. A council's template folder is
searched before the bundled one. Templates run sandboxed, and user text only ever arrives as
data: template syntax typed into a title is printed, not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment

from bvflow.domain.dates import long_date as written_date
from bvflow.domain.dates import long_instant
from bvflow.errors import InputError
from bvflow.notifications import kinds
from bvflow.resources import data_dir


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def long_date(value: str | date | None) -> str:
    """'2027-01-19' -> 'Tuesday 19 January 2027'."""
    if value is None or value == "":
        return "(not set)"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return written_date(day)


def london_time(value: str) -> str:
    """An ISO instant shown in Europe/London with the day of the week."""
    return long_instant(datetime.fromisoformat(value))


def _environment(folders: tuple[Path, ...], autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["longdate"] = long_date
    env.filters["london"] = london_time
    return env


@lru_cache(maxsize=8)
def _environments(council_dir: Path | None) -> tuple[SandboxedEnvironment, SandboxedEnvironment]:
    folders = (*((council_dir,) if council_dir else ()), data_dir("notifications"))
    return _environment(folders, False), _environment(folders, True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render(kind: str, context: dict[str, Any], council_dir: Path | None = None) -> Rendered:
    """Render one kind; ``InputError`` names the template and the problem."""
    text_name, html_name = kinds.get(kind).templates
    text_env, html_env = _environments(council_dir)
    try:
        module = text_env.get_template(text_name).make_module(context)
        html = html_env.get_template(html_name).render(context)
    except TemplateSyntaxError as exc:
        name = exc.name or exc.filename or kind
        raise InputError(
            f"template {name}, line {exc.lineno}, has a syntax error: {exc.message}"
        ) from exc
    except TemplateError as exc:
        raise InputError(f"template for {kind} cannot be rendered: {exc}") from exc
    subject = _one_line(str(getattr(module, "subject", "")))
    if not subject:
        raise InputError(f"template {text_name} does not set a subject")
    return Rendered(subject, str(module), html)
