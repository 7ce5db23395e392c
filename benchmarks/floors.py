"""The floors: the same work as a bvflow figure, done directly, in the same kind of process.

Each floor is a script run as its own subprocess (as the bvflow command it is compared with
is), on the same database schema, so interpreter start-up, imports, indexes and triggers
are paid on both sides.
"""

from __future__ import annotations

TRIVIAL_CLICK = """
import click
@click.group()
def main():
    '''A trivial CLI.'''
@main.command()
def hello():
    '''Say hello.'''
main()
"""

# audit verify --chain-only: every stored record hashed again, every link and stored hash
# compared, in sequence order.
VERIFY = """
import hashlib, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
prev = "0" * 64
for seq, record, prev_hash, digest in conn.execute(
        "SELECT seq, record, prev_hash, hash FROM audit_events ORDER BY seq"):
    if prev_hash != prev:
        sys.exit(f"broken link at {seq}")
    prev = hashlib.sha256(prev.encode() + record.encode()).hexdigest()
    if prev != digest:
        sys.exit(f"wrong hash at {seq}")
"""

# Stage changes on a bvflow database (its indexes and the chain's triggers): per change, in
# one BEGIN IMMEDIATE transaction, the rows 'review advance' writes. Prints changes per second.
STAGE_CHANGES = """
import hashlib, json, sqlite3, sys, time
from datetime import datetime, UTC
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA foreign_keys = ON")
reviews = conn.execute("SELECT id, ref, stage, version FROM reviews ORDER BY id").fetchall()
count = int(sys.argv[2])
stages = ["a", "b", "c"]
start = time.perf_counter()
for number in range(count):
    rid, ref, stage, version = reviews[number % len(reviews)]
    target = stages[(stages.index(stage) + 1) % len(stages)] if stage in stages else "b"
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    conn.execute("BEGIN IMMEDIATE")
    moved = conn.execute(
        "UPDATE reviews SET stage = ?, status = 'active', stage_entered_at = ?, updated_at = ?,"
        " version = ? WHERE id = ? AND version = ?",
        (target, stamp, stamp, version + 1, rid, version)).rowcount
    assert moved == 1
    (entry,) = conn.execute(
        "SELECT id FROM stage_entries WHERE review_id = ? AND left_at IS NULL", (rid,)).fetchone()
    conn.execute("UPDATE stage_entries SET left_at = ? WHERE id = ?", (stamp, entry))
    conn.execute("INSERT INTO stage_entries (review_id, stage, via, entered_at) "
                 "VALUES (?, ?, 'advanced', ?)", (rid, target, stamp))
    seq, prev = conn.execute(
        "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash").fetchone()
    conn.execute("SELECT max(at) FROM audit_events WHERE review = ?", (ref,)).fetchone()
    record = json.dumps({"seq": seq + 1, "at": now.isoformat(), "action": "review.advanced",
                         "review": ref, "from": stage, "to": target,
                         "changes": [{"op": "update", "table": "reviews", "key": {"id": rid},
                                      "values": {"stage": target, "version": version + 1}},
                                     {"op": "update", "table": "stage_entries",
                                      "key": {"id": entry}, "values": {"left_at": stamp}},
                                     {"op": "insert", "table": "stage_entries",
                                      "key": {"id": 0}, "values": {"stage": target}}]},
                        sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(prev.encode() + record.encode()).hexdigest()
    conn.execute("INSERT INTO audit_events (seq, at, actor, action, review, from_stage, "
                 "to_stage, record, prev_hash, hash, login) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                 (seq + 1, stamp, "bench", "review.advanced", ref, stage, target, record, prev,
                  digest, "bench"))
    conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq + 1, digest))
    context = json.dumps({"review": {"ref": ref}, "from": stage, "to": target})
    conn.execute("INSERT INTO outbox (dedupe_key, review_id, kind, recipient, recipient_name, "
                 "context, status, attempts, next_attempt_at, created_at) "
                 "VALUES (?, ?, 'stage_changed', 'jo@benchmarkshire.gov.uk', '', ?, 'pending',"
                 " 0, ?, ?)", (f"event:{seq + 1}:jo", rid, context, stamp, stamp))
    conn.execute("COMMIT")
    reviews[number % len(reviews)] = (rid, ref, target, version + 1)
print(count / (time.perf_counter() - start))
"""

