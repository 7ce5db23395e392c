"""The record as it stood at an earlier moment, replayed from the audit chain.

``as_of`` replays every event up to the chosen one into a scratch database (the state tables
through the same ``changes.apply`` the live path uses, and the events themselves) and gives
back an ``App`` on it whose clock is stopped at that moment. The outbox is copied as it stood
(queued by then; delivered or failed as the chain's delivery events say), since notice is
counted from delivery. The ordinary read services then show what members and the
coordinator saw then: nothing here is a second way of reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bvflow import inputs
from bvflow.clock import SimulatedClock
from bvflow.domain.calendar import LONDON, london_instant
from bvflow.errors import InputError
from bvflow.services.app import App
from bvflow.services.reviews import ReviewView, show_review
from bvflow.store import projection, repo
from bvflow.store.database import Database

DELIVERIES = {"notification.sent": "sent", "notification.failed": "failed"}
POINT = re.compile(
    r"^(?:([0-9]{1,18})|([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})"
    r"([+-][0-9]{2}:[0-9]{2}|Z)?)?)$",
    re.ASCII,
)


@dataclass(frozen=True)
class AsOf:
    """Where the replay stopped: the last event included, and the moment shown."""

    seq: int
    at: datetime
    asked: str

    def as_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "at": self.at.isoformat(), "asked": self.asked}


def _moment(text: str) -> tuple[int | None, datetime | None]:
    """An event number, or a London date (its end) or date and time."""
    match = POINT.match(text.strip())
    if match is None:
        raise InputError(
            f"--as-of takes an event number (as 'bvflow audit log' shows), a date "
            f"(YYYY-MM-DD, the end of that day) or 'YYYY-MM-DD HH:MM' (London), not {text!r}"
        )
    number, day, hour, minute, offset = match.groups()
    if number is not None:
        return int(number), None
    parsed = inputs.iso_date(day, "--as-of")
    if hour is None:
        end = datetime.combine(parsed + timedelta(days=1), time(0), tzinfo=LONDON)
        return None, end - timedelta(microseconds=1)
    try:
        wall = datetime.combine(parsed, time(int(hour), int(minute)))
        if offset is not None:  # as the refusal of a time that happens twice suggests
            zone = UTC if offset == "Z" else datetime.strptime(offset, "%z").tzinfo
            wall = wall.replace(tzinfo=zone)
    except ValueError as exc:
        raise InputError(f"--as-of {text!r}: {exc}") from exc
    # A minute as written covers the whole minute: events at 16:08:41 are "as of 16:08".
    return None, london_instant(wall) + timedelta(seconds=59, microseconds=999_999)


def as_of(app: App, text: str) -> tuple[App, AsOf]:
    """An App on the record as it stood at ``text`` (read-only: a scratch database)."""
    seq, moment = _moment(text)
    with app.db.read() as session:
        head, _ = repo.chain_head(session)
        if moment is not None:
            cut = repo.events_until(session, moment)
            if cut == 0:
                raise InputError(f"the record begins after {text}")
        else:
            assert seq is not None
            if not 1 <= seq <= head:
                raise InputError(f"there is no event {seq}; the chain runs from 1 to {head}")
            cut = seq
        replay = projection.Replay(all_tables=True)
        last = None
        delivered: dict[int, tuple[str, datetime]] = {}  # outbox id -> outcome, when
        for event in repo.iter_events(session):
            if event.seq > cut:
                break
            replay.feed(event)
            replay.keep(event)
            if event.action in DELIVERIES and "outbox_id" in event.payload:
                delivered[int(event.payload["outbox_id"])] = (DELIVERIES[event.action], event.at)
            last = event
        assert last is not None
        shown = moment if moment is not None else last.at
        # The outbox as it stood: what had been queued, and delivered or failed by then (the
        # chain's delivery events say when), so notice counted from delivery reads as it did.
        for row in repo.messages_queued_until(session, shown):
            status, at = delivered.get(int(row.id or 0), ("pending", None))
            replay.keep_message(
                {
                    **row.model_dump(),
                    "status": status,
                    "sent_at": at if status == "sent" else None,
                    "claimed_until": None,
                }
            )
    past = App(
        Database.over(replay.finish()),
        app.actor,
        SimulatedClock(shown),
        app.workflows_dir,
        app.settings,
    )
    return past, AsOf(last.seq, shown, text.strip())


@contextmanager
def past(app: App, text: str) -> Iterator[tuple[App, AsOf]]:
    """``as_of`` for the length of a ``with`` block; the scratch database is then let go."""
    then, point = as_of(app, text)
    try:
        yield then, point
    finally:
        then.db.dispose()


def show_review_as_of(app: App, ref: str, text: str) -> tuple[ReviewView, AsOf]:
    """``review show`` as the record stood at ``text``."""
    with past(app, text) as (then, point):
        return show_review(then, ref), point
