"""Data sets for the benchmarks, generated quickly with bulk inserts on a real bvflow schema."""

from __future__ import annotations

import itertools
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bvflow.domain.audit import NewEvent, format_instant, seal
from bvflow.services.app import App
from bvflow.services.reviews import advance, create_review, return_review
from bvflow.services.setup import init
from bvflow.store.database import Database

STAGES = ["challenge", "compare", "consult", "compete", "report", "monitor"]


def _fresh(path: Path) -> App:
    app = App(Database(f"sqlite:///{path}"), actor="bench")
    init(app, "Benchmarkshire County Council", "england")
    return app


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert(table: str, key: dict[str, object], values: dict[str, object]) -> dict[str, object]:
    """A row change as ``bvflow.store.changes`` records it in an event."""
    return {"op": "insert", "table": table, "key": key, "values": values}


class _Chain:
    """Appends sealed events, with the rows they carry, in batches."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.seq, self.prev = conn.execute("SELECT seq, hash FROM audit_head").fetchone()
        self.events: list[tuple[object, ...]] = []
        self.heads: list[tuple[int, str]] = []

    def append(self, event: NewEvent) -> None:
        self.seq += 1
        sealed = seal(event, self.seq, self.prev)
        self.prev = sealed.hash
        self.heads.append((sealed.seq, sealed.hash))
        self.events.append((sealed.seq, _stamp(sealed.at), sealed.actor, sealed.action,
                            sealed.review, sealed.from_stage, sealed.to_stage, sealed.record,
                            sealed.prev_hash, sealed.hash, "bench"))
        if len(self.events) == 50_000:
            self.flush()

    def flush(self) -> None:
        self.conn.executemany(
            "INSERT INTO audit_events (seq, at, actor, action, review, from_stage, to_stage, "
            "record, prev_hash, hash, login) VALUES (?,?,?,?,?,?,?,?,?,?,?)", self.events)
        # The head moves one event at a time, as the database's trigger requires (0006).
        self.conn.executemany("UPDATE audit_head SET seq = ?, hash = ?", self.heads)
        self.events, self.heads = [], []


def _bulk_reviews(conn: sqlite3.Connection, chain: _Chain, count: int, entered: datetime,
                  spread_days: int) -> None:
    """Copy the pinned review ``count`` times across the stages (one open stage entry each),
    each with its review.created event carrying its rows, as bvflow would have written them."""
    names = ("title", "service", "coordinator", "workflow", "definition_digest")
    template = conn.execute(f"SELECT {', '.join(names)} FROM reviews WHERE id = 1").fetchone()
    rng = random.Random(2027)
    rows, entries = [], []
    for number in range(2, count + 1):
        stage = STAGES[number % len(STAGES)]
        at = entered - timedelta(days=rng.randrange(spread_days))
        ref = f"BV-2026-{number:05d}"
        rows.append((number, ref, *template, stage, "active", _stamp(at),
                     _stamp(at), _stamp(at), 1))
        entries.append((number, number, stage, "created", _stamp(at)))
        iso = format_instant(at)
        review = {**dict(zip(names, template, strict=True)), "ref": ref, "stage": stage,
                  "status": "active", "stage_entered_at": iso, "created_at": iso,
                  "updated_at": iso, "version": 1}
        entry = {"review_id": number, "stage": stage, "via": "created", "entered_at": iso,
                 "left_at": None}
        chain.append(NewEvent(at, "bench", "review.created", ref, None, stage, {"title": ref},
                              changes=(_insert("reviews", {"id": number}, review),
                                       _insert("stage_entries", {"id": number}, entry)),
                              login="bench"))
    conn.executemany("INSERT INTO reviews (id, ref, title, service, coordinator, workflow, "
                     "definition_digest, stage, status, stage_entered_at, created_at, "
                     "updated_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.executemany("INSERT INTO stage_entries (id, review_id, stage, via, entered_at) "
                     "VALUES (?,?,?,?,?)", entries)


def _bulk_events(conn: sqlite3.Connection, chain: _Chain, events: int, reviews: int) -> None:
    """Extend the chain to ``events`` with evidence added, each event carrying its row."""
    now = datetime.now(UTC) - timedelta(days=400)
    rows = []
    first = int(conn.execute("SELECT coalesce(max(id), 0) FROM evidence").fetchone()[0]) + 1
    for number, item in zip(range(chain.seq + 1, events + 1), itertools.count(first)):
        review_id = (number % max(reviews - 1, 1)) + 2
        ref = f"BV-2026-{review_id:05d}"
        at = now + timedelta(seconds=number)
        title = f"Letter {number}"
        row = {"review_id": review_id, "stage": "consult", "kind": "correspondence",
               "title": title, "disclosure": "restricted", "file_name": None,
               "file_sha256": None, "file_size": None, "recorded_by": "bench",
               "recorded_at": format_instant(at)}
        chain.append(NewEvent(at, "bench", "evidence.added", ref, "consult", "consult",
                              {"kind": "correspondence", "title": title},
                              changes=(_insert("evidence", {"id": item}, row),), login="bench"))
        rows.append((item, review_id, "consult", "correspondence", title, "restricted",
                     "bench", _stamp(at)))
    conn.executemany("INSERT INTO evidence (id, review_id, stage, kind, title, disclosure, "
                     "recorded_by, recorded_at) VALUES (?,?,?,?,?,?,?,?)", rows)


def make_database(path: Path, reviews: int, events: int) -> tuple[Path, str]:
    """``reviews`` active reviews spread over the stages and a valid chain of ``events``."""
    app = _fresh(path)
    create_review(app, "Refuse collection", "Waste", "jo@benchmarkshire.gov.uk")
    app.db.dispose()
    conn = sqlite3.connect(path)
    with conn:
        chain = _Chain(conn)
        _bulk_reviews(conn, chain, reviews, datetime.now(UTC), 60)
        _bulk_events(conn, chain, events, reviews)
        chain.flush()
    ref = conn.execute("SELECT ref FROM reviews WHERE stage = 'consult' ORDER BY id LIMIT 1"
                       ).fetchone()[0]
    conn.close()
    return path, ref


def sweep_database(path: Path, reviews: int) -> Path:
    """Active reviews entered long ago, so that each has a reminder due now."""
    app = _fresh(path)
    create_review(app, "Refuse collection", "Waste", "jo@benchmarkshire.gov.uk")
    app.db.dispose()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM outbox")
        chain = _Chain(conn)
        _bulk_reviews(conn, chain, reviews, datetime.now(UTC) - timedelta(days=120), 1)
        chain.flush()
    conn.close()
    return path


QUICK = Path(__file__).resolve().parent / "quick.yaml"


def quick_reviews(path: Path, count: int) -> list[str]:
    """``count`` reviews under a workflow whose stages require nothing, so each can advance."""
    app = App(Database(f"sqlite:///{path}"), actor="bench")
    refs = [create_review(app, f"Review {n}", "Waste", "jo@benchmarkshire.gov.uk",
                          workflow=str(QUICK)) for n in range(count)]
    app.db.dispose()
    return refs


def advance_all(path: Path, refs: list[str]) -> float:
    """Durable stage changes per second: each review advanced once, a transaction each."""
    app = App(Database(f"sqlite:///{path}"), actor="bench")
    start = time.perf_counter()
    for ref in refs:
        advance(app, ref)
    took = time.perf_counter() - start
    app.db.dispose()
    return len(refs) / took


def back_and_forth(path: Path, changes: int) -> tuple[list[float], list[float]]:
    """One review advanced and returned ``changes`` times; the rates (changes per second) of
    five slices of the first tenth and of the last tenth."""
    app = _fresh(path)
    (ref,) = quick_reviews(path, 1)
    stamps = []
    for number in range(changes):
        if number % 2 == 0:
            advance(app, ref)
        else:
            return_review(app, ref, "a", "benchmark")
        stamps.append(time.perf_counter())
    app.db.dispose()
    tenth = max(changes // 10, 5)
    slice_ = tenth // 5

    def rates(begin: int) -> list[float]:
        found = []
        for k in range(5):
            lo, hi = begin + k * slice_, begin + (k + 1) * slice_
            found.append(slice_ / (stamps[hi] - stamps[lo]))
        return found

    return rates(0), rates(changes - tenth - 1)