# A sweep: for every active review, the due date by counting working days (weekends and the
# stored bank holidays left out) from the day it entered its stage; for each one overdue, a
# reminder rendered with Jinja2 (text and HTML), queued, built as a MIME message with the
# standard library, delivered to a Maildir and recorded as sent with an audit-like row, the
# records a batch of 25 at a time (as bvflow does).
SWEEP = """
import hashlib, json, mailbox, sqlite3, sys
from datetime import date, datetime, timedelta, UTC
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from jinja2 import Environment
TEXT = ("Dear {{ name }},\\n\\nThe {{ stage }} stage of {{ ref }} {{ title }} ({{ authority }}) "
        "was due by {{ due }} and is overdue.\\n\\nEntered on {{ entered }}; it may be left "
        "from {{ earliest }}.\\n\\n{% for line in lines %}{{ line }}\\n{% endfor %}")
HTML = ("<!doctype html><html lang=en><body><p>Dear {{ name }},</p><p>The {{ stage }} stage "
        "of <b>{{ ref }}</b> {{ title }} ({{ authority }}) was due by {{ due }} and is overdue."
        "</p><p>Entered on {{ entered }}; it may be left from {{ earliest }}.</p><ul>"
        "{% for line in lines %}<li>{{ line }}</li>{% endfor %}</ul></body></html>")
text = Environment(autoescape=False).from_string(TEXT)
html = Environment(autoescape=True).from_string(HTML)
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
box = mailbox.Maildir(sys.argv[2], create=True)
holidays = {date.fromisoformat(d) for (d,) in conn.execute("SELECT day FROM bank_holidays")}
today = datetime.now(UTC).date()
def working(day):
    return day.weekday() < 5 and day not in holidays
def nth(start, n):
    day = start
    while n:
        day += timedelta(days=1)
        n -= working(day)
    return day
conn.execute("CREATE TABLE IF NOT EXISTS floor_outbox (id INTEGER PRIMARY KEY, key TEXT UNIQUE,"
             " context TEXT, status TEXT, subject TEXT, body TEXT, sent_at TEXT)")
conn.execute("CREATE TABLE IF NOT EXISTS floor_events (seq INTEGER PRIMARY KEY, record TEXT,"
             " hash TEXT)")
rows = conn.execute("SELECT id, ref, title, stage, stage_entered_at, coordinator FROM reviews "
                    "WHERE status = 'active' ORDER BY id").fetchall()
queued = []
conn.execute("BEGIN IMMEDIATE")
for rid, ref, title, stage, entered_at, coordinator in rows:
    entered = date.fromisoformat(entered_at[:10])
    due, earliest = nth(entered, 30), nth(entered, 10)
    if today <= due:
        continue
    context = {"name": "Jo", "stage": stage.title(), "ref": ref, "title": title,
               "authority": "Benchmarkshire County Council", "due": due.strftime("%A %-d %B %Y"),
               "entered": entered.strftime("%A %-d %B %Y"),
               "earliest": earliest.strftime("%A %-d %B %Y"), "lines": ["Evidence", "Agreement"]}
    key = f"overdue:{rid}:{due.isoformat()}:{coordinator}"
    cur = conn.execute("INSERT OR IGNORE INTO floor_outbox (key, context, status) "
                       "VALUES (?, ?, 'pending')", (key, json.dumps(context, sort_keys=True)))
    if cur.rowcount:
        queued.append((cur.lastrowid, coordinator))
conn.execute("COMMIT")
done = []
def record():
    conn.execute("BEGIN IMMEDIATE")
    for mid, subject, body, at in done:
        conn.execute("UPDATE floor_outbox SET status = 'sent', subject = ?, body = ?, "
                     "sent_at = ? WHERE id = ?", (subject, body, at, mid))
        record = json.dumps({"outbox_id": mid, "at": at}, sort_keys=True)
        conn.execute("INSERT INTO floor_events (record, hash) VALUES (?, ?)",
                     (record, hashlib.sha256(record.encode()).hexdigest()))
    conn.execute("COMMIT")
    done.clear()
for mid, coordinator in queued:
    (raw,) = conn.execute("SELECT context FROM floor_outbox WHERE id = ?", (mid,)).fetchone()
    context = json.loads(raw)
    body = text.render(context)
    message = EmailMessage()
    subject = f"{context['ref']}: {context['stage']} is overdue"
    message["Subject"] = subject
    message["From"] = "Benchmarkshire <bvflow@benchmarkshire.gov.uk>"
    message["To"] = coordinator
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(str(mid), "benchmarkshire.gov.uk")
    message.set_content(body)
    message.add_alternative(html.render(context), subtype="html")
    box.add(message)
    done.append((mid, subject, body, datetime.now(UTC).isoformat()))
    if len(done) == 25:
        record()
record()
"""
