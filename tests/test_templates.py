"""Every notice template renders: a one-line subject, dated with the day of the week, sound HTML.

The sample context is built with ``bvflow.services.notices.context_for`` and the same extras
the notice and reminder paths pass; one test walks a real review through every kind and
checks that the outbox stores contexts of exactly the sample's shape, so the sample cannot
drift from what templates really receive (documented in docs/notifications.md).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest
import time_machine
from conftest import Cli, query

from bvflow.domain.calendar import LONDON, WorkingCalendar
from bvflow.domain.reminders import working_days_before
from bvflow.domain.timetable import StageTiming, stage_timing
from bvflow.errors import InputError
from bvflow.notifications.kinds import KINDS, REMINDER_PREFIX
from bvflow.notifications.render import Rendered, london_time, long_date, render
from bvflow.resources import data_dir
from bvflow.services.app import Loaded
from bvflow.services.notices import context_for
from bvflow.store.models import Review
from bvflow.workflow_files import read_path

TEMPLATES = data_dir("notifications")
DEFINITION = read_path(data_dir("workflows") / "best-value.yaml").definition
CALENDAR = WorkingCalendar("england")
ENTERED = datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)  # a Monday
NOW = datetime(2027, 1, 12, 9, 0, tzinfo=LONDON)
MEETING_AT = datetime(2027, 2, 10, 18, 0, tzinfo=LONDON)
HOSTILE = 'Parks <script>alert(1)</script> & "gardens" {{ 7 * 7 }}'
WEEKDAY_DATE = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) (\d{1,2}) ([A-Z][a-z]+) (\d{4})"
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# (from_stage, to_stage, status afterwards) for each lifecycle notice, as the lifecycle
# records them; the review is in to_stage afterwards.
NOTICE_STAGES: dict[str, tuple[str | None, str, str]] = {
    "review_opened": (None, "challenge", "active"),
    "stage_changed": ("challenge", "compare", "active"),
    "review_returned": ("compare", "challenge", "active"),
    "review_suspended": ("compare", "compare", "suspended"),
    "review_resumed": ("compare", "compare", "active"),
    "review_abandoned": ("compare", "abandoned", "abandoned"),
    "review_closed": ("monitor", "closed", "closed"),
}
REMINDERS = [k for k in KINDS if k.startswith(REMINDER_PREFIX)]
MEETINGS = ["meeting_notice", "meeting_updated", "meeting_cancelled"]
ACTIONS = ["action_due_soon", "action_overdue"]
ACTION_DUE = date(2027, 2, 1)
WITH_PAPERS = ["meeting_notice", "meeting_updated", "proposal_circulated"]
WELCOME = "party_welcome"


def _stage(name: str | None) -> dict[str, str] | None:
    if name is None:
        return None
    title = DEFINITION.stage(name).title if DEFINITION.has_stage(name) else name.capitalize()
    return {"name": name, "title": title}


def _loaded(title: str, stage: str, status: str) -> Loaded:
    review = Review(
        ref="BV-2027-001",
        title=title,
        service="Waste <b>and recycling</b>",
        coordinator="jo@exampleshire.gov.uk",
        workflow="best-value",
        definition_digest="0" * 64,
        stage=stage,
        status=status,
        stage_entered_at=ENTERED,
        created_at=ENTERED,
        updated_at=ENTERED,
    )
    return Loaded(review, DEFINITION, CALENDAR)


def _notice_extras(kind: str, text: str) -> dict[str, Any]:
    """As services/notices.py queue_for_event passes them."""
    from_stage, to_stage, _ = NOTICE_STAGES[kind]
    overridden = kind in ("stage_changed", "review_closed")
    return {
        "from_stage": _stage(from_stage),
        "to_stage": _stage(to_stage),
        "reason": None if kind == "review_opened" else f"Members agreed: {text}",
        "overridden": overridden,
        "actor": "jo.bloggs",
        "at": NOW.astimezone(UTC).isoformat(),
        "event_seq": 7,
    }


def _reminder_extras(kind: str, timing: StageTiming) -> dict[str, Any]:
    """``due_on`` and ``details`` as bvflow.domain.reminders computes them for each kind."""
    target, earliest = timing.target, timing.earliest
    assert target is not None
    assert earliest is not None
    ends_on = earliest - timedelta(days=1)
    due: dict[str, tuple[date, dict[str, Any]]] = {
        "reminder_due_soon": (working_days_before(CALENDAR, target, 5), {"days": 5}),
        "reminder_due_today": (target, {}),
        "reminder_overdue": (next(CALENDAR.counting_days(target)), {"days_overdue": 1}),
        "reminder_period_ends": (
            working_days_before(CALENDAR, ends_on, 2),
            {"ends_on": ends_on, "earliest": earliest},
        ),
    }
    due_on, details = due[kind]
    return {
        "due_on": due_on,
        "details": details,
        "clear_days": timing.clear_days,
        "min_days": timing.min_days,
    }


def _meeting_extras(kind: str, text: str) -> dict[str, Any]:
    """As services/meetings.py passes them for a meeting and each change to it."""
    sequence = MEETINGS.index(kind)
    return {
        "meeting": {
            "id": 1,
            "uid": "0b6f2c1e-8d7a-4c3b-9f51-2a1d6e0c4b7a@bvflow",
            "sequence": sequence,
            "title": f"Working party on {text}",
            "place": f"Committee Room 2 ({text})",
            "starts_at": MEETING_AT.isoformat(),
            "minutes": 120,
            "status": "cancelled" if kind == "meeting_cancelled" else "scheduled",
            "kind": "working_party",
            "kind_title": "Working-party meeting",
            "notice_days": 5,
            "notice": "5 clear working days (agreed notice: the council's workflow file)",
            "notice_label": "agreed notice",
            "override_reason": f"Urgent: {text}" if sequence else None,
        },
        "reason": f"Snow: {text}" if sequence else None,
        "at": NOW.astimezone(UTC).isoformat(),
    }


def _action_extras(kind: str, text: str) -> dict[str, Any]:
    """As services/notices.py action_rows passes them for an improvement-plan action."""
    due: dict[str, tuple[date, dict[str, Any]]] = {
        "action_due_soon": (working_days_before(CALENDAR, ACTION_DUE, 5), {"days": 5}),
        "action_overdue": (next(CALENDAR.counting_days(ACTION_DUE)), {"days_overdue": 1}),
    }
    due_on, details = due[kind]
    return {
        "due_on": due_on,
        "details": details,
        "action": {
            "id": 1,
            "title": f"Weekly collection: {text}",
            "owner": "owner@exampleshire.gov.uk",
            "due": ACTION_DUE,
            "indicator": "BV82a",
            "status": "planned",
        },
    }


def _welcome_extras(text: str) -> dict[str, Any]:
    """As services/party.py welcome_extras passes them for a newcomer."""
    return {
        "member": {
            "name": f"Sam {text}",
            "organisation": f"UNISON {text}",
            "category": "trade_union",
            "category_title": "Trade unions",
            "role": "member",
            "role_meaning": "you represent your organisation",
        },
        "stages": [
            {"name": s.name, "title": s.title, "description": s.description,
             "min_days": s.min_working_days, "target_days": s.target_working_days,
             "current": s.name == "challenge"}
            for s in DEFINITION.stages if not s.final
        ],
        "agreements": [{"item": "scope", "title": "Scope", "stage": "Challenge"}],
        "meetings": [{"title": f"Working party on {text}", "starts_at": MEETING_AT.isoformat(),
                      "place": f"Committee Room 2 ({text})",
                      "kind_title": "Working-party meeting"}],
        "at": NOW.astimezone(UTC).isoformat(),
    }


def _extras(kind: str, timing: StageTiming, text: str) -> dict[str, Any]:
    if kind in NOTICE_STAGES:
        return _notice_extras(kind, text)
    if kind in REMINDERS:
        return _reminder_extras(kind, timing)
    if kind in MEETINGS:
        return _meeting_extras(kind, text)
    if kind in ACTIONS:
        return _action_extras(kind, text)
    if kind == WELCOME:
        return _welcome_extras(text)
    assert kind == "proposal_circulated", f"no sample for {kind}: add one here"
    return {"proposal": {"id": 1, "title": f"Options for {text}", "discussion_days": 10,
                         "views_by": date(2027, 1, 26)}, "at": NOW.isoformat()}


def sample(kind: str, text: str = "Refuse collection", role: str = "member") -> dict[str, Any]:
    """The context the outbox stores for ``kind``, built as services/notices.py does.

    ``text`` stands for everything a user types: the review's title, reasons, meeting and
    paper titles. ``role`` is the recipient's working-party role, which decides the papers.
    """
    stage, status = NOTICE_STAGES[kind][1:] if kind in NOTICE_STAGES else ("challenge", "active")
    periods = DEFINITION.stage(stage) if DEFINITION.has_stage(stage) else None
    timing = stage_timing(
        CALENDAR,
        ENTERED,
        NOW,
        periods.min_working_days if periods else 0,
        periods.target_working_days if periods else None,
        [(NOW, None)] if status == "suspended" else [],
    )
    context = context_for(
        _loaded(text, stage, status),
        "Exampleshire County Council",
        None if kind in ACTIONS else timing,  # an action's dates are its own
        **_extras(kind, timing, text),
    )
    paper = {"id": 3, "title": f"Options for {text}", "file_name": "options.pdf",
             "disclosure": "restricted"}
    papers = [paper] if kind in WITH_PAPERS and role != "observer" else []
    context.update(
        kind=kind,
        papers=papers,
        attachments=[p["id"] for p in papers],
        recipient={"email": "rep@unison.example", "name": "UNISON <branch>", "role": role},
    )
    # The outbox stores JSON: templates see strings, numbers, booleans, None, lists and dicts.
    stored: dict[str, Any] = json.loads(json.dumps(context, sort_keys=True, default=str))
    return stored


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


# --- every kind renders --------------------------------------------------------------------


@pytest.fixture(params=KINDS, ids=KINDS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, Rendered]:
    kind: str = request.param
    return kind, render(kind, sample(kind))


def test_the_subject_is_one_non_empty_line_naming_what_it_is_about(
        rendered: tuple[str, Rendered]) -> None:
    kind, out = rendered
    assert out.subject.strip()
    assert "\n" not in out.subject
    assert "\r" not in out.subject
    assert out.subject == out.subject.strip()
    # Meeting subjects name the meeting; every other subject names the review.
    assert ("Working party on" if kind in MEETINGS else "BV-2027-001") in out.subject
    assert len(out.subject) < 150


def test_text_and_html_say_who_it_is_for_and_about(rendered: tuple[str, Rendered]) -> None:
    _, out = rendered
    for body in (out.text, out.html):
        assert "BV-2027-001" in body
        assert "Refuse collection" in body
        assert "rep@unison.example" in body
    assert out.text.endswith("\n")
    assert "{{" not in out.text + out.html
    assert "{%" not in out.text + out.html


def _weekday_dates(body: str) -> list[tuple[str, date]]:
    found = []
    for weekday, day, month, year in WEEKDAY_DATE.findall(body):
        found.append((weekday, datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date()))
    return found




def test_dates_say_the_day_of_the_week_and_never_appear_as_iso(
        rendered: tuple[str, Rendered]) -> None:
    kind, out = rendered
    for body in (out.subject + "\n" + out.text, out.html):
        dates = _weekday_dates(body)
        # Every kind shows a date (the proposal notice, the date by which views are due).
        assert dates, f"{kind} shows no date with its day of the week"
        for weekday, day in dates:
            assert f"{day:%A}" == weekday, f"{kind}: {weekday} {day} has the wrong weekday"
        assert not ISO_DATE.search(body), f"{kind} shows an ISO date: {ISO_DATE.search(body)}"
        assert "(not set)" not in body


def test_the_html_alternative_is_well_formed(rendered: tuple[str, Rendered]) -> None:
    _, out = rendered
    assert out.html.lstrip().startswith("<!DOCTYPE html>")
    structure = parse_html(out.html)
    assert {"html", "head", "title", "body", "h1"} <= set(structure.tags)


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_user_text_is_escaped_in_html_and_never_evaluated(kind: str) -> None:
    out = render(kind, sample(kind, text=HOSTILE))
    structure = parse_html(out.html)
    assert not {"script", "b", "i"} & set(structure.tags), structure.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    # What the reader sees is exactly what was typed, in both alternatives.
    assert HOSTILE in "".join(structure.text)
    assert HOSTILE in out.text
    assert "49" not in out.text + out.html


@pytest.mark.parametrize("kind", WITH_PAPERS, ids=WITH_PAPERS)
def test_papers_are_listed_only_to_those_who_may_see_them(kind: str) -> None:
    member = render(kind, sample(kind, role="member"))
    assert "Options for Refuse collection (options.pdf)" in member.text
    assert "Options for Refuse collection (options.pdf)" in member.html
    observer = render(kind, sample(kind, role="observer"))
    # An observer is not told a restricted paper's title, not even in the subject.
    assert "Options for" not in observer.subject + observer.text + observer.html


def test_every_kind_has_a_sample() -> None:
    groups = [list(NOTICE_STAGES), REMINDERS, MEETINGS, ACTIONS, ["proposal_circulated"],
              [WELCOME]]
    assert sorted(k for group in groups for k in group) == sorted(KINDS)


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
    todo = [f"{kind}.{alt}.j2" for kind in KINDS for alt in ("txt", "html")]
    used: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in used:
            used.add(name)
            todo.extend(_references(name))
    return used


def test_every_kind_has_a_text_and_an_html_template() -> None:
    for kind in KINDS:
        assert (TEMPLATES / f"{kind}.txt.j2").is_file(), kind
        assert (TEMPLATES / f"{kind}.html.j2").is_file(), kind


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
        "\n-- \nExampleshire County Council, County Hall. Reference {{ review.ref }}.\n",
        encoding="utf-8",
    )
    for kind in KINDS:
        text = render(kind, sample(kind), council_dir=tmp_path).text
        assert text.endswith("\n-- \nExampleshire County Council, County Hall. "
                             "Reference BV-2027-001.\n"), kind


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
    assert sorted(stored) == sorted(KINDS)
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
