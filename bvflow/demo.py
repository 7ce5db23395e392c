"""The guided demo: a review from challenge to closed, on an in-process simulated clock.

The clock here is an object passed to the services, never a setting: production commands
always read the system clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bvflow.clock import SimulatedClock
from bvflow.domain.calendar import LONDON
from bvflow.errors import BVFlowError, RefusedError
from bvflow.services import (
    appraisal,
    evidence,
    involvement,
    involvement_plan,
    meetings,
    party,
    performance,
    plan,
    programme,
    reviews,
    setup,
)
from bvflow.services.app import App
from bvflow.services.audit import checkpoint, verify
from bvflow.services.delivery import sweep
from bvflow.services.outbox import list_messages
from bvflow.services.publish import publish
from bvflow.settings import Settings
from bvflow.store.database import Database

Say = Callable[[str], None]
START = datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)  # the first working Monday of 2027
PARTY = [
    ("Sam Patel", "sam.patel@unison.example", "UNISON City Branch", "trade_union", "member"),
    ("Pat Jones", "pat.jones@gmb.example", "GMB Refuse Section", "trade_union", "member"),
    ("Ann Lee", "ann.lee@tenants.example", "Exampleshire Tenants' Federation", "tenants", "chair"),
    ("Raj Singh", "raj.singh@users.example", "Refuse Service User Panel", "users", "member"),
    (
        "Cllr Joan Hart",
        "joan.hart@exampleshire.gov.uk",
        "Environment Scrutiny Committee",
        "elected_members",
        "observer",
    ),
]
EVIDENCE = {
    "challenge": [("scope_statement", "Scope of the refuse collection review")],
    "compare": [("benchmark_figures", "Family group benchmarking extract 2025-26")],
    "consult": [
        ("consultation_plan", "Plan agreed with UNISON, GMB and the tenants"),
        ("consultation_findings", "Findings of the user panel and staff workshops"),
    ],
    "compete": [("options_appraisal", "In-house improvement against partnership and tender")],
    "report": [("review_report", "Review report to Cabinet")],
    "monitor": [("monitoring_report", "Twelve-month monitoring report")],
}


def _wait_until_ready(app: App, clock: SimulatedClock, ref: str) -> None:
    """Move the simulated clock a day at a time until nothing stops the stage being left."""
    for _ in range(400):
        sweep(app)  # as the scheduler would: notice periods run from delivery
        _record_held(app, ref)
        if not reviews.show_review(app, ref).unmet:
            return
        clock.set(
            datetime.combine(
                clock.now().astimezone(LONDON).date() + timedelta(days=1), time(10), tzinfo=LONDON
            )
        )
    raise BVFlowError("the demo could not meet the stage's requirements")


def _record_held(app: App, ref: str) -> None:
    """The coordinator records each meeting once it has taken place: it counts as held then."""
    now = app.now()
    for m in meetings.meetings(app, ref):
        if m.status != "scheduled" or m.held or datetime.fromisoformat(m.starts_at) > now:
            continue
        attended = [organisation for _, _, organisation, _, role in PARTY if role != "observer"]
        meetings.record_meeting(app, ref, m.id, attended[:-1], attended[-1:])


def _paper(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _stage_work(
    app: App, clock: SimulatedClock, ref: str, stage: str, folder: Path, say: Say
) -> None:
    for kind, title in EVIDENCE.get(stage, []):
        evidence.add_evidence(app, ref, kind, title, disclosure="public")
    if stage == "compare":
        _compare(app, ref, folder, say)
    if stage == "consult":
        _consult(app, clock, ref, folder, say)
    if stage == "compete":
        _compete(app, ref, say)
        involvement.circulate_proposal(
            app,
            ref,
            "Options appraisal for consultation",
            _paper(folder, "options.txt", "Four options...\n"),
        )
    if stage == "report":
        plan.add_action(
            app,
            ref,
            "Weekly food waste collection",
            "sam.patel@exampleshire.gov.uk",
            date(2027, 10, 1),
            "BV82a",
            "Recycle more",
        )
        plan.add_action(
            app,
            ref,
            "Route optimisation",
            "ops@exampleshire.gov.uk",
            date(2027, 9, 1),
            "BV86",
            "Cost less",
        )
        for item in ("priorities", "performance_targets"):
            involvement.record_agreement(
                app,
                ref,
                item,
                ["UNISON City Branch", "GMB Refuse Section", "Exampleshire Tenants' Federation"],
            )
        decides = datetime.combine(
            clock.now().astimezone(LONDON).date() + timedelta(days=45), time(10), tzinfo=LONDON
        )
        cabinet = meetings.schedule_meeting(
            app,
            ref,
            "Cabinet: refuse collection review",
            decides,
            "Council Chamber",
            kind="cabinet",
        )
        say(f"  the deciding meeting, {decides:%A %d %B %Y}, needs {cabinet.notice}")
        site = publish(app, folder.parent / "site")
        say(f"  the public site published, {site.files} files: its public notice runs from now")


BENCHMARKS = """authority,code,period,value
Northshire,BV82a,2025-26,38.1
Southshire,BV82a,2025-26,29.4
Westshire,BV82a,2025-26,44.0
Eastshire,BV82a,2025-26,35.5
Midshire,BV82a,2025-26,41.7
Northshire,BV86,2025-26,61.2
Southshire,BV86,2025-26,55.0
Westshire,BV86,2025-26,70.4
Eastshire,BV86,2025-26,48.9
Midshire,BV86,2025-26,58.3
"""


def _compare(app: App, ref: str, folder: Path, say: Say) -> None:
    performance.add_indicator(
        app,
        ref,
        "BV82a",
        "Household waste recycled",
        "%",
        True,
        True,
        31.5,
        "2025-26",
        {"2026-27": 36.0, "2027-28": 42.0},
    )
    performance.add_indicator(
        app,
        ref,
        "BV86",
        "Cost of collection per household",
        "GBP",
        False,
        True,
        57.0,
        "2025-26",
        {"2027-28": 52.0},
    )
    performance.import_comparators(app, ref, _paper(folder, "benchmarks.csv", BENCHMARKS))
    for row in performance.compare(app, ref):
        say(
            f"  {row.code} {row.value:g}: rank {row.result.rank} of {row.result.of}, quartile "
            f"{row.result.quartile}; top quartile needs {row.result.top_quartile_threshold:g}"
        )


def _compete(app: App, ref: str, say: Say) -> None:
    for criterion, weight in (("Quality", 40), ("Cost", 30), ("Staff terms", 30)):
        appraisal.add_criterion(app, ref, criterion, weight)
    scores = {
        "In-house improvement": (75, 60, 90),
        "Partnership": (65, 70, 60),
        "Competitive tender": (60, 80, 30),
    }
    for name, values in scores.items():
        appraisal.add_option(app, ref, name)
        for criterion, value in zip(("Quality", "Cost", "Staff terms"), values, strict=True):
            appraisal.score(app, ref, name, criterion, value)
    appraisal.choose(
        app,
        ref,
        "In-house improvement",
        "Highest weighted score, and keeps staff terms and conditions",
    )
    best = appraisal.appraisal(app, ref).ranked[0]
    say(f"  options appraised; chosen: {best.name} ({best.total:g})")


def _consult(app: App, clock: SimulatedClock, ref: str, folder: Path, say: Say) -> None:
    today = clock.now().astimezone(LONDON).date()
    involvement.add_activity(
        app,
        ref,
        "workshop",
        today,
        ["trade_union", "tenants"],
        ["UNISON City Branch", "Exampleshire Tenants' Federation"],
        "Collection rounds and assisted collections",
    )
    involvement.add_activity(
        app,
        ref,
        "user_panel",
        today,
        ["users"],
        ["Refuse Service User Panel"],
        "Missed bins and communication",
    )
    involvement.circulate_proposal(
        app,
        ref,
        "Draft proposals on collection rounds",
        _paper(folder, "proposals.txt", "Draft proposals...\n"),
    )
    tomorrow = datetime.combine(today + timedelta(days=1), time(18), tzinfo=LONDON)
    try:
        meetings.schedule_meeting(app, ref, "Working party", tomorrow, "Committee Room 2")
    except RefusedError as exc:
        say(f"  a meeting tomorrow is refused: {exc.message.split(': ', 1)[1]}")
    later = datetime.combine(today + timedelta(days=14), time(18), tzinfo=LONDON)
    meetings.schedule_meeting(
        app,
        ref,
        "Working party",
        later,
        "Committee Room 2",
        [_paper(folder, "agenda.txt", "Agenda...\n")],
    )
    say(f"  meeting with notice and papers for {later:%A %d %B %Y at %H:%M}")
    sweep(app)  # the scheduler delivers them: notice runs from delivery
    clock.advance(days=2)
    reviews.suspend(app, ref, "Pre-election period: no consultation events")
    clock.advance(days=14)
    reviews.resume(app, ref)
    say("  consult suspended for two weeks before the elections; those days do not count")


def _open(app: App, say: Say) -> str:
    setup.init(app, "Exampleshire County Council (demo)", "england",
               sender="bestvalue@exampleshire.gov.uk")
    item = programme.plan_review(
        app, "Waste", START.year, "high", "The collection contract ends in March 2028"
    )
    _, ref = programme.start_item(
        app, item.id, "jo.bloggs@exampleshire.gov.uk", title="Refuse collection"
    )
    for name, email, organisation, category, role in PARTY:
        party.add_member(app, ref, name, email, organisation, category, role)
    _plan_involvement(app, ref)
    say(
        f"Opened {ref} 'Refuse collection' from the {START.year} programme on "
        f"{app.now():%A %d %B %Y} (simulated clock), with a working party of {len(PARTY)}."
    )
    return ref


# The review's strategic plan for involvement (the authority's for the year adds tenants by
# June); the pensioners' focus group never happens, so `bvflow report involvement` shows
# the gap.
INVOLVEMENT_PLAN = [
    ("trade_union", ("workshop", "working_party"), "consult"),
    ("tenants", ("workshop",), "consult"),
    ("users", ("user_panel", "survey"), "consult"),
    ("pensioners", ("focus_group",), "consult"),
]


def _plan_involvement(app: App, ref: str) -> None:
    for category, methods, stage in INVOLVEMENT_PLAN:
        involvement_plan.plan_involvement(app, ref, None, category, methods, stage)
    involvement_plan.plan_involvement(app, None, START.year, "tenants", ["workshop"],
                                      by=f"{START.year}-06", note="Every review in the year")


def _challenge(app: App, clock: SimulatedClock, ref: str, say: Say) -> None:
    evidence.add_evidence(app, ref, "scope_statement", "Scope of the review", disclosure="public")
    clock.advance(days=3)
    say(f"\n{clock.now():%A %d %B}: the coordinator tries to advance after three days:")
    try:
        reviews.advance(app, ref)
    except RefusedError as exc:
        say(f"  refused (exit {exc.exit_code}):")
        for unmet in exc.unmet:
            say(f"   - {unmet.message}")
    evidence.add_evidence(app, ref, "baseline_profile", "Baseline profile")
    involvement.record_agreement(
        app,
        ref,
        "baseline_profile",
        ["UNISON City Branch", "Exampleshire Tenants' Federation"],
        ["GMB Refuse Section"],
        "GMB wants the 2019 figures included",
    )
    involvement.record_agreement(app, ref, "scope", ["UNISON City Branch", "GMB Refuse Section"])
    involvement.record_agreement(
        app, ref, "information_disclosure", [], disclosure_default="restricted", everyone=True
    )
    change = reviews.advance(
        app,
        ref,
        override_timetable=True,
        reason="Members agreed to shorten: scope unchanged since 2025",
    )
    say(
        "  with the baseline and agreements recorded (GMB's dissent included), an audited "
        f"override: {change.from_stage} -> {change.to_stage}"
    )


def _walk(app: App, clock: SimulatedClock, ref: str, folder: Path, say: Say) -> None:
    while True:
        view = reviews.show_review(app, ref)
        if view.review.status == "closed":
            return
        _stage_work(app, clock, ref, view.review.stage, folder, say)
        _wait_until_ready(app, clock, ref)
        change = reviews.advance(app, ref)
        say(f"{clock.now():%a %d %b %Y}: {change.from_stage} -> {change.to_stage}")
        clock.advance(minutes=5)


def _finish(app: App, say: Say) -> None:
    sweep(app)
    sent = len(list_messages(app, status="sent"))
    say(f"\nsweeps: {sent} notices delivered to {app.settings.maildir} (a Maildir)")
    verdict = verify(app)
    point = checkpoint(app)
    outcome = "intact" if verdict.intact else "BROKEN"
    say(f"audit verify: {outcome} ({verdict.chain.checked} events, chain and state)")
    say(f"checkpoint to record elsewhere: {point.seq}:{point.hash}")


def run_demo(folder: Path, actor: str, say: Say) -> str:
    """Run the demo on a new database in ``folder``; returns the review's reference."""
    clock = SimulatedClock(START)
    settings = Settings(maildir=folder / "mail")
    app = App(Database(f"sqlite:///{folder / 'bvflow.db'}"), actor, clock, settings=settings)
    try:
        return play(app, clock, folder, say)
    except BVFlowError as exc:
        raise BVFlowError(f"the demo failed: {exc.message}") from exc
    finally:
        app.db.dispose()


def play(app: App, clock: SimulatedClock, folder: Path, say: Say) -> str:
    """The demo's review, from creation to closed, on ``app``'s database (any backend)."""
    papers = folder / "papers"
    papers.mkdir(exist_ok=True)
    ref = _open(app, say)
    _challenge(app, clock, ref, say)
    _walk(app, clock, ref, papers, say)
    _finish(app, say)
    return ref
