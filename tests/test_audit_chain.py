"""The audit trail: append-only in the database, and tampering found by 'audit verify'."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from conftest import Cli, events, snapshot, sqlite_only
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import DBAPIError

from bvflow.domain.actions import ACTIONS
from bvflow.domain.audit import canonical, chain_hash


class Raw:
    """Raw SQL on either backend, outside bvflow, as someone tampering with the tables."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> CursorResult[Any]:
        names = iter(range(len(params)))
        named = re.sub(r"\?", lambda _: f":p{next(names)}", sql)
        return self.conn.execute(text(named), {f"p{i}": v for i, v in enumerate(params)})

    GUARDS = ("audit_events_no_update", "audit_events_no_delete", "audit_events_no_replace",
              "audit_head_follows_chain")

    def drop_triggers(self) -> None:
        if self.postgres:
            self.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            self.execute("ALTER TABLE audit_head DISABLE TRIGGER audit_head_follows_chain")
        else:
            self.dropped = [
                self.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).scalar_one()
                for name in self.GUARDS
            ]
            for name in self.GUARDS:
                self.execute(f"DROP TRIGGER {name}")

    def restore_triggers(self) -> None:
        """As a careful tamperer would, so that only the chain can tell."""
        if self.postgres:
            self.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
            self.execute("ALTER TABLE audit_head ENABLE TRIGGER audit_head_follows_chain")
        else:
            for sql in self.dropped:
                self.execute(sql)

    def instant(self, stamp: str) -> Any:
        """A record's 'at' as each backend's column stores it."""
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return when if self.postgres else when.strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.fixture
def trail(initialised: Cli, new_review: Callable[..., str]) -> Cli:
    """A database with eight events: a review created, evidence added, a suspension."""
    ref = new_review()
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Scope")
    initialised.ok("evidence", "add", ref, "--kind", "baseline_profile", "--title", "Baseline")
    initialised.ok("review", "suspend", ref, "--reason", "Purdah")
    initialised.ok("review", "resume", ref)
    initialised.ok("review", "abandon", ref, "--reason", "Transferred")
    return initialised


@pytest.fixture
def raw(trail: Cli) -> Iterator[Raw]:
    engine = create_engine(trail.db.sqlalchemy_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        yield Raw(conn)
    engine.dispose()


def verify(cli: Cli, *extra: str) -> tuple[int, str]:
    result = cli("audit", "verify", *extra)
    return result.exit_code, (result.stdout + result.stderr).strip()


def test_intact_chain_verifies(trail: Cli) -> None:
    code, out = verify(trail)
    assert code == 0
    assert out.startswith("intact: 8 events, head 8:")
    data = json.loads(trail.ok("audit", "verify", "--json").stdout)
    assert data["intact"] is True
    assert data["checked"] == 8


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq = 3",
    ],
    ids=["update", "delete"],
)
def test_database_refuses_update_and_delete(raw: Raw, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        raw.execute(statement)


@sqlite_only("INSERT OR REPLACE is SQLite's")
@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE"])
def test_database_refuses_replace(raw: Raw, verb: str) -> None:
    """SQLite fires no DELETE trigger for the row a REPLACE removes: a guard on insert."""
    columns = "seq, at, actor, action, review, from_stage, to_stage, record, prev_hash, hash"
    with pytest.raises(DBAPIError, match="append-only"):
        raw.execute(f"{verb} INTO audit_events ({columns}) SELECT seq, at, 'Chief Executive', "
                    f"action, review, from_stage, to_stage, record, prev_hash, hash "
                    f"FROM audit_events WHERE seq = 3")
    assert raw.execute("SELECT actor FROM audit_events WHERE seq = 3").fetchone()[0] != \
        "Chief Executive"


def test_altered_payload_byte_is_found(trail: Cli, raw: Raw) -> None:
    raw.drop_triggers()
    record = raw.execute("SELECT record FROM audit_events WHERE seq = 5").fetchone()[0]
    raw.execute(
        "UPDATE audit_events SET record = ? WHERE seq = 5",
        (record.replace("Baseline", "Baseli_e"),),
    )
    code, out = verify(trail)
    assert code == 5
    assert (
        out == "Error: audit trail broken at event 5: its record does not match its hash (altered)"
    )


def test_altered_column_is_found(trail: Cli, raw: Raw) -> None:
    raw.drop_triggers()
    raw.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 4")
    code, out = verify(trail)
    assert code == 5
    assert "event 4: its actor column does not match its hashed record" in out


def test_deleted_event_is_found(trail: Cli, raw: Raw) -> None:
    raw.drop_triggers()
    raw.execute("DELETE FROM audit_events WHERE seq = 6")
    code, out = verify(trail)
    assert code == 5
    assert "event 6 is missing (removed)" in out


def test_deleted_last_event_is_found_from_the_head(trail: Cli, raw: Raw) -> None:
    raw.drop_triggers()
    raw.execute("DELETE FROM audit_events WHERE seq = 8")
    code, out = verify(trail)
    assert code == 5
    assert "the chain ends at event 7 but the head records event 8" in out


@pytest.mark.parametrize("statement", [
    "UPDATE audit_head SET seq = 1",
    "UPDATE audit_head SET seq = seq + 1",
    "UPDATE audit_head SET hash = '" + "0" * 64 + "'",
    "DELETE FROM audit_head",
    "INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, 'x')",
], ids=["move-back", "move-on", "rehash", "delete", "insert"])
def test_the_head_moves_only_with_the_chain(trail: Cli, raw: Raw, statement: str) -> None:
    """The role that appends cannot set the head by hand (on either backend)."""
    with pytest.raises(DBAPIError, match="the audit head moves only with the chain"):
        raw.execute(statement)
    assert verify(trail)[0] == 0
    trail.ok("calendar", "close", "2027-12-29", "--reason", "Closure")  # appends still work
    assert verify(trail)[1].startswith("intact: 9 events, head 9:")


def test_a_head_moved_back_is_described_as_such(trail: Cli, raw: Raw) -> None:
    raw.drop_triggers()
    first = raw.execute("SELECT hash FROM audit_events WHERE seq = 1").fetchone()[0]
    raw.execute("UPDATE audit_head SET seq = 1, hash = ?", (first,))
    code, out = verify(trail)
    assert code == 5
    assert out == ("Error: audit trail broken: the head was moved back from event 8 to event 1 "
                   "(the events themselves are intact up to 8)")


def test_reordered_events_are_found(trail: Cli, raw: Raw) -> None:
    raw.drop_triggers()
    raw.execute("UPDATE audit_events SET seq = -1 WHERE seq = 4")
    raw.execute("UPDATE audit_events SET seq = 4 WHERE seq = 5")
    raw.execute("UPDATE audit_events SET seq = 5 WHERE seq = -1")
    code, out = verify(trail)
    assert code == 5
    assert "audit trail broken at event 4" in out


def _forge_from(raw: Raw, seq: int) -> None:
    """Insert a forged event at ``seq`` and re-hash everything after it, head included."""
    rows = raw.execute(
        "SELECT seq, record FROM audit_events WHERE seq >= ? ORDER BY seq", (seq,)
    ).fetchall()
    prev = raw.execute("SELECT hash FROM audit_events WHERE seq = ?", (seq - 1,)).fetchone()[0]
    raw.execute("DELETE FROM audit_events WHERE seq >= ?", (seq,))
    forged = json.loads(rows[0][1])
    forged.update(action="review.advanced", actor="mallory", payload={})
    forged.pop("changes", None)  # a forgery that changes no state, so only the chain tells
    records = [forged] + [json.loads(r) for _, r in rows]
    for offset, data in enumerate(records):
        data["seq"] = seq + offset
        text = canonical(data)
        digest = chain_hash(prev, text)
        raw.execute(
            "INSERT INTO audit_events (seq, at, actor, action, review, from_stage, to_stage, "
            "record, prev_hash, hash, login) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                data["seq"],
                raw.instant(data["at"]),
                data["actor"],
                data["action"],
                data["review"],
                data["from_stage"],
                data["to_stage"],
                text,
                prev,
                digest,
                data.get("login"),
            ),
        )
        prev = digest
    raw.execute("UPDATE audit_head SET seq = ?, hash = ?", (seq + len(records) - 1, prev))


