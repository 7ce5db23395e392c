"""Rendering reports with Jinja2: autoescaped HTML, and Markdown with user text escaped."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from bvflow.domain.calendar import LONDON

TEMPLATES = Path(__file__).with_name("templates")
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~])")


def md(value: object) -> str:
    """Escape Markdown (and the HTML a Markdown renderer would pass through)."""
    text = " ".join(str(value if value is not None else "").split())
    return MD_SPECIAL.sub(r"\\\1", text)


def long_date(value: str | date | None) -> str:
    if not value:
        return "-"
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{day:%A} {day.day} {day:%B %Y}"


def london(value: str | None) -> str:
    if not value:
        return "-"
    local = datetime.fromisoformat(value).astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M %Z}"


def svg(value: str) -> Markup:
    """Charts are built by bvflow.reports.charts, which escapes every piece of text."""
    return Markup(value)  # noqa: S704 - escaped where it is built


@lru_cache(maxsize=2)
def _environment(html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md, longdate=long_date, london=london, svg=svg)
    return env


def render_report(name: str, fmt: str, data: dict[str, Any]) -> str:
    """Render ``<name>.<fmt>.j2``."""
    return _environment(fmt == "html").get_template(f"{name}.{fmt}.j2").render(data)
