"""Inline SVG charts for reports: a review's timetable, and an indicator's trend.

Pure functions from data to SVG text; every piece of user text is escaped here. Each chart
is an image with a name (its title) and a description (``<desc>``) that says in words what it
draws, since a screen reader reads neither the bars nor the text inside an image. Every mark
a reader needs has at least 3:1 contrast with the page (WCAG 2.2, 1.4.11 non-text contrast).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

from bvflow.domain.dates import short_date

WIDTH = 760
LABEL = 150
ROW = 26
PALETTE = {
    "planned": "#6f777b",  # GOV.UK's #b1b4b6 is 2.1:1 on white, under WCAG's 3:1
    "actual": "#1d70b8",
    "suspended": "#d4351c",
    "override": "#d4351c",
    "target": "#00703c",
    "band": "#f3f2f1",  # too light to see alone: drawn with an "edge"
    "edge": "#6f777b",
    "median": "#505a5f",
}


@dataclass(frozen=True)
class StageRow:
    """One stage: its planned span, and the spans it actually ran (more than one if returned)."""

    name: str
    planned: tuple[date, date] | None
    actual: Sequence[tuple[date, date]] = ()


@dataclass(frozen=True)
class Timetable:
    rows: Sequence[StageRow]
    suspensions: Sequence[tuple[date, date]] = ()
    overrides: Sequence[tuple[date, str]] = field(default_factory=tuple)


LEGEND = 22  # the height of the legend row under a chart


def _legend(y: float, items: Sequence[tuple[str, str]]) -> str:
    """A legend row: each swatch (SVG drawn at 0,0 in a 14 x 10 box) with its words."""
    parts = [f'<g class="legend" font-size="11" transform="translate({LABEL},{y:.1f})">']
    x = 0.0
    for swatch, words in items:
        parts.append(
            f'<g transform="translate({x:.1f},0)">{swatch}'
            f'<text x="18" y="9">{escape(words)}</text></g>'
        )
        x += 24 + 5.6 * len(words)
    parts.append("</g>")
    return "".join(parts)


def _open(kind: str, height: int, title: str, words: str) -> str:
    """The chart's opening tag: an image named by its title and described in words."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"<desc>{escape(words)}</desc>"
    )


def _spell(a: date, b: date) -> str:
    return f"{short_date(a)} to {short_date(b)}"


def timetable_words(chart: Timetable) -> str:
    """What the timetable draws, in words: each row's planned and actual spans, then the
    suspensions and the overrides."""
    said = []
    for row in chart.rows:
        spans = [f"planned {_spell(*row.planned)}"] if row.planned else []
        spans += [f"ran {_spell(a, b)}" for a, b in row.actual]
        said.append(f"{row.name}: {', '.join(spans) or 'not reached'}")
    said += [f"suspended {_spell(a, b)}" for a, b in chart.suspensions]
    said += [f"rule overridden on {short_date(day)}" for day, _ in chart.overrides]
    return "; ".join(said) + "."


def trend_words(trend: Trend) -> str:
    """What a trend chart draws, in words: actuals and targets by period, and the quartiles."""
    said = []
    for name, series in (("Actual", trend.actuals), ("Target", trend.targets)):
        values = [f"{p} {series[p]:g}" for p in trend.periods if p in series]
        if values:
            said.append(f"{name}: {', '.join(values)}.")
    if trend.quartiles:
        q1, median, q3 = trend.quartiles
        said.append(
            f"Comparators: lower quartile {q1:g}, median {median:g}, upper quartile {q3:g}."
        )
    return " ".join(said)


def _span(rows: Sequence[StageRow], extra: Sequence[date]) -> tuple[date, date]:
    """The period the chart shows: what actually happened. A stage planned to run past it
    (monitoring's year, say) is drawn to the edge, so the axis fits the review's real
    period instead of stretching to a date years ahead."""
    actual = [d for r in rows for pair in r.actual for d in pair] + list(extra)
    planned = [r.planned for r in rows if r.planned]
    if not actual:
        actual = [d for pair in planned for d in pair]
    start = min(actual + [a for a, _ in planned])
    end = max(actual)
    return start, end if end > start else date.fromordinal(start.toordinal() + 1)


