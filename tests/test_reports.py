"""Reports: rendered, parsed, filtered by audience, safe from injected markup, and drawn."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import Cli


class Page(HTMLParser):
    """Collects tags, text and the elements a report must have."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids |= {v for k, v in attrs if k == "id" and v}

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def report(cli: Cli, ref: str, *extra: str) -> str:
    return cli.ok("report", "review", ref, *extra).stdout


def test_html_report_has_every_section_and_both_charts(initialised: Cli, reviewed: str) -> None:
    html = report(initialised, reviewed)
    page = parse(html)
    assert {"overrides", "timetable", "agreements", "involvement", "performance", "options",
            "plan", "monitoring", "evidence"} <= page.ids
    assert page.tags.count("svg") == 3  # the timetable and two indicator trends
    # Every column header says it is one; the tables sharing a heading are named.
    assert "<th>" not in html
    assert re.findall(r"<caption>([^<]*)</caption>", html) == [
        "Working party", "Involvement activities", "Meetings", "Proposals circulated",
        "Targets against actuals"]
    text = " ".join(page.text)
    assert "Members <em>agreed</em> to shorten" in text  # shown as text, not markup
    assert "GMB <i>objects</i>" in text
    assert "In-house improvement" in text
    assert "Weekly food waste collection" in text
    assert "ranked" in text
    assert "<script>" not in html
    assert "<img" not in html
    assert "<em>" not in html
    assert "<i>objects" not in html
    assert "<b>Patel" not in html


@pytest.mark.parametrize(("audience", "shown", "hidden"), [
    ("public", set(), {"Confidential staffing plan", "Working-party minutes", "sam@unison"}),
    ("working-party", {"Working-party minutes"}, {"Confidential staffing plan", "sam@unison"}),
    ("internal", {"Working-party minutes", "Confidential staffing plan", "sam@unison"}, set()),
], ids=["public", "working-party", "internal"])
def test_the_audience_decides_what_is_disclosed(initialised: Cli, reviewed: str, audience: str,
                                                shown: set[str], hidden: set[str]) -> None:
    for fmt in ("html", "md"):
        text = report(initialised, reviewed, "--audience", audience, "--format", fmt)
        text = text.replace("\\", "")  # Markdown escapes
        for item in shown:
            assert item in text, (fmt, item)
        for item in hidden:
            assert item not in text, (fmt, item)
        # Overrides and dissent are in every audience's report.
        assert "timetable" in text
        assert "GMB" in text
        assert "shorten" in text


def test_markdown_escapes_user_text(initialised: Cli, reviewed: str) -> None:
    md = report(initialised, reviewed, "--format", "md")
    assert md.startswith(f"# {reviewed}: Bins \\<script\\>")
    assert "<script>" not in md
    assert "**bold**" not in md
    assert "{{ 7*7 }}" not in md
    assert "49" not in md.splitlines()[0]