def test_forged_insert_with_recomputed_chain_needs_a_checkpoint(
    trail: Cli, raw: Raw
) -> None:
    anchor = trail.ok("audit", "checkpoint").stdout.strip()
    assert anchor.startswith("8:")
    raw.drop_triggers()
    _forge_from(raw, 4)
    # Left without its guards, the database says so...
    assert "the guards that keep the chain append-only were removed" in verify(trail)[1]
    raw.restore_triggers()
    # ...but a perfectly recomputed chain, its guards put back, verifies on its own...
    assert verify(trail)[0] == 0
    # ...but not against the checkpoint recorded before the forgery.
    code, out = verify(trail, "--checkpoint", anchor)
    assert code == 5
    assert "event 8: its hash differs from the checkpoint" in out


def test_checkpoint_json(trail: Cli) -> None:
    data = json.loads(trail.ok("audit", "checkpoint", "--json").stdout)
    assert data["seq"] == 8
    assert data["anchor"] == f"8:{data['hash']}"
    assert verify(trail, "--checkpoint", data["anchor"])[0] == 0


def test_records_are_canonical_json_and_chain(trail: Cli, raw: Raw) -> None:
    prev = "0" * 64
    for record, prev_hash, digest in raw.execute(
        "SELECT record, prev_hash, hash FROM audit_events ORDER BY seq"
    ):
        assert record == canonical(json.loads(record))
        assert prev_hash == prev
        assert digest == chain_hash(prev_hash, record)
        prev = digest


def test_audit_log_action_filter_takes_names_and_globs(trail: Cli) -> None:
    every = json.loads(trail.ok("audit", "log", "--json").stdout)
    reviews = json.loads(trail.ok("audit", "log", "--action", "review.*", "--json").stdout)
    assert reviews
    assert [e["seq"] for e in reviews] == [e["seq"] for e in every
                                           if e["action"].startswith("review.")]
    added = json.loads(trail.ok("audit", "log", "--action", "*.added", "--json").stdout)
    assert {e["action"] for e in added} <= {a for a in ACTIONS if a.endswith(".added")}
    exact = json.loads(trail.ok("audit", "log", "--action", "review.created", "--json").stdout)
    assert {e["action"] for e in exact} == {"review.created"}
    before = snapshot(trail.db)
    typo = trail("audit", "log", "--action", "review.timetable_overriden")
    assert typo.exit_code == 1
    assert typo.stderr.startswith("Error: no audit action matches 'review.timetable_overriden'")
    assert "review.timetable_overridden" in typo.stderr
    assert trail("audit", "log", "--action", "nothing.*").exit_code == 1
    assert snapshot(trail.db) == before


def test_every_action_recorded_is_in_the_vocabulary(trail: Cli) -> None:
    assert {e[2] for e in events(trail.db)} <= ACTIONS
