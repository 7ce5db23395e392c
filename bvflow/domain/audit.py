"""The tamper-evident audit chain: canonical records, hashes, and verification.

Each event's record is canonical JSON (sorted keys, no spaces, UTF-8) stored exactly as it was
hashed; ``hash = sha256(prev_hash || record)``. Verification walks the events in sequence and
names the first one that was altered, removed, inserted or moved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Final

GENESIS: Final = "0" * 64
RECORD_FIELDS: Final = (
    "seq",
    "at",
    "actor",
    "action",
    "review",
    "from_stage",
    "to_stage",
    "login",
)


def canonical(data: Mapping[str, Any]) -> str:
    """Canonical JSON: the exact text that is hashed and stored."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def format_instant(instant: datetime) -> str:
    """An aware instant as UTC ISO 8601 with microseconds and a Z."""
    # isoformat, not strftime: the same text, several times faster over a long chain.
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_instant(text: str) -> datetime:
    """The inverse of ``format_instant``."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def chain_hash(prev_hash: str, record: str) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + record.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended; the chain position is assigned by ``seal``."""

    at: datetime
    actor: str
    action: str
    review: str | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    payload: Mapping[str, Any] | None = None
    # The row changes the event makes (``bvflow.store.changes``) and who was authenticated
    # (the OS login, or PostgreSQL's session_user). Both are hashed; older events, which had
    # neither, hash exactly as they always did.
    changes: tuple[Mapping[str, Any], ...] = ()
    login: str | None = None


@dataclass(frozen=True)
class SealedEvent:
    """An event with its place in the chain, as stored."""

    seq: int
    at: datetime
    actor: str
    action: str
    review: str | None
    from_stage: str | None
    to_stage: str | None
    record: str
    prev_hash: str
    hash: str

    login: str | None = None

    @cached_property
    def data(self) -> dict[str, Any]:
        """The parsed record (parsed once: verify and replay both read it)."""
        value = json.loads(self.record)
        if not isinstance(value, dict):
            raise ValueError("an event's record is a JSON object")
        return value

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self.data.get("payload") or {})


def seal(event: NewEvent, seq: int, prev_hash: str) -> SealedEvent:
    """Give an event its sequence number, canonical record and hash."""
    data: dict[str, Any] = {
        "seq": seq,
        "at": format_instant(event.at),
        "actor": event.actor,
        "action": event.action,
        "review": event.review,
        "from_stage": event.from_stage,
        "to_stage": event.to_stage,
        "payload": dict(event.payload or {}),
    }
    if event.changes:
        data["changes"] = [dict(c) for c in event.changes]
    if event.login is not None:
        data["login"] = event.login
    record = canonical(data)
    return SealedEvent(
        seq,
        event.at.astimezone(UTC),
        event.actor,
        event.action,
        event.review,
        event.from_stage,
        event.to_stage,
        record,
        prev_hash,
        chain_hash(prev_hash, record),
        event.login,
    )


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying the chain."""

    intact: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "checked": self.checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "bad_seq": self.bad_seq,
            "problem": self.problem,
        }


def _columns_differ(event: SealedEvent) -> str | None:
    try:
        data = event.data
    except ValueError:
        return "its stored record is not valid JSON"
    columns = {
        "seq": event.seq,
        "at": format_instant(event.at),
        "actor": event.actor,
        "action": event.action,
        "review": event.review,
        "from_stage": event.from_stage,
        "to_stage": event.to_stage,
        "login": event.login,
    }
    if event.login is None:  # a copy for queries, lost if the schema was downgraded
        columns["login"] = data.get("login")
    for name in RECORD_FIELDS:
        if data.get(name) != columns[name]:
            return f"its {name} column does not match its hashed record"
    return None


def _check(event: SealedEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq > expected_seq:
        return f"event {expected_seq} is missing (removed)"
    if event.seq < expected_seq:
        return f"event {event.seq} appears out of order or twice (inserted or moved)"
    if event.prev_hash != prev_hash:
        return "it does not follow the event before it (inserted, removed or moved)"
    if chain_hash(event.prev_hash, event.record) != event.hash:
        return "its record does not match its hash (altered)"
    return _columns_differ(event)


def _head_problem(recorded: tuple[int, str], head: tuple[int, str]) -> tuple[int | None, str]:
    """What a head that disagrees with the chain means: moved by hand, or events cut off."""
    if recorded[0] < head[0]:
        return None, (
            f"the head was moved back from event {head[0]} to event {recorded[0]} "
            f"(the events themselves are intact up to {head[0]})"
        )
    if recorded[0] > head[0]:
        return head[0] + 1, (
            f"the chain ends at event {head[0]} but the head records event {recorded[0]} "
            "(events removed from the end)"
        )
    return None, f"the head's hash is not event {head[0]}'s (the head was edited)"


def verify_chain(
    events: Iterable[SealedEvent],
    recorded_head: tuple[int, str] | None = None,
    checkpoint: tuple[int, str] | None = None,
) -> Verdict:
    """Verify events in stored order against each other, the recorded head and a checkpoint."""
    prev_hash, expected, checked = GENESIS, 1, 0
    checkpoint_seen = checkpoint is None
    for event in events:
        problem = _check(event, expected, prev_hash)
        if problem is not None:
            return Verdict(False, checked, expected - 1, prev_hash, event.seq, problem)
        if checkpoint is not None and event.seq == checkpoint[0]:
            checkpoint_seen = True
            if event.hash != checkpoint[1]:
                return Verdict(
                    False,
                    checked,
                    event.seq,
                    event.hash,
                    event.seq,
                    "its hash differs from the checkpoint (the chain was rewritten)",
                )
        prev_hash, expected, checked = event.hash, expected + 1, checked + 1
    head = (expected - 1, prev_hash)
    if recorded_head is not None and recorded_head != head:
        bad_seq, problem = _head_problem(recorded_head, head)
        return Verdict(False, checked, head[0], head[1], bad_seq, problem)
    if not checkpoint_seen and checkpoint is not None:
        return Verdict(
            False,
            checked,
            head[0],
            head[1],
            checkpoint[0],
            f"checkpoint event {checkpoint[0]} is no longer in the chain (removed)",
        )
    return Verdict(True, checked, head[0], head[1])
