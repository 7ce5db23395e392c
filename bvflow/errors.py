"""Every error bvflow raises on purpose, and the exit code the CLI gives it.

    BVFlowError                      exit 1 unless a subclass says otherwise
    ├── InputError                   bad input: a value, a date, an address, a file
    ├── NotFoundError                an unknown review, workflow or stage
    ├── DefinitionError              a workflow file that does not validate (lists every problem)
    ├── StoreError                   no database, not a database, wrong schema version
    ├── ClockError                   the clock reads well before the review's last event
    ├── ConflictError                exit 3: the review changed since it was read
    ├── RefusedError                 exit 4: the workflow's rules refuse the change (lists unmet)
    └── IntegrityError               exit 5: the audit trail does not verify

Third-party errors are wrapped where they enter (``raise ... from exc``); the CLI translates
``BVFlowError`` once, at its edge, into ``Error: <message>`` on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class BVFlowError(Exception):
    """Root of every deliberate bvflow error."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(BVFlowError):
    """A value given by the user is not acceptable."""


class NotFoundError(BVFlowError):
    """Something named by the user does not exist."""


class StoreError(BVFlowError):
    """The database is missing, unreadable, or at an unexpected schema version."""


class ClockError(BVFlowError):
    """A change would be stamped before the last event of its review: the clock went back."""

    def __init__(self, review: str, at: datetime, last: datetime) -> None:
        self.review = review
        self.at = at
        self.last = last
        super().__init__(
            f"the clock reads {at:%Y-%m-%d %H:%M:%S} UTC, more than five minutes before the "
            f"last event of review {review} ({last:%Y-%m-%d %H:%M:%S} UTC); nothing was "
            "changed: check the system clock"
        )


@dataclass(frozen=True)
class Problem:
    """One problem found in a workflow definition, with where it is when known."""

    message: str
    line: int | None = None

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.message}"


class DefinitionError(BVFlowError):
    """A workflow definition is invalid; ``problems`` lists every one found."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        count = len(self.problems)
        head = f"{source}: {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + "; " + "; ".join(p.render(source) for p in self.problems))


class ConflictError(BVFlowError):
    """Another change to the review was committed between reading and writing it."""

    exit_code = 3

    def __init__(self, review: str, expected: int, found: int | None = None) -> None:
        self.review = review
        self.expected = expected
        self.found = found
        now = f" (now version {found})" if found is not None else ""
        super().__init__(
            f"review {review} changed since you read it (version {expected}){now}; "
            "look at it again with 'bvflow review show' and retry"
        )


@dataclass(frozen=True)
class Unmet:
    """One unmet condition of a transition, and what would meet it."""

    kind: str
    message: str
    remedy: str

    def render(self) -> str:
        return f"{self.message} ({self.remedy})"


class RefusedError(BVFlowError):
    """The workflow's rules refuse the change; ``unmet`` names every reason."""

    exit_code = 4

    def __init__(self, review: str, action: str, reason: str, unmet: Sequence[Unmet] = ()) -> None:
        self.review = review
        self.action = action
        self.unmet = list(unmet)
        detail = "; ".join(u.render() for u in self.unmet)
        super().__init__(f"cannot {action} {review}: {reason}" + (f": {detail}" if detail else ""))


class IntegrityError(BVFlowError):
    """The audit trail failed verification at ``seq``."""

    exit_code = 5

    def __init__(self, message: str, seq: int | None = None) -> None:
        self.seq = seq
        super().__init__(message)