def timetable_svg(chart: Timetable, title: str) -> str:
    """Planned (grey) against actual (blue) stage dates; suspensions and overrides in red."""
    rows = list(chart.rows)
    if not rows:
        return ""
    extra = [d for pair in chart.suspensions for d in pair] + [d for d, _ in chart.overrides]
    start, end = _span(rows, extra)
    scale = (WIDTH - LABEL - 10) / max((end - start).days, 1)

    def x(day: date) -> float:
        return LABEL + (day - start).days * scale

    height = ROW * len(rows) + 40 + LEGEND
    parts = [_open("timetable", height, title, timetable_words(chart))]
    for i, row in enumerate(rows):
        y = 10 + i * ROW
        parts.append(f'<text x="4" y="{y + 15}" font-size="12">{escape(row.name)}</text>')
        if row.planned:
            a, b = row.planned
            shown_a, shown_b = max(a, start), min(b, end)
            if shown_a <= shown_b:
                more = f" (beyond {end})" if b > end else ""
                parts.append(
                    f'<rect class="planned" x="{x(shown_a):.1f}" y="{y + 2}" '
                    f'width="{max(x(shown_b) - x(shown_a), 2):.1f}" height="8" '
                    f'fill="{PALETTE["planned"]}"><title>planned {a} to {b}{more}</title></rect>'
                )
        for a, b in row.actual:
            parts.append(
                f'<rect class="actual" x="{x(a):.1f}" y="{y + 11}" '
                f'width="{max(x(b) - x(a), 2):.1f}" height="10" '
                f'fill="{PALETTE["actual"]}"><title>actual {a} to {b}</title></rect>'
            )
    bottom = 10 + ROW * len(rows)
    for a, b in chart.suspensions:
        parts.append(
            f'<rect class="suspension" x="{x(a):.1f}" y="6" '
            f'width="{max(x(b) - x(a), 2):.1f}" height="{bottom - 6}" '
            f'fill="{PALETTE["suspended"]}" fill-opacity="0.15" stroke="{PALETTE["suspended"]}">'
            f"<title>suspended {a} to {b}</title></rect>"
        )
    for day, why in chart.overrides:
        parts.append(
            f'<path class="override" d="M{x(day):.1f},{bottom} l-6,10 h12 z" '
            f'fill="{PALETTE["override"]}"><title>rule overridden on {day}: '
            f"{escape(why)}</title></path>"
        )
    parts.append(
        f'<text x="{LABEL}" y="{bottom + 24}" font-size="11">{short_date(start)}</text>'
        f'<text x="{WIDTH - 10}" y="{bottom + 24}" font-size="11" '
        f'text-anchor="end">{short_date(end)}</text>'
    )
    parts.append(_legend(bottom + 32, _timetable_legend(chart)) + "</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Trend:
    code: str
    name: str
    periods: Sequence[str]
    actuals: dict[str, float]
    targets: dict[str, float]
    quartiles: tuple[float, float, float] | None = None  # lower, median, upper


def trend_svg(trend: Trend) -> str:
    """An indicator's actuals (line) and targets (dashed) against the comparators' quartiles."""
    values = (
        list(trend.actuals.values()) + list(trend.targets.values()) + list(trend.quartiles or ())
    )
    if not values or not trend.periods:
        return ""
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or 1.0
    low, high = low - pad, high + pad
    height, top, bottom = 220 + LEGEND, 20, 180
    step = (WIDTH - LABEL - 20) / max(len(trend.periods) - 1, 1)

    def x(i: int) -> float:
        return LABEL + i * step

    def y(v: float) -> float:
        return bottom - (v - low) / (high - low) * (bottom - top)

    parts = [_open("trend", height, f"{trend.code} {trend.name}", trend_words(trend))]
    if trend.quartiles:
        q1, median, q3 = trend.quartiles
        parts.append(
            f'<rect class="quartiles" x="{LABEL}" y="{min(y(q1), y(q3)):.1f}" '
            f'width="{WIDTH - LABEL - 20}" height="{abs(y(q1) - y(q3)):.1f}" '
            f'fill="{PALETTE["band"]}" stroke="{PALETTE["edge"]}">'
            f"<title>comparators: lower quartile {q1:g}, upper quartile {q3:g}</title></rect>"
            f'<line class="median" x1="{LABEL}" x2="{WIDTH - 20}" y1="{y(median):.1f}" '
            f'y2="{y(median):.1f}" stroke="{PALETTE["median"]}" stroke-dasharray="2 3"/>'
        )
    for name, series, style in (
        ("actual", trend.actuals, ""),
        ("target", trend.targets, ' stroke-dasharray="6 4"'),
    ):
        points = [(x(i), y(series[p])) for i, p in enumerate(trend.periods) if p in series]
        colour = PALETTE["actual" if name == "actual" else "target"]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline class="{name}" points="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2"{style}/>'
            )
        for (px, py), p in zip(points, [p for p in trend.periods if p in series], strict=True):
            parts.append(
                f'<circle class="{name}" cx="{px:.1f}" cy="{py:.1f}" r="4" '
                f'fill="{colour}"><title>{name} {escape(p)}: {series[p]:g}</title>'
                "</circle>"
            )
    for i, p in enumerate(trend.periods):
        parts.append(
            f'<text x="{x(i):.1f}" y="{bottom + 20}" font-size="11" '
            f'text-anchor="middle">{escape(p)}</text>'
        )
    parts.append(
        f'<text x="4" y="{top + 4}" font-size="11">{high:.3g}</text>'
        f'<text x="4" y="{bottom}" font-size="11">{low:.3g}</text>'
    )
    parts.append(_legend(bottom + 36, _trend_legend(trend)) + "</svg>")
    return "".join(parts)


