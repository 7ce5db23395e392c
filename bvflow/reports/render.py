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

from bvflow.domain.dates import long_date as written_date
from bvflow.domain.dates import short_instant
from bvflow.domain.involvement import AGREEMENT_ITEMS, CATEGORIES, METHODS

# The codes a report shows, in words; anything else is its code with the underscores gone.
LABELS: dict[str, str] = {
    **AGREEMENT_ITEMS,
    **CATEGORIES,
    **METHODS,
    # Meeting kinds reach reports already in words (MEETING_KINDS); "public" here is the
    # disclosure level, not the public meeting.
    "working_party": "Working party",
    "elected_member": "Elected member",
    "created": "Opened",
    "advanced": "Advanced",
    "returned": "Returned",
}

TEMPLATES = Path(__file__).with_name("templates")
# What can start markup anywhere in a line: emphasis, code, links, HTML, table cells,
# strikethrough. A full stop, a hyphen or brackets cannot, so "jo.bloggs@…" stays as typed.
MD_INLINE = re.compile(r"([\\`*_\[\]<>|&~])")
# What can start a block at the beginning of a line: a heading, a bullet, a numbered item.
MD_LEADING = re.compile(r"^(#|[+\-](?=\s))")
MD_NUMBERED = re.compile(r"^(\d+)([.)])(?=\s)")


def md(value: object) -> str:
    """Escape Markdown (and the HTML a Markdown renderer would pass through), no more than
    it needs: the text must read as typed in the Markdown itself too."""
    text = " ".join(str(value if value is not None else "").split())
    text = MD_INLINE.sub(r"\\\1", text)
    text = MD_LEADING.sub(r"\\\1", text)
    return MD_NUMBERED.sub(r"\1\\\2", text)


def label(value: object) -> str:
    """A code as a reader would say it: 'information_disclosure' becomes 'Which information
    will and will not be disclosed', 'in_progress' becomes 'In progress'."""
    if value is None or value == "":
        return "-"
    text = str(value)
    return LABELS.get(text) or (text[:1].upper() + text[1:]).replace("_", " ")


def long_date(value: str | date | None) -> str:
    if not value:
        return "-"
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return written_date(day)


def london(value: str | None) -> str:
    if not value:
        return "-"
    return short_instant(datetime.fromisoformat(value))


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
    env.filters.update(md=md, longdate=long_date, london=london, svg=svg, label=label)
    return env


def render_report(name: str, fmt: str, data: dict[str, Any]) -> str:
    """Render ``<name>.<fmt>.j2``."""
    return _environment(fmt == "html").get_template(f"{name}.{fmt}.j2").render(data)
