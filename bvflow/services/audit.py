"""Audit use cases: query the log, verify the chain, take a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bvflow.domain.actions import matching
from bvflow.domain.audit import SealedEvent, Verdict, verify_chain
from bvflow.domain.calendar import LONDON
from bvflow.errors import InputError
from bvflow.services.app import App
from bvflow.store import repo


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def audit_log(
    app: App,
    review: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[SealedEvent]:
    """Events matching every filter given; ``until`` is inclusive (a whole London day)."""
    if since and until and until < since:
        raise InputError(f"--until {until} is before --since {since}")
    for option, value in (("--review", review), ("--actor", actor), ("--action", action)):
        if value is not None and not value.strip():
            raise InputError(f"{option} is empty; leave it out to see every event")
    where = repo.EventFilter(
        review=review.upper() if review else None,
        actor=actor,
        actions=tuple(matching(action)) if action is not None else (),
        since=_london_midnight(since) if since else None,
        until=_london_midnight(until + timedelta(days=1)) if until else None,
    )
    with app.db.read() as session:
        if review:
            repo.load_review(session, review)
        return repo.find_events(session, where)


def verify(app: App, checkpoint: tuple[int, str] | None = None) -> Verdict:
    """Re-hash the whole chain; compare with the recorded head and, if given, a checkpoint."""
    with app.db.read() as session:
        head = repo.chain_head(session)
        return verify_chain(repo.iter_events(session), head, checkpoint)


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at.isoformat(),
            "anchor": f"{self.seq}:{self.hash}",
        }


def checkpoint(app: App) -> Checkpoint:
    """The chain's head, to be recorded outside the database (minutes, a letter, a ticket)."""
    with app.db.read() as session:
        seq, digest = repo.chain_head(session)
    return Checkpoint(seq, digest, app.now())
