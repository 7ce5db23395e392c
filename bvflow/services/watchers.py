"""Watchers: who receives a review's notices until working parties replace the list."""

from __future__ import annotations

from dataclasses import dataclass

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.errors import InputError, NotFoundError
from bvflow.services.app import App
from bvflow.store import repo
from bvflow.store.models import Watcher


@dataclass(frozen=True)
class WatcherView:
    email: str
    name: str
    added_by: str
    added_at: str


def watch(app: App, ref: str, email: str, name: str = "") -> WatcherView:
    """Add a recipient of the review's notices and reminders."""
    email = inputs.address(email)
    name = inputs.text(name, "the name", max_length=100, required=False)
    now = app.now()
    with app.db.write() as session:
        review = repo.load_review(session, ref)
        assert review.id is not None
        row = Watcher(review_id=review.id, email=email, name=name, added_by=app.actor, added_at=now)
        if not repo.add_watcher(session, row):
            raise InputError(f"{email} already watches {review.ref}")
        repo.append_event(
            session,
            NewEvent(
                now,
                app.actor,
                "review.watcher_added",
                review.ref,
                payload={"email": email, "name": name},
            ),
        )
    return WatcherView(email, name, app.actor, now.isoformat())


def unwatch(app: App, ref: str, email: str) -> None:
    """Stop sending a review's notices to an address."""
    email = inputs.address(email)
    now = app.now()
    with app.db.write() as session:
        review = repo.load_review(session, ref)
        assert review.id is not None
        if not repo.remove_watcher(session, review.id, email):
            raise NotFoundError(f"{email} does not watch {review.ref}")
        repo.append_event(
            session,
            NewEvent(
                now, app.actor, "review.watcher_removed", review.ref, payload={"email": email}
            ),
        )


def watchers(app: App, ref: str) -> list[WatcherView]:
    with app.db.read() as session:
        review = repo.load_review(session, ref)
        assert review.id is not None
        return [
            WatcherView(w.email, w.name, w.added_by, w.added_at.isoformat())
            for w in repo.watchers_for(session, review.id)
        ]