def test_report_to_a_file(initialised: Cli, reviewed: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = initialised.ok("report", "review", reviewed, "-o", str(out))
    assert result.stdout == ""
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_inspection_pack(initialised: Cli, reviewed: str, tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    result = initialised.ok("report", "inspection", reviewed, "-o", str(out))
    assert "(audit trail intact)" in result.stdout
    with zipfile.ZipFile(out) as pack:
        names = sorted(pack.namelist())
        assert [n for n in names if "/" not in n] == [
            "MANIFEST.sha256", "README.txt", "audit-trail.csv", "earlier-inspections.json",
            "evidence-index.csv", "report.html", "report.md", "verify.json"]
        assert all(n.startswith("evidence/") for n in names if "/" in n)
        assert pack.read("earlier-inspections.json") == b"[]\n"
        verdict = json.loads(pack.read("verify.json"))
        trail = list(csv.DictReader(io.StringIO(pack.read("audit-trail.csv").decode())))
        index = list(csv.DictReader(io.StringIO(pack.read("evidence-index.csv").decode())))
        html = pack.read("report.html").decode()
    assert verdict["intact"] is True
    assert {row["action"] for row in trail} >= {"review.created", "review.timetable_overridden",
                                                 "agreement.recorded", "review.advanced"}
    assert all(row["review"] == reviewed for row in trail)
    assert "Confidential staffing plan" in {row["title"] for row in index}
    assert "internal" in html


def test_programme_in_every_format(initialised: Cli, reviewed: str,
                                   new_review: Callable[..., str]) -> None:
    second = new_review("Street lighting")
    rows = json.loads(initialised.ok("report", "programme", "--format", "json").stdout)
    assert [(r["ref"], r["stage"]) for r in rows] == [(reviewed, "monitor"), (second,
                                                                               "challenge")]
    csv_out = initialised.ok("report", "programme", "--format", "csv")
    csv_text = csv_out.stdout
    assert csv_text.splitlines()[0] == ("\ufeffref,title,service,stage,status,created_on,due_on,"
                                        "overdue,workflow,actions_open,actions_overdue")
    # UTF-8 with its mark and CRLF line ends (RFC 4180), as spreadsheets expect; the runner's
    # text folds CRLF, so the bytes are read.
    raw = csv_out.stdout_bytes
    assert raw.startswith("\ufeff".encode())
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\r\n") == raw.count(b"\n")
    assert "'" not in csv_text.splitlines()[2]
    initialised.ok("review", "suspend", second, "--reason", "Purdah")
    html = initialised.ok("report", "programme", "--year", "2027").stdout
    page = parse(html)
    assert page.tags.count("svg") == 1
    assert {"header", "main"} <= set(page.tags)
    assert "Street lighting" in html
    # The authority, the stage each is in (in words), due dates and who is paused.
    assert "<h1>Exampleshire County Council: programme of Best Value reviews 2027</h1>" in html
    assert f"{second} (suspended)" in html  # its line on the chart
    assert "<strong>Suspended</strong>" in html
    assert 'class="legend"' in html
    md = initialised.ok("report", "programme", "--format", "md").stdout
    assert md.startswith("# Exampleshire County Council: programme of Best Value reviews")
    assert "| Challenge | Suspended (paused) |" in md
    none = json.loads(initialised.ok("report", "programme", "--year", "2026", "--format",
                                     "json").stdout)
    assert none == []


def test_indicator_exports_neutralise_formulas(initialised: Cli,
                                               new_review: Callable[..., str]) -> None:
    ref = new_review("=HYPERLINK(\"http://evil\")")
    listed = initialised.ok("review", "list", "--csv").stdout.splitlines()
    assert listed[1].startswith(f'{ref},"\'=HYPERLINK')


@pytest.mark.slow
def test_report_renders_in_headless_chromium(initialised: Cli, reviewed: str,
                                             tmp_path: Path) -> None:
    from PIL import Image

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing; .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed here (CI installs and runs it)")
    page = tmp_path / "report.html"
    page.write_text(report(initialised, reviewed))
    shot = tmp_path / "report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars"]
    subprocess.run([browser, *flags, "--window-size=1100,2400", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert dom.count("<svg") == 3
    assert "polyline" in dom
    image = Image.open(shot).convert("RGB")
    assert image.size == (1100, 2400)
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # text, tables and charts, not a blank page
    blue = sum(count for count, (r, g, b) in colours if b > 150 and r < 80)
    assert blue > 500  # the actual-dates bars and indicator lines are drawn


def test_restricted_proposals_stay_out_of_the_public_report(
        initialised: Cli, reviewed: str, tmp_path: Path) -> None:
    """The consult and compete proposals were circulated restricted (the default)."""
    paper = tmp_path / "open.txt"
    paper.write_text("An open paper\n")
    initialised.ok("proposal", "circulate", reviewed, "--title", "Open proposal", "--file",
                   str(paper), "--disclosure", "public")
    initialised.ok("proposal", "circulate", reviewed, "--title", "Secret proposal", "--file",
                   str(paper), "--disclosure", "confidential")
    expected = {
        "public": ({"Open proposal"}, {"Proposal for consult", "Proposal for compete",
                                       "Secret proposal"}),
        "working-party": ({"Open proposal", "Proposal for consult", "Proposal for compete"},
                          {"Secret proposal"}),
        "internal": ({"Open proposal", "Proposal for consult", "Secret proposal"}, set()),
    }
    for audience, (shown, hidden) in expected.items():
        for fmt in ("html", "md"):
            text = report(initialised, reviewed, "--audience", audience, "--format", fmt)
            for title in shown:
                assert title in text, (audience, fmt, title)
            for title in hidden:
                assert title not in text, (audience, fmt, title)


def test_a_committee_can_read_the_report_without_a_glossary(initialised: Cli,
                                                            reviewed: str) -> None:
    """Codes in words, charts with legends, an axis that fits, results against targets in
    words, landmarks, and Markdown that reads as typed."""
    initialised.ok("pi", "record", reviewed, "BV82a", "--period", "2027-28", "--value", "38.5")
    initialised.ok("evidence", "add", reviewed, "--kind", "meeting_minutes", "--title",
                   "Public minutes", "--disclosure", "public")
    html = report(initialised, reviewed)
    page = parse(html)
    assert {"header", "main"} <= set(page.tags)
    text = " ".join(page.text)
    for words in ("Which information will and will not be disclosed", "Trade unions",
                  "Committee meeting", "2027-28: 38.5% against a target of 40%: missed by 1.5%"):
        assert words in text, words
    for code in ("information_disclosure", "trade_union", "in_progress", "working_party",
                 "baseline_profile"):
        assert f">{code}<" not in html, code
    # Every chart explains itself: the timetable's bars and the trends' lines and band.
    assert html.count('class="legend"') == 3
    assert "planned, from the stage&#x27;s target" in html
    assert "comparators&#x27; median" in html
    # The timetable's axis ends with what happened (monitoring's planned year is cut).
    years = [int(y) for y in re.findall(r'font-size="11"[^>]*>\d{1,2} \w\w\w (\d{4})</text>', html)]
    assert years
    assert max(years) <= 2027
    md = report(initialised, reviewed, "--format", "md")
    assert "jo@exampleshire.gov.uk" in md  # not jo@exampleshire\.gov\.uk
    assert "(Public)" in md  # the disclosure level, not the public meeting
    assert "Public meeting or forum" not in md
    assert "Which information will and will not be disclosed" in md
    assert "38.5% against a target of 40%: missed by 1.5%" in md


def _luminance(colour: str) -> float:
    """WCAG 2.2's relative luminance of '#rrggbb'."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast_with_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


def test_charts_say_in_words_what_they_draw(initialised: Cli, reviewed: str) -> None:
    """A screen reader reads neither bars nor the text inside an image: each chart's
    description (its <desc>) says what it draws."""
    html = report(initialised, reviewed)
    timetable, recycling, cost = re.findall(r"<desc>(.*?)</desc>", html)
    assert timetable.startswith("Challenge: planned 4 Jan 2027 to ")
    assert "; Monitor: planned " in timetable
    assert timetable.endswith("; rule overridden on 4 Jan 2027.")
    assert recycling == ("Actual: 2025-26 31.5, 2026-27 35. Target: 2027-28 40. "
                         "Comparators: lower quartile 31.5, median 35.5, upper quartile 38.1.")
    assert cost.startswith("Actual: 2025-26 52. Comparators: lower quartile ")
    programme = initialised.ok("report", "programme").stdout
    assert f"<desc>{reviewed}: ran 4 Jan 2027 to 4 Jan 2027, ran 4 Jan 2027 to " in programme


def test_every_chart_mark_has_3_to_1_contrast(initialised: Cli, reviewed: str) -> None:
    """WCAG 2.2 1.4.11 (which axe cannot check): a mark lighter than 3:1 against the page
    (the quartile band, the suspension's shading) is drawn with an edge that is not."""
    initialised.ok("review", "suspend", reviewed, "--reason", "Purdah")
    html = report(initialised, reviewed)
    marks = re.findall(r"<(?:rect|path|circle|polyline|line)\b[^>]*>", html)
    assert len(marks) > 20
    for mark in marks:
        colours = dict(re.findall(r'\b(fill|stroke)="(#[0-9a-fA-F]{6})"', mark))
        light = "fill" in colours and (_contrast_with_white(colours["fill"]) < 3
                                       or "fill-opacity" in mark)
        seen = colours.get("stroke") if light or "fill" not in colours else colours["fill"]
        assert seen is not None, mark
        assert _contrast_with_white(seen) >= 3, mark
