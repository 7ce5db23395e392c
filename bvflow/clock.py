"""Where "now" comes from. Production reads the system clock and nothing else.

There is deliberately no setting or environment variable that changes the time: that would
let anyone bypass the timetable. Tests travel in time with time-machine; the demo passes its
own ``Clock`` object in-process.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """An in-process clock for the demo: starts at a given instant and moves when told."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs an aware start instant")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def set(self, instant: datetime) -> None:
        self._now = instant


SYSTEM_CLOCK = SystemClock()
