"""Data sets for the benchmarks, generated quickly with bulk inserts on a real bvflow schema."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jinja2 import Environment

from bvflow.domain.audit import NewEvent, seal
from bvflow.services.app import App
from bvflow.services.reviews import create_review, resume, suspend
from bvflow.services.setup import init
from bvflow.store.database import Database

STAGES = ["challenge", "compare", "consult", "compete", "report", "monitor"]


def _fresh(path: Path) -> App:
    app = App(Database(f"sqlite:///{path}"), actor="bench")
    init(app, "Benchmarkshire County Council", "england")
    return app


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _bulk_reviews(conn: sqlite3.Connection, count: int, entered: datetime,
                  spread_days: int) -> None:
    """Copy the pinned review ``count`` times across the stages (one open stage entry each)."""
    template = conn.execute("SELECT title, service, coordinator, workflow, definition_digest "
                            "FROM reviews WHERE id = 1").fetchone()
    rng = random.Random(2027)
    rows, entries = [], []
    for number in range(2, count + 1):
        stage = STAGES[number % len(STAGES)]
        at = entered - timedelta(days=rng.randrange(spread_days))
        rows.append((number, f"BV-2026-{number:05d}", *template, stage, "active", _stamp(at),
                     _stamp(at), _stamp(at), 1))
        entries.append((number, stage, "created", _stamp(at)))
    conn.executemany("INSERT INTO reviews (id, ref, title, service, coordinator, workflow, "
                     "definition_digest, stage, status, stage_entered_at, created_at, "
                     "updated_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.executemany("INSERT INTO stage_entries (review_id, stage, via, entered_at) "
                     "VALUES (?,?,?,?)", entries)


def _bulk_events(conn: sqlite3.Connection, events: int, reviews: int) -> None:
    """Extend the audit chain to ``events`` with properly sealed events."""
    seq, prev = conn.execute("SELECT seq, hash FROM audit_head").fetchone()
    now = datetime.now(UTC) - timedelta(days=400)
    batch = []
    heads: list[tuple[int, str]] = []
    for number in range(seq + 1, events + 1):
        ref = f"BV-2026-{(number % max(reviews - 1, 1)) + 2:05d}"
        sealed = seal(NewEvent(now + timedelta(seconds=number), "bench", "evidence.added", ref,
                               "consult", "consult", {"kind": "correspondence",
                                                      "title": f"Letter {number}"}),
                      number, prev)
        prev = sealed.hash
        heads.append((sealed.seq, sealed.hash))
        batch.append((sealed.seq, _stamp(sealed.at), sealed.actor, sealed.action, sealed.review,
                      sealed.from_stage, sealed.to_stage, sealed.record, sealed.prev_hash,
                      sealed.hash))
        if len(batch) == 50_000:
            _insert_events(conn, batch, heads)
            batch, heads = [], []
    _insert_events(conn, batch, heads)


def _insert_events(conn: sqlite3.Connection, rows: list[tuple[object, ...]],
                   heads: list[tuple[int, str]]) -> None:
    conn.executemany("INSERT INTO audit_events (seq, at, actor, action, review, from_stage, "
                     "to_stage, record, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    # The head moves one event at a time, as the database's trigger requires (0006).
    conn.executemany("UPDATE audit_head SET seq = ?, hash = ?", heads)


def make_database(path: Path, reviews: int, events: int) -> tuple[Path, str]:
    """``reviews`` active reviews spread over the stages and a valid chain of ``events``."""
    app = _fresh(path)
    create_review(app, "Refuse collection", "Waste", "jo@benchmarkshire.gov.uk")
    app.db.dispose()
    conn = sqlite3.connect(path)
    with conn:
        _bulk_reviews(conn, reviews, datetime.now(UTC), 60)
        _bulk_events(conn, events, reviews)
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
        _bulk_reviews(conn, reviews, datetime.now(UTC) - timedelta(days=120), 1)
    conn.close()
    return path


def changes_through_api(path: Path, count: int) -> float:
    """Durable changes per second: suspend and resume, one transaction each."""
    app = _fresh(path)
    ref = create_review(app, "Refuse collection", "Waste", "jo@benchmarkshire.gov.uk")
    start = time.perf_counter()
    for number in range(count):
        if number % 2 == 0:
            suspend(app, ref, "benchmark")
        else:
            resume(app, ref)
    took = time.perf_counter() - start
    app.db.dispose()
    return count / took


def changes_with_sqlite3(path: Path, count: int) -> float:
    """The same rows (state, suspension, audit event, head, outbox) with sqlite3 directly."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(
        "CREATE TABLE reviews (id INTEGER PRIMARY KEY, status TEXT, version INTEGER);"
        "CREATE TABLE suspensions (id INTEGER PRIMARY KEY, review_id INT, started_at TEXT,"
        " ended_at TEXT);"
        "CREATE TABLE audit_events (seq INTEGER PRIMARY KEY, record TEXT, prev_hash TEXT,"
        " hash TEXT);"
        "CREATE TABLE audit_head (id INTEGER PRIMARY KEY, seq INT, hash TEXT);"
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY, dedupe_key TEXT UNIQUE, context TEXT);"
        "INSERT INTO reviews VALUES (1, 'active', 1);"
        "INSERT INTO audit_head VALUES (1, 0, '" + "0" * 64 + "');")
    start = time.perf_counter()
    for number in range(count):
        now = datetime.now(UTC).isoformat()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE reviews SET status = ?, version = version + 1 WHERE id = 1",
                     ("suspended" if number % 2 == 0 else "active",))
        conn.execute("INSERT INTO suspensions (review_id, started_at) VALUES (1, ?)", (now,))
        seq, prev = conn.execute("SELECT seq, hash FROM audit_head").fetchone()
        record = json.dumps({"seq": seq + 1, "at": now, "action": "review.suspended"},
                            sort_keys=True)
        digest = hashlib.sha256((prev + record).encode()).hexdigest()
        conn.execute("INSERT INTO audit_events VALUES (?, ?, ?, ?)", (seq + 1, record, prev,
                                                                      digest))
        conn.execute("UPDATE audit_head SET seq = ?, hash = ?", (seq + 1, digest))
        conn.execute("INSERT INTO outbox (dedupe_key, context) VALUES (?, ?)",
                     (f"event:{seq + 1}:jo", record))
        conn.execute("COMMIT")
    took = time.perf_counter() - start
    conn.close()
    return count / took


FLOOR_TEMPLATE = ("Dear {{ name }}, the {{ stage }} stage of {{ ref }} {{ title }} was due by "
                  "{{ due }} and is {{ days }} working days overdue.")


def sweep_floor(path: Path, reviews: int) -> float:
    """Render and insert one reminder per review with sqlite3 and Jinja2 directly."""
    env = Environment(autoescape=False)
    text = env.from_string(FLOOR_TEMPLATE)
    html = Environment(autoescape=True).from_string("<p>" + FLOOR_TEMPLATE + "</p>")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE outbox (key TEXT UNIQUE, body TEXT, html TEXT)")
    start = time.perf_counter()
    with conn:
        for number in range(reviews):
            data = {"name": "Jo", "stage": "Consult", "ref": f"BV-2026-{number:05d}",
                    "title": "Refuse collection", "due": "Monday 4 January 2027", "days": 3}
            conn.execute("INSERT OR IGNORE INTO outbox VALUES (?, ?, ?)",
                         (f"reminder:{number}", text.render(data), html.render(data)))
    took = time.perf_counter() - start
    conn.close()
    return took
