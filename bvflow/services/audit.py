"""Audit use cases: query the log, verify the chain, take a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bvflow.domain.actions import matching
from bvflow.domain.audit import SealedEvent, Verdict, verify_chain
from bvflow.domain.calendar import LONDON
from bvflow.errors import InputError
from bvflow.services.app import App
from bvflow.store import Session, projection, repo
from bvflow.store.projection import Difference


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


@dataclass(frozen=True)
class Verification:
    """The chain's verdict and, unless only the chain was checked, the state's."""

    chain: Verdict
    state_checked: bool
    differences: tuple[Difference, ...] = ()
    total: int = 0  # differences found; only the first few are kept

    @property
    def intact(self) -> bool:
        return self.chain.intact and self.total == 0

    def as_dict(self) -> dict[str, object]:
        return {
            **self.chain.as_dict(),
            "intact": self.intact,
            "chain_intact": self.chain.intact,
            "state_checked": self.state_checked,
            "state_differences": self.total,
            "differences": [d.as_dict() for d in self.differences],
        }


def verify(
    app: App, checkpoint: tuple[int, str] | None = None, chain_only: bool = False
) -> Verification:
    """Re-hash the chain (against its head and a checkpoint) and, unless ``chain_only``,
    rebuild the state from it and compare with the stored tables, files and pinned rules."""
    with app.db.read() as session:
        head = repo.chain_head(session)
        try:
            found = _verify(session, head, checkpoint, chain_only)
        except ValueError as exc:  # a column written by hand that no driver can read back
            problem = f"an audit event's stored columns cannot be read ({exc}): altered"
            return Verification(Verdict(False, 0, head[0], head[1], None, problem), False)
        missing = repo.missing_guards(session)
        if found.intact and missing:  # a broken chain is the more precise finding
            problem = (
                f"the guards that keep the chain append-only were removed or disabled "
                f"({', '.join(missing)}): events could have been rewritten unseen by the "
                "database; restore them from a backup or with 'bvflow db upgrade' after a "
                "downgrade, and verify against a checkpoint"
            )
            verdict = found.chain
            broken = Verdict(False, verdict.checked, verdict.head_seq, verdict.head_hash, None,
                             problem)
            return Verification(broken, found.state_checked)
        return found


def _verify(
    session: Session, head: tuple[int, str], checkpoint: tuple[int, str] | None, chain_only: bool
) -> Verification:
    if chain_only:
        return Verification(verify_chain(repo.iter_events(session), head, checkpoint), False)
    replayed = projection.Replay()
    try:
        verdict = verify_chain(replayed.tap(repo.iter_events(session)), head, checkpoint)
    except projection.ReplayError as exc:
        # The events replay no further: check the whole chain alone, then name the row.
        rest = verify_chain(repo.iter_events(session), head, checkpoint)
        if not rest.intact:
            return Verification(rest, False)
        return Verification(rest, True, (exc.difference(),), 1)
    if not verdict.intact:
        return Verification(verdict, False)
    live = session.connection()
    found, total = projection.compare(live, replayed)
    files = projection.file_problems(live, replayed)
    shown = (*files, *found)[: projection.MAX_REPORTED]
    return Verification(verdict, True, tuple(shown), total + len(files))


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
