"""Rendering the public site: autoescaped HTML and Atom, sandboxed, with UK dates."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from bvflow.domain.dates import long_date, long_instant
from bvflow.domain.involvement import CATEGORIES, METHODS

TEMPLATES = Path(__file__).with_name("templates")


def _day(value: date | None) -> str:
    return long_date(value) if value else "-"


def _when(value: datetime) -> str:
    return long_instant(value)


def _atom_day(value: date) -> str:
    """A date as an Atom (RFC 3339) time: the start of that day, UTC."""
    return f"{value.isoformat()}T00:00:00Z"


def _words(value: str) -> str:
    """A category or method code as words ('trade_union': 'Trade unions')."""
    return CATEGORIES.get(value) or METHODS.get(value) or value.replace("_", " ").capitalize()


def _svg(value: str) -> Markup:
    """Charts are built by bvflow.reports.charts, which escapes every piece of text."""
    return Markup(value)  # noqa: S704 - escaped where it is built


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(day=_day, when=_when, atomday=_atom_day, words=_words, svg=_svg)
    return env


def render_page(name: str, data: dict[str, Any]) -> str:
    """Render ``templates/<name>.j2``."""
    return _environment().get_template(f"{name}.j2").render(data)


def style_sheet() -> str:
    """The site's one CSS file."""
    return (TEMPLATES / "style.css").read_text(encoding="utf-8")