def _trend_legend(trend: Trend) -> list[tuple[str, str]]:
    legend = [
        (f'<line x1="0" x2="14" y1="5" y2="5" stroke="{PALETTE["actual"]}" stroke-width="2"/>'
         f'<circle cx="7" cy="5" r="3" fill="{PALETTE["actual"]}"/>', "actual"),
    ]
    if trend.targets:
        legend.append((
            f'<line x1="0" x2="14" y1="5" y2="5" stroke="{PALETTE["target"]}" stroke-width="2" '
            f'stroke-dasharray="6 4"/><circle cx="7" cy="5" r="3" fill="{PALETTE["target"]}"/>',
            "target",
        ))
    if trend.quartiles:
        legend.append((
            f'<rect width="14" height="10" fill="{PALETTE["band"]}" stroke="{PALETTE["edge"]}"/>',
            "comparators' middle half (lower to upper quartile)",
        ))
        legend.append((
            f'<line x1="0" x2="14" y1="5" y2="5" stroke="{PALETTE["median"]}" '
            'stroke-dasharray="2 3"/>',
            "comparators' median",
        ))
    return legend


def _timetable_legend(chart: Timetable) -> list[tuple[str, str]]:
    legend = [
        (f'<rect y="1" width="14" height="6" fill="{PALETTE["planned"]}"/>',
         "planned, from the stage's target"),
        (f'<rect width="14" height="9" fill="{PALETTE["actual"]}"/>', "actual"),
    ]
    if chart.suspensions:
        legend.append((
            f'<rect width="14" height="9" fill="{PALETTE["suspended"]}" fill-opacity="0.15" '
            f'stroke="{PALETTE["suspended"]}"/>',
            "suspended",
        ))
    if chart.overrides:
        legend.append(
            (f'<path d="M7,0 l-6,10 h12 z" fill="{PALETTE["override"]}"/>', "rule overridden")
        )
    return legend
