"""Crash points, for the crash-safety tests only.

A point does nothing unless a test armed it in the same process with ``arm()``; then the
process kills itself with SIGKILL there, as a power cut would. Nothing in the settings file or
the environment can arm a point.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "after_state",  # the review row is updated, nothing else written yet
    "after_audit",  # the audit event is appended
    "after_outbox",  # the notices are queued, not yet committed
    "after_commit",  # the transaction is committed
    "after_send",  # a message went to the transport, not yet recorded as sent
)
_armed: str | None = None


def arm(name: str) -> None:
    """Make the process die at ``name`` (tests only)."""
    global _armed
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    _armed = name


def point(name: str) -> None:
    if _armed == name:
        os.kill(os.getpid(), signal.SIGKILL)
