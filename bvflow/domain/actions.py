"""Every action the audit chain records: its vocabulary, so an inspector's filter can be
checked (a typo is an error, not an empty answer) and globs such as ``review.*`` expanded."""

from __future__ import annotations

import fnmatch
from typing import Final

from bvflow.errors import InputError

ACTIONS: Final = frozenset(
    {
        "action.added",
        "action.updated",
        "activity.recorded",
        "activity.withdrawn",
        "agreement.amended",
        "agreement.recorded",
        "agreement.withdrawn",
        "audit.baseline",
        "authority.set",
        "benchmark.imported",
        "calendar.closure_added",
        "competency.action_added",
        "competency.assessed",
        "calendar.closure_removed",
        "calendar.day_opened",
        "calendar.opening_removed",
        "calendar.refreshed",
        "calendar.imported",
        "calendar.holidays_stored",
        "definition.pinned",
        "evidence.added",
        "evidence.amended",
        "evidence.withdrawn",
        "indicator.actual_recorded",
        "indicator.added",
        "indicator.target_recorded",
        "inspection.finding_added",
        "inspection.recorded",
        "inspection.responded",
        "involvement.plan_withdrawn",
        "involvement.planned",
        "meeting.cancelled",
        "meeting.notice_overridden",
        "meeting.recorded",
        "meeting.short_notice_accepted",
        "meeting.rescheduled",
        "meeting.scheduled",
        "notification.failed",
        "notification.sent",
        "option.added",
        "option.chosen",
        "option.criterion_added",
        "option.scored",
        "outbox.retried",
        "party.member_added",
        "party.member_removed",
        "party.member_updated",
        "programme.dropped",
        "programme.planned",
        "programme.started",
        "proposal.circulated",
        "publication.published",
        "review.abandoned",
        "review.advanced",
        "review.amended",
        "review.created",
        "review.resumed",
        "review.returned",
        "review.suspended",
        "review.timetable_overridden",
        "review.watcher_added",
        "review.watcher_removed",
    }
)


def matching(pattern: str) -> list[str]:
    """The known actions a name or glob (``review.*``, ``*.added``) stands for."""
    cleaned = pattern.strip()
    if any(ch in cleaned for ch in "*?["):
        found = fnmatch.filter(sorted(ACTIONS), cleaned)
    else:
        found = [cleaned] if cleaned in ACTIONS else []
    if not found:
        close = [a for a in sorted(ACTIONS) if a.split(".")[0] == cleaned.split(".")[0]]
        known = ", ".join(close or sorted(ACTIONS))
        raise InputError(f"no audit action matches {cleaned[:60]!r}; known: {known}")
    return found
