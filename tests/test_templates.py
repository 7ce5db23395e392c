"""Every notice template renders: a one-line subject, dated with the day of the week, sound HTML.

Each kind's sample is its own, declared with it in ``bvflow.notifications.kinds``, and made
into a stored context by ``bvflow.services.notices.sample_context``, as ``notify preview``
makes it. One test walks a real review through every kind and checks that the outbox stores
contexts of exactly the sample's shape, so the sample cannot drift from what templates
really receive (documented in docs/notifications.md). The checks on one rendered kind are
plain functions (``check_*``), so that tests/test_kinds.py runs them on a kind it registers.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest
import time_machine
from conftest import Cli, query

from bvflow.domain.calendar import LONDON, WorkingCalendar
from bvflow.domain.timetable import stage_timing
from bvflow.errors import InputError
from bvflow.notifications import kinds
from bvflow.notifications.render import Rendered, london_time, long_date, render
from bvflow.resources import data_dir
from bvflow.services.app import Loaded
from bvflow.services.notices import Recipient, sample_context
from bvflow.store.models import Review
from bvflow.workflow_files import read_path

TEMPLATES = data_dir("notifications")
DEFINITION = read_path(data_dir("workflows") / "best-value.yaml").definition
CALENDAR = WorkingCalendar("england")
ENTERED = datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)  # a Monday
NOW = datetime(2027, 1, 12, 9, 0, tzinfo=LONDON)
# Compare has a stage before it and one after: a stage change and a return name both.
STAGE = "compare"
TEXT = "Refuse collection"
HOSTILE = 'Parks <script>alert(1)</script> & "gardens" {{ 7 * 7 }}'
WEEKDAY_DATE = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) (\d{1,2}) ([A-Z][a-z]+) (\d{4})"
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _loaded(title: str) -> Loaded:
    review = Review(
        ref="BV-2027-001",
        title=title,
        service="Waste <b>and recycling</b>",
        coordinator="jo@exampleshire.gov.uk",
        workflow="best-value",
        definition_digest="0" * 64,
        stage=STAGE,
        status="active",
        stage_entered_at=ENTERED,
        created_at=ENTERED,
        updated_at=ENTERED,
    )
    return Loaded(review, DEFINITION, CALENDAR)


def sample(kind: str, text: str = TEXT, role: str = "member") -> dict[str, Any]:
    """The context the outbox stores for ``kind``'s sample, sent to a working-party member.

    ``text`` stands for everything a user types: the review's title, reasons, meeting and
    paper titles. ``role`` is the recipient's working-party role, which decides the papers.
    """
    stage = DEFINITION.stage(STAGE)
    timing = stage_timing(CALENDAR, ENTERED, NOW, stage.min_working_days,
                          stage.target_working_days, [])
    person = Recipient("rep@unison.example", "UNISON <branch>", role)
    return sample_context(kinds.get(kind), _loaded(text), "Exampleshire County Council", timing,
                          person, actor="jo.bloggs", now=NOW, text=text)


def with_papers() -> list[str]:
    return [k for k in kinds.names() if kinds.get(k).disclosure.papers]


# --- HTML ----------------------------------------------------------------------------------

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


class Structure(HTMLParser):
    """Records every tag and the text; notes each end tag that does not close the open one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.open: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> while {self.open[-1:] or 'nothing'} is open")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    parser.close()
    assert parser.problems == [], parser.problems
    assert parser.open == [], f"never closed: {parser.open}"
    return parser


# --- the checks on one kind ----------------------------------------------------------------


def check_subject(kind: str, out: Rendered, context: dict[str, Any]) -> None:
    """One non-empty line naming what it is about."""
    assert out.subject.strip()
    assert "\n" not in out.subject
    assert "\r" not in out.subject
    assert out.subject == out.subject.strip()
    # Meeting subjects name the meeting; the authority's own (no review) say so; every other
    # subject names the review.
    named = (
        context["meeting"]["title"] if "meeting" in context
        else "(authority)" if context["review"] is None
        else "BV-2027-001"
    )
    assert named in out.subject, kind
    assert len(out.subject) < 150


