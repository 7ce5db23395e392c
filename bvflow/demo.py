"""The guided demo: a review from challenge to closed, on an in-process simulated clock.

The clock here is an object passed to the services, never a setting: production commands
always read the system clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

from bvflow.clock import SimulatedClock
from bvflow.domain.calendar import LONDON
from bvflow.errors import BVFlowError, RefusedError
from bvflow.services import evidence, reviews, setup
from bvflow.services.app import App
from bvflow.services.audit import checkpoint, verify
from bvflow.store.database import Database

START = datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)  # the first working Monday of 2027
EVIDENCE = {
    "challenge": [("scope_statement", "Scope of the refuse collection review")],
    "compare": [
        ("performance_indicators", "Missed collections per 100,000"),
        ("benchmark_figures", "Family group benchmarking 2025-26"),
    ],
    "consult": [
        ("consultation_plan", "Plan agreed with UNISON, GMB and tenants' federation"),
        ("consultation_findings", "Findings of the user panel and staff workshops"),
    ],
    "compete": [("options_appraisal", "In-house improvement against partnership and tender")],
    "report": [
        ("review_report", "Review report to Cabinet"),
        ("improvement_plan", "Improvement plan: actions, owners, targets"),
    ],
    "monitor": [("monitoring_report", "Twelve-month monitoring report")],
}


def _to_earliest(app: App, clock: SimulatedClock, ref: str) -> None:
    earliest = reviews.show_review(app, ref).timing.earliest
    if earliest is not None:
        clock.set(max(clock.now(), datetime.combine(earliest, time(10), tzinfo=LONDON)))


def _record(app: App, ref: str, stage: str) -> None:
    for kind, title in EVIDENCE.get(stage, []):
        evidence.add_evidence(app, ref, kind, title, disclosure="public")


def run_demo(url: str, actor: str, say: Callable[[str], None]) -> str:
    """Run the demo on a new database at ``url``; returns the review's reference."""
    clock = SimulatedClock(START)
    app = App(Database(url), actor, clock)
    try:
        setup.init(app, "Exampleshire County Council (demo)", "england")
        ref = reviews.create_review(
            app, "Refuse collection", "Waste", "jo.bloggs@exampleshire.gov.uk"
        )
        say(f"Opened {ref} 'Refuse collection' on {clock.now():%A %d %B %Y} (simulated clock).")
        _record(app, ref, "challenge")
        clock.advance(days=3)
        say(f"\n{clock.now():%A %d %B}: the coordinator tries to advance after three days:")
        try:
            reviews.advance(app, ref)
        except RefusedError as exc:
            say(f"  refused (exit {exc.exit_code}):")
            for unmet in exc.unmet:
                say(f"   - {unmet.message}: {unmet.remedy}")
        evidence.add_evidence(app, ref, "baseline_profile", "Baseline profile agreed with unions")
        change = reviews.advance(
            app,
            ref,
            override_timetable=True,
            reason="Members agreed to shorten: scope unchanged since 2025",
        )
        say(
            f"  with the baseline recorded, an audited override: {change.from_stage} -> "
            f"{change.to_stage}"
        )
        _walk(app, clock, ref, say)
        _finish(app, ref, say)
        return ref
    except BVFlowError as exc:
        raise BVFlowError(f"the demo failed: {exc.message}") from exc
    finally:
        app.db.dispose()


def _walk(app: App, clock: SimulatedClock, ref: str, say: Callable[[str], None]) -> None:
    while True:
        view = reviews.show_review(app, ref)
        stage = view.review.stage
        if view.review.status == "closed":
            return
        _record(app, ref, stage)
        if stage == "consult":
            clock.advance(days=2)
            reviews.suspend(app, ref, "Pre-election period: no consultation events")
            clock.advance(days=14)
            reviews.resume(app, ref)
            say("  consult suspended for two weeks before the elections; those days do not count")
        _to_earliest(app, clock, ref)
        change = reviews.advance(app, ref)
        view = reviews.show_review(app, ref)
        say(
            f"{clock.now():%a %d %b %Y}: {change.from_stage} -> {change.to_stage} after "
            f"{'its' if change.to_stage != 'closed' else 'the'} discussion period"
        )
        clock.advance(hours=1) if view.review.status == "closed" else clock.advance(minutes=5)


def _finish(app: App, ref: str, say: Callable[[str], None]) -> None:
    verdict = verify(app)
    point = checkpoint(app)
    say(f"\naudit verify: {'intact' if verdict.intact else 'BROKEN'} ({verdict.checked} events)")
    say(f"checkpoint to record elsewhere: {point.seq}:{point.hash}")
