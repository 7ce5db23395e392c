"""Notice and reminder kinds, and which audit action causes which notice."""

from __future__ import annotations

from typing import Final

NOTICE_FOR_ACTION: Final = {
    "review.created": "review_opened",
    "review.advanced": "stage_changed",
    "review.returned": "review_returned",
    "review.suspended": "review_suspended",
    "review.resumed": "review_resumed",
    "review.abandoned": "review_abandoned",
}
CLOSED_NOTICE: Final = "review_closed"
REMINDER_PREFIX: Final = "reminder_"
KINDS: Final = (
    "review_opened",
    "stage_changed",
    "review_returned",
    "review_suspended",
    "review_resumed",
    "review_abandoned",
    "review_closed",
    "reminder_due_soon",
    "reminder_due_today",
    "reminder_overdue",
    "reminder_period_ends",
    "meeting_notice",
    "meeting_updated",
    "meeting_cancelled",
    "proposal_circulated",
    "party_welcome",
    "action_due_soon",
    "action_overdue",
)