def check_who_and_what(out: Rendered, context: dict[str, Any]) -> None:
    """Both alternatives say who it is for and which review it is about (or, for the
    authority's own reminders, which authority)."""
    for body in (out.text, out.html):
        if context["review"] is None:
            assert context["authority"] in body
        else:
            assert "BV-2027-001" in body
            assert TEXT in body
        assert "rep@unison.example" in body
    assert out.text.endswith("\n")
    assert "{{" not in out.text + out.html
    assert "{%" not in out.text + out.html


def _weekday_dates(body: str) -> list[tuple[str, date]]:
    found = []
    for weekday, day, month, year in WEEKDAY_DATE.findall(body):
        found.append((weekday, datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date()))
    return found


def check_dates(kind: str, out: Rendered) -> None:
    """Dates say the day of the week, and never appear as ISO."""
    for body in (out.subject + "\n" + out.text, out.html):
        dates = _weekday_dates(body)
        # Every kind shows a date (the proposal notice, the date by which views are due).
        assert dates, f"{kind} shows no date with its day of the week"
        for weekday, day in dates:
            assert f"{day:%A}" == weekday, f"{kind}: {weekday} {day} has the wrong weekday"
        assert not ISO_DATE.search(body), f"{kind} shows an ISO date: {ISO_DATE.search(body)}"
        assert "(not set)" not in body


def check_html(out: Rendered) -> None:
    """The HTML alternative is a well-formed page."""
    assert out.html.lstrip().startswith("<!DOCTYPE html>")
    structure = parse_html(out.html)
    assert {"html", "head", "title", "body", "h1"} <= set(structure.tags)


def check_escaping(kind: str, council_dir: Path | None = None) -> None:
    """User text is escaped in HTML and never evaluated."""
    context = sample(kind, text=HOSTILE)
    if context["review"] is None:  # the authority's own: its name is all that was typed
        context["authority"] = HOSTILE
    out = render(kind, context, council_dir)
    structure = parse_html(out.html)
    assert not {"script", "b", "i"} & set(structure.tags), structure.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    # What the reader sees is exactly what was typed, in both alternatives.
    assert HOSTILE in "".join(structure.text)
    assert HOSTILE in out.text
    assert "49" not in out.text + out.html


def check_papers(kind: str, council_dir: Path | None = None) -> None:
    """Papers, and what the kind withholds with them, only to those who may see them."""
    context = sample(kind, role="member")
    member = render(kind, context, council_dir)
    (paper,) = context["papers"]
    assert f"{paper['title']} (options.pdf)" in member.text
    assert f"{paper['title']} (options.pdf)" in member.html
    secrets = [paper["title"]]
    for section, key in kinds.get(kind).disclosure.withheld:
        assert context[section][key], f"the sample of {kind} has no {section}.{key}"
        secrets.append(context[section][key])
    observer = render(kind, sample(kind, role="observer"), council_dir)
    # An observer is not told a restricted paper's title, not even in the subject.
    for secret in secrets:
        assert secret not in observer.subject + observer.text + observer.html, secret


def check_kind(kind: str, council_dir: Path | None = None) -> None:
    """Every check, on one kind."""
    context = sample(kind)
    out = render(kind, context, council_dir)
    check_subject(kind, out, context)
    check_who_and_what(out, context)
    check_dates(kind, out)
    check_html(out)
    check_escaping(kind, council_dir)
    if kinds.get(kind).disclosure.papers:
        check_papers(kind, council_dir)


# --- every kind renders --------------------------------------------------------------------


@pytest.fixture(params=kinds.names(), ids=kinds.names())
def rendered(request: pytest.FixtureRequest) -> tuple[str, Rendered, dict[str, Any]]:
    kind: str = request.param
    context = sample(kind)
    return kind, render(kind, context), context


