"""Judging whether a review may leave its stage.

Each requirement kind takes its facts from the feature that keeps them, through the
provider named for it below, and only the kinds the current stage requires are asked: a
stage that needs only evidence and time reads nothing about options or the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from bvflow.domain.requirements import StageFacts
from bvflow.domain.timetable import StageTiming
from bvflow.errors import Unmet
from bvflow.services import appraisal, evidence, involvement, meetings, performance, plan
from bvflow.services.app import Loaded, timing
from bvflow.store import Session

Provider = Callable[[Session, Loaded, datetime], dict[str, Any]]

# Requirement kind -> the feature's function giving the StageFacts fields it judges.
# "timetable" needs only the timing, which every view computes anyway.
PROVIDERS: Final[dict[str, Provider]] = {
    "evidence": evidence.evidence_facts,
    "involvement": involvement.involvement_facts,
    "agreement": involvement.agreement_facts,
    "proposal": involvement.proposal_facts,
    "meeting": meetings.meeting_facts,
    "indicators": performance.indicator_facts,
    "options": appraisal.option_facts,
    "improvement_plan": plan.plan_facts,
}


def unmet_to_leave(
    session: Session, loaded: Loaded, clock_now: datetime, overrides: frozenset[str] = frozenset()
) -> tuple[StageTiming, list[Unmet]]:
    """Every requirement of the current stage that is not met, each with its remedy."""
    review = loaded.review
    when = timing(session, loaded, clock_now)
    if not loaded.definition.has_stage(review.stage):
        return when, []
    stage = loaded.definition.stage(review.stage)
    facts: dict[str, Any] = {}
    for kind in sorted({req.kind for req in stage.guards}):
        provider = PROVIDERS.get(kind)
        if provider is not None:
            facts.update(provider(session, loaded, clock_now))
    judged = StageFacts(
        review=review.ref,
        stage=review.stage,
        today=when.today,
        clear_days=when.clear_days,
        earliest=when.earliest,
        earliest_working=when.earliest_working,
        suspended=when.suspended,
        overrides=overrides,
        **facts,
    )
    return when, [u for req in stage.guards for u in req.unmet(judged)]
