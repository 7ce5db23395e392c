"""Reminder plans and which reminders are due on a day. Pure: dates in, decisions out.

A plan (per stage, or a workflow-wide default) says: remind N working days before the due
date, on the due date, every M working days while overdue (to the coordinator), and K working
days before the discussion period ends. If sweeps were missed, only the most recent reminder
of each kind is queued, never a backlog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from bvflow.domain.calendar import MAX_PERIOD_DAYS, WorkingCalendar
from bvflow.domain.timetable import StageTiming

KEYS: Final = frozenset({"before_target", "on_target", "overdue_every", "period_ends"})
REMINDER_KINDS: Final = ("due_soon", "due_today", "overdue", "period_ends")


@dataclass(frozen=True)
class ReminderPlan:
    before_target: tuple[int, ...] = ()
    on_target: bool = False
    overdue_every: int | None = None
    period_ends: int | None = None


@dataclass(frozen=True)
class Due:
    """A reminder due on ``due_on``; ``coordinator_only`` for escalations."""

    kind: str
    due_on: date
    coordinator_only: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)


def _whole(value: object, low: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_PERIOD_DAYS:
        raise ValueError(
            f"{what} must be a whole number from {low} to {MAX_PERIOD_DAYS}, not {value!r}"
        )
    return value


def parse_plan(data: object) -> ReminderPlan:
    """A plan from a workflow file's ``reminders`` mapping; ``ValueError`` names the problem."""
    if not isinstance(data, Mapping):
        raise ValueError("reminders must be a mapping")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise ValueError(
            f"unknown reminders key {unknown[0]!r} (allowed: {', '.join(sorted(KEYS))})"
        )
    before = data.get("before_target", [])
    if not isinstance(before, list):
        raise ValueError("reminders.before_target must be a list of working days")
    on_target = data.get("on_target", False)
    if not isinstance(on_target, bool):
        raise ValueError("reminders.on_target must be true or false")
    every = data.get("overdue_every")
    ends = data.get("period_ends")
    return ReminderPlan(
        before_target=tuple(
            sorted({_whole(n, 1, "reminders.before_target") for n in before}, reverse=True)
        ),
        on_target=on_target,
        overdue_every=None if every is None else _whole(every, 1, "reminders.overdue_every"),
        period_ends=None if ends is None else _whole(ends, 0, "reminders.period_ends"),
    )


def working_days_before(calendar: WorkingCalendar, day: date, n: int) -> date:
    """The working day that is ``n`` working days before ``day``."""
    found = 0
    current = day
    for _ in range(MAX_PERIOD_DAYS * 3):
        current -= timedelta(days=1)
        if calendar.is_working_day(current):
            found += 1
            if found == n:
                return current
    raise ValueError(f"{n} working days before {day} is out of range")


def _latest(candidates: list[Due], today: date) -> list[Due]:
    due = [c for c in candidates if c.due_on <= today]
    return [max(due, key=lambda c: c.due_on)] if due else []


def _before_target(
    plan: ReminderPlan, calendar: WorkingCalendar, target: date, today: date
) -> list[Due]:
    if today >= target:
        return []
    found = [
        Due("due_soon", working_days_before(calendar, target, n), details={"days": n})
        for n in plan.before_target
    ]
    return _latest(found, today)


def _overdue(plan: ReminderPlan, calendar: WorkingCalendar, target: date, today: date) -> list[Due]:
    if plan.overdue_every is None or today <= target:
        return []
    found: list[Due] = []
    for number, day in enumerate(calendar.counting_days(target)):
        if number % plan.overdue_every:
            continue
        if day > today:
            break
        found.append(Due("overdue", day, True, {"days_overdue": number + 1}))
    return found[-1:]


def _period_ends(
    plan: ReminderPlan, timing: StageTiming, calendar: WorkingCalendar, today: date
) -> list[Due]:
    earliest = timing.earliest
    if plan.period_ends is None or timing.min_days == 0 or earliest is None:
        return []
    last_day = earliest - timedelta(days=1)
    due_on = (
        last_day
        if plan.period_ends == 0
        else working_days_before(calendar, last_day, plan.period_ends)
    )
    if due_on <= timing.entered_on or not due_on <= today < earliest:
        return []
    return [Due("period_ends", due_on, details={"ends_on": last_day, "earliest": earliest})]


def due_reminders(plan: ReminderPlan, timing: StageTiming, calendar: WorkingCalendar) -> list[Due]:
    """The reminders due on ``timing.today`` (none while suspended)."""
    if timing.suspended:
        return []
    found = _period_ends(plan, timing, calendar, timing.today)
    if timing.target is not None:
        found += deadline_reminders(plan, calendar, timing.target, timing.today)
    return found


def deadline_reminders(
    plan: ReminderPlan, calendar: WorkingCalendar, deadline: date, today: date
) -> list[Due]:
    """Reminders before, on and after a deadline (a stage's due date or an action's)."""
    found = _before_target(plan, calendar, deadline, today)
    if plan.on_target and today == deadline:
        found.append(Due("due_today", deadline))
    return found + _overdue(plan, calendar, deadline, today)


# Improvement-plan actions: a week's notice, then weekly while overdue.
ACTION_PLAN: Final = ReminderPlan(before_target=(5,), overdue_every=5)
# The annual performance plan: four weeks' notice, a week's, and on the day. None after it:
# bvflow cannot know whether the plan went out by another route.
PERFORMANCE_PLAN: Final = ReminderPlan(before_target=(20, 5), on_target=True)


def next_yearly(today: date, month: int, day: int) -> date:
    """The next ``month``-``day`` on or after ``today``."""
    this_year = date(today.year, month, day)
    return this_year if today <= this_year else date(today.year + 1, month, day)