def test_the_subject_is_one_non_empty_line_naming_what_it_is_about(
        rendered: tuple[str, Rendered, dict[str, Any]]) -> None:
    check_subject(*rendered)


def test_text_and_html_say_who_it_is_for_and_about(
        rendered: tuple[str, Rendered, dict[str, Any]]) -> None:
    check_who_and_what(rendered[1], rendered[2])


def test_dates_say_the_day_of_the_week_and_never_appear_as_iso(
        rendered: tuple[str, Rendered, dict[str, Any]]) -> None:
    check_dates(*rendered[:2])


def test_the_html_alternative_is_well_formed(
        rendered: tuple[str, Rendered, dict[str, Any]]) -> None:
    check_html(rendered[1])


@pytest.mark.parametrize("kind", kinds.names(), ids=kinds.names())
def test_user_text_is_escaped_in_html_and_never_evaluated(kind: str) -> None:
    check_escaping(kind)


@pytest.mark.parametrize("kind", with_papers(), ids=with_papers())
def test_papers_are_listed_only_to_those_who_may_see_them(kind: str) -> None:
    check_papers(kind)


def test_the_kinds_with_papers_are_the_meeting_notices_and_the_proposal() -> None:
    assert with_papers() == ["meeting_notice", "meeting_updated", "proposal_circulated"]


# --- the filters ---------------------------------------------------------------------------


LONDON_TIMES = [
    ("2027-01-04T09:30:00+00:00", "Monday 4 January 2027 at 09:30 GMT"),
    ("2027-03-28T23:30:00+00:00", "Monday 29 March 2027 at 00:30 BST"),
    ("2027-10-31T01:30:00+00:00", "Sunday 31 October 2027 at 01:30 GMT"),
]


@pytest.mark.parametrize(("instant", "shown"), LONDON_TIMES, ids=[s for _, s in LONDON_TIMES])
def test_the_london_filter_shows_london_time_with_the_weekday(instant: str, shown: str) -> None:
    assert london_time(instant) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [("2027-01-19", "Tuesday 19 January 2027"), (date(2027, 4, 5), "Monday 5 April 2027"),
     (None, "(not set)"), ("", "(not set)")],
    ids=["iso text", "date", "none", "empty"],
)
def test_the_longdate_filter(value: str | date | None, shown: str) -> None:
    assert long_date(value) == shown


# --- the template folder -------------------------------------------------------------------


def _references(name: str) -> set[str]:
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    found = jinja2.meta.find_referenced_templates(jinja2.Environment().parse(source))
    names = set(found)
    assert None not in names, f"{name} includes a template chosen at run time"
    return {n for n in names if n is not None}


def _used() -> set[str]:
    todo = [name for kind in kinds.names() for name in kinds.get(kind).templates]
    used: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in used:
            used.add(name)
            todo.extend(_references(name))
    return used


def test_every_kind_has_a_text_and_an_html_template() -> None:
    for kind in kinds.names():
        for name in kinds.get(kind).templates:
            assert (TEMPLATES / name).is_file(), kind


def test_every_template_file_is_used_no_orphans() -> None:
    shipped = {p.name for p in TEMPLATES.iterdir() if p.name.endswith(".j2")}
    assert shipped == _used()
    others = {p.name for p in TEMPLATES.iterdir()} - shipped
    assert others == {"README.md"}


# --- a council's own templates -------------------------------------------------------------


def test_a_council_template_overrides_one_kind(tmp_path: Path) -> None:
    (tmp_path / "review_opened.txt.j2").write_text(
        "{% set subject %}Exampleshire: {{ review.ref }} has begun{% endset %}"
        "Hello {{ recipient.name }}, {{ review.title }} starts on {{ at | london }}.\n",
        encoding="utf-8",
    )
    context = sample("review_opened")
    mine = render("review_opened", context, council_dir=tmp_path)
    bundled = render("review_opened", context)
    assert mine.subject == "Exampleshire: BV-2027-001 has begun"
    assert mine.text == ("Hello UNISON <branch>, Refuse collection starts on Tuesday 12 January"
                         " 2027 at 09:00 GMT.\n")
    assert mine.html == bundled.html  # not overridden: the bundled HTML is used
    other = sample("review_closed")
    assert render("review_closed", other, council_dir=tmp_path) == render("review_closed", other)


