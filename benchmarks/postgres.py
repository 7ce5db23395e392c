"""PostgreSQL figures: stage changes with 8 coordinators at once on different reviews, and
delivery by 4 workers at once (each claims with ``FOR UPDATE SKIP LOCKED``).

Each figure runs in its own schema of the database named by ``--postgres`` (dropped after);
the processes are real ``python`` processes started together.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from bvflow.services.app import App
from bvflow.services.reviews import advance, create_review
from bvflow.services.setup import init
from bvflow.settings import Settings
from bvflow.store.database import Database

QUICK = Path(__file__).resolve().parent / "quick.yaml"

COORDINATOR = """
import sys, time
from bvflow.services.app import App
from bvflow.services.reviews import advance
from bvflow.store.database import Database
app = App(Database(sys.argv[1]), actor=sys.argv[2])
refs = sys.argv[3].split(",")
advance(app, refs[0])  # connected and warm before the clock starts
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
for ref in refs[1:]:
    advance(app, ref)
print(len(refs) - 1, time.perf_counter() - start, flush=True)
"""


@contextmanager
def schema(base: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


def _fresh(url: str, work: Path) -> App:
    app = App(Database(url), actor="bench", settings=Settings(maildir=work / "mail"))
    init(app, "Benchmarkshire County Council", "england")
    return app


def concurrent_advances(base: str, work: Path, coordinators: int, each: int) -> float:
    """Stage changes per second, all coordinators together, each on reviews of its own."""
    with schema(base) as url:
        app = _fresh(url, work)
        groups = [[create_review(app, f"R{c}-{n}", "Waste", "jo@benchmarkshire.gov.uk",
                                 workflow=str(QUICK)) for n in range(each + 1)]
                  for c in range(coordinators)]
        app.db.dispose()
        procs = [subprocess.Popen([sys.executable, "-c", COORDINATOR, url, f"coordinator-{c}",
                                   ",".join(refs)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
                 for c, refs in enumerate(groups)]
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            proc.wait(timeout=600)
        took = time.perf_counter() - start
        return coordinators * each / took


def concurrent_delivery(base: str, work: Path, workers: int, messages: int) -> float:
    """Messages delivered per second by ``workers`` sweeps started together on one queue."""
    with schema(base) as url:
        app = _fresh(url, work)
        for n in range(messages):
            ref = create_review(app, f"R{n}", "Waste", f"coordinator{n}@benchmarkshire.gov.uk",
                                workflow=str(QUICK))
            advance(app, ref)
        app.db.dispose()
        engine = create_engine(url)
        with engine.connect() as conn:
            queued = int(conn.execute(text("SELECT count(*) FROM outbox")).scalar_one())
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "bvflow", "--db", url, "--actor",
                                   "bench", "sweep"], cwd=work, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
        for proc in procs:
            proc.wait(timeout=600)
        took = time.perf_counter() - start
        with engine.connect() as conn:
            sent = int(conn.execute(text(
                "SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar_one())
            recorded = int(conn.execute(text(
                "SELECT count(*) FROM audit_events WHERE action = 'notification.sent'"
            )).scalar_one())
        engine.dispose()
        if not sent == recorded == queued:
            raise RuntimeError(f"{queued} queued, {sent} sent, {recorded} recorded")
        return queued / took