def test_a_council_include_applies_to_every_kind(tmp_path: Path) -> None:
    (tmp_path / "_footer.txt.j2").write_text(
        "\n-- \nExampleshire County Council, County Hall."
        "{{ ' Reference ' ~ review.ref ~ '.' if review else '' }}\n",
        encoding="utf-8",
    )
    for kind in kinds.names():
        context = sample(kind)
        text = render(kind, context, council_dir=tmp_path).text
        reference = " Reference BV-2027-001." if context["review"] else ""
        assert text.endswith(f"\n-- \nExampleshire County Council, County Hall.{reference}\n"), kind


BROKEN = [
    ("stage_changed.html.j2", "{% if %}broken", "stage_changed"),
    ("stage_changed.txt.j2", "{% set subject %}x{% endset %}{{ review.nope }}", "stage_changed"),
    ("review_closed.txt.j2", "{% set subject %}x{% endset %}{{ review.__class__ }}",
     "review_closed"),
    ("review_opened.txt.j2", "No subject here.\n", "review_opened.txt.j2 does not set a subject"),
]


@pytest.mark.parametrize(
    ("name", "source", "message"), BROKEN,
    ids=["syntax error", "unknown variable", "sandboxed attribute", "no subject"],
)
def test_a_broken_council_template_is_an_input_error_naming_it(
        tmp_path: Path, name: str, source: str, message: str) -> None:
    (tmp_path / name).write_text(source, encoding="utf-8")
    kind = name.split(".")[0]
    with pytest.raises(InputError, match=re.escape(message)):
        render(kind, sample(kind), council_dir=tmp_path)


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "stage_changed.html.j2").write_text("<p>\n{% if %}\n</p>\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        render("stage_changed", sample("stage_changed"), council_dir=tmp_path)
    assert "stage_changed.html.j2" in caught.value.message
    assert "line 2" in caught.value.message


def test_an_unknown_kind_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown notice kind 'birthday'"):
        render("birthday", sample("review_opened"))


# --- the sample has the shape of what the outbox really stores -----------------------------


TINY = """\
name: tiny
title: Tiny review
reminders:
  before_target: [2]
  on_target: true
  overdue_every: 3
  period_ends: 1
stages:
  - name: scope
    title: Scope
    min_working_days: 5
    target_working_days: 10
  - name: options
    title: Options appraisal
    min_working_days: 3
    target_working_days: 6
    requires:
      - agreement: [priorities]
  - name: done
    title: Done
    final: true
"""


def _shape(value: Any) -> Any:
    """Keys all the way down; every leaf is just 'a value'."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value[:1]]
    return None


def _stored_contexts(db: Any) -> dict[str, dict[str, Any]]:
    rows = query(db, "SELECT kind, context FROM outbox ORDER BY id")
    found: dict[str, dict[str, Any]] = {}
    for kind, context in rows:
        found.setdefault(kind, json.loads(context))
    return found


def _walk_every_kind(cli: Cli, travel: time_machine.Coordinates, workflow: Path) -> None:
    ref = cli.ok("review", "create", "Parks", "--service", "Leisure", "--coordinator",
                 "jo@exampleshire.gov.uk", "--workflow", str(workflow)).stdout.strip()
    cli.ok("review", "watch", ref, "rep@unison.example", "--name", "UNISON branch")
    paper = workflow.with_name("options.txt")
    paper.write_text("Options for the parks service\n", encoding="utf-8")
    cli.ok("meeting", "schedule", ref, "--title", "Working party", "--at", "2027-02-10 18:00",
           "--place", "Committee Room 2", "--papers", str(paper))
    # Joining after the meeting was called: the welcome lists it.
    cli.ok("party", "add", ref, "--name", "Sam Patel", "--email", "sam@unison.example",
           "--organisation", "UNISON City Branch", "--category", "trade_union")
    cli.ok("meeting", "reschedule", ref, "1", "--at", "2027-02-11 18:00")
    cli.ok("meeting", "cancel", ref, "1", "--reason", "Snow")
    cli.ok("proposal", "circulate", ref, "--title", "Options", "--file", str(paper))
    cli.ok("action", "add", ref, "--title", "Weekly collection", "--owner",
           "owner@exampleshire.gov.uk", "--due", "2027-01-20")
    # The performance plan's reminder, to the officer the settings name.
    (cli.db.parent / "bvflow.toml").write_text(
        '[performance]\nplan_due = "01-20"\nofficer = "pi@exampleshire.gov.uk"\n',
        encoding="utf-8",
    )
    day = date(2027, 1, 5)
    while day <= date(2027, 1, 22):  # period ends, due soon, due today, overdue
        travel.move_to(datetime(day.year, day.month, day.day, 9, tzinfo=LONDON))
        cli.ok("sweep")
        day += timedelta(days=1)
    cli.ok("review", "advance", ref)
    cli.ok("review", "return", ref, "--to", "scope", "--reason", "The baseline was wrong")
    cli.ok("review", "suspend", ref, "--reason", "Purdah")
    cli.ok("review", "resume", ref)
    cli.ok("review", "advance", ref, "--override-timetable", "--reason", "Members agreed")
    cli.ok("agreement", "record", ref, "--item", "priorities", "--agreed-by", "UNISON",
           "--external", "UNISON")
    cli.ok("review", "advance", ref, "--override-timetable", "--reason", "Members agreed")
    other = cli.ok("review", "create", "Libraries", "--service", "Culture", "--coordinator",
                   "jo@exampleshire.gov.uk", "--workflow", str(workflow)).stdout.strip()
    cli.ok("review", "abandon", other, "--reason", "Transferred to the county")


def test_the_sample_has_the_shape_the_outbox_stores_for_every_kind(
        initialised: Cli, travel: time_machine.Coordinates, tmp_path: Path) -> None:
    workflow = tmp_path / "tiny.yaml"
    workflow.write_text(TINY, encoding="utf-8")
    _walk_every_kind(initialised, travel, workflow)
    stored = _stored_contexts(initialised.db)
    assert sorted(stored) == sorted(kinds.names())
    for kind, context in stored.items():
        assert _shape(context) == _shape(sample(kind)), kind
        out = render(kind, context)
        parse_html(out.html)
        # A proposal in a stage that sets no discussion period has no date by which views
        # are due (this workflow sets none); every other notice is dated.
        undated = kind == "proposal_circulated" and not context["proposal"]["views_by"]
        assert _weekday_dates(out.text) or undated, kind
    assert stored["review_closed"]["overridden"] is True
    assert stored["review_closed"]["reason"] == "Members agreed"


@pytest.mark.parametrize("kind", ["meeting_notice", "meeting_updated"])
def test_a_meeting_notice_says_how_to_send_apologies(kind: str) -> None:
    out = render(kind, sample(kind))
    for body in (out.text, out.html):
        flat = " ".join(body.split())
        assert "reply to this email with your apologies" in flat
        assert "the reply goes to the coordinator, jo@exampleshire.gov.uk" in flat


def test_a_paper_named_by_its_file_is_listed_once() -> None:
    context = sample("meeting_notice")
    context["papers"] = [{"id": 3, "title": "agenda.txt", "file_name": "agenda.txt",
                          "disclosure": "public"}]
    out = render("meeting_notice", context)
    assert "  - agenda.txt\n" in out.text
    assert "agenda.txt (agenda.txt)" not in out.text + out.html
