"""bvflow's benchmark suite: ``python -m benchmarks [--quick] [--out FILE]``.

Each figure is the median of several runs, measured side by side with a floor the suite also
measures, and reported as a ratio. The data sets are generated here. ``--quick`` runs every
figure on tiny data (CI runs it so the suite cannot rot); the full run uses 10,000 reviews and
1,000,000 audit events and takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.data import make_database

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    floor: float | None
    floor_name: str
    target: str
    ok: bool | None

    def ratio(self) -> str:
        if self.floor is None or self.floor == 0:
            return "-"
        return f"{self.value / self.floor:.2f}x"


def median_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command(args: Sequence[str], cwd: Path | None = None) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return run


def bvflow(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bvflow", "--db", str(db), "--actor", "bench", *args]


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


def startup(repeat: int) -> list[Row]:
    trivial = median_time(command([sys.executable, "-c", TRIVIAL_CLICK, "--help"]), repeat)
    rows = []
    for flag in ("--help", "--version"):
        value = median_time(command([sys.executable, "-m", "bvflow", flag]), repeat)
        rows.append(Row(f"bvflow {flag}", value * 1000, "ms", trivial * 1000,
                        "trivial click --help", "<= 1.3x", value / trivial <= 1.3))
    return rows


def reads(db: Path, ref: str, repeat: int) -> list[Row]:
    floor = median_time(command([sys.executable, "-c", "import sqlmodel"]), repeat)
    rows = []
    for name, args in (("review show REF", ["review", "show", ref]),
                       ("review list --stage consult", ["review", "list", "--stage", "consult"]),
                       ("audit log --review REF", ["audit", "log", "--review", ref])):
        value = median_time(command(bvflow(db, *args)), repeat)
        rows.append(Row(name, value * 1000, "ms", floor * 1000, "python -c 'import sqlmodel'",
                        "<= 1.25x", value / floor <= 1.25))
    return rows


def stage_changes(workdir: Path, count: int) -> Row:
    """Durable stage changes per second through the service API against raw sqlite3."""
    from benchmarks.data import changes_through_api, changes_with_sqlite3

    api = changes_through_api(workdir / "api.db", count)
    raw = changes_with_sqlite3(workdir / "raw.db", count)
    return Row("stage changes/s (API, SQLite WAL)", api, "/s", raw,
               "same rows with sqlite3", ">= 0.35x", api / raw >= 0.35)


FLOOR_VERIFY = """
import hashlib, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
prev = "0" * 64
for seq, record, prev_hash, digest in conn.execute(
        "SELECT seq, record, prev_hash, hash FROM audit_events ORDER BY seq"):
    assert prev_hash == prev
    prev = hashlib.sha256(prev.encode() + record.encode()).hexdigest()
    assert prev == digest
"""


def verify(db: Path, events: int, repeat: int) -> list[Row]:
    """Full verify (chain and state) and --chain-only against a subprocess that reads the
    stored rows, recomputes each hash and checks each link."""
    floor = median_time(command([sys.executable, "-c", FLOOR_VERIFY, str(db)]), repeat)
    full = median_time(command(bvflow(db, "audit", "verify")), repeat)
    chain = median_time(command(bvflow(db, "audit", "verify", "--chain-only")), repeat)
    what = "subprocess: hash and link check"
    return [
        Row(f"audit verify, chain and state ({events:,} events)", full, "s", floor, what,
            "<= 3x", full / floor <= 3),
        Row(f"audit verify --chain-only ({events:,} events)", chain, "s", floor, what,
            "<= 1.5x", chain / floor <= 1.5),
    ]


def sweeps(workdir: Path, reviews: int) -> list[Row]:
    from benchmarks.data import sweep_database, sweep_floor

    db = sweep_database(workdir / "sweep.db", reviews)
    first = median_time(command(bvflow(db, "sweep", "--dry-run")), 1)
    start = time.perf_counter()
    subprocess.run(bvflow(db, "sweep"), check=True, stdout=subprocess.DEVNULL,
                   cwd=workdir)
    queued = time.perf_counter() - start
    again = median_time(command(bvflow(db, "sweep"), cwd=workdir), 3)
    floor = sweep_floor(workdir / "floor.db", reviews)
    return [
        Row(f"sweep, {reviews:,} reviews (queue + render + deliver)", queued, "s", floor,
            "sqlite3 + Jinja2 directly", "<= 1.5x", queued / floor <= 1.5),
        Row("sweep repeated (queues nothing)", again, "s", floor, "sqlite3 + Jinja2 directly",
            "<= 1.5x", again / floor <= 1.5),
        Row("sweep --dry-run", first, "s", None, "", "-", None),
    ]


def scheduler_memory(workdir: Path, reviews: int, days: int) -> Row:
    """RSS after many simulated days of ticks against RSS after the first tick."""
    from benchmarks.data import sweep_database

    db = sweep_database(workdir / "memory.db", reviews)
    code = (
        "import resource, sys, time_machine\n"
        "from datetime import datetime, timedelta, UTC\n"
        "from bvflow.services.app import App\nfrom bvflow.store.database import Database\n"
        "from bvflow.settings import Settings\nfrom bvflow.scheduler import tick\n"
        f"app = App(Database('sqlite:///{db}'), 'bench', settings=Settings(maildir="
        f"__import__('pathlib').Path('{workdir / 'mail'}')))\n"
        "start = datetime.now(UTC)\nwith time_machine.travel(start, tick=False) as t:\n"
        "    tick(app)\n    first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"    for day in range({days}):\n"
        "        t.shift(timedelta(days=1))\n        tick(app)\n"
        "    last = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(first, last)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=workdir).stdout.split()
    first, last = int(out[0]), int(out[1])
    return Row(f"scheduler peak RSS after {days} simulated days", last / 1024, "MiB",
               first / 1024, "RSS after the first tick", "<= 1.1x", last / first <= 1.1)


def queries_for_list(db: Path) -> Row:
    """Statements run by 'review list --json': constant, however many reviews."""
    code = (
        "import sys\nfrom sqlalchemy import event\nfrom bvflow.services.app import App\n"
        "from bvflow.store.database import Database\nfrom bvflow.services.reviews import "
        "list_reviews\n"
        f"app = App(Database('sqlite:///{db}'), 'bench')\ncount = [0]\n"
        "event.listen(app.db.engine, 'before_cursor_execute', lambda *a: count.__setitem__(0, "
        "count[0] + 1))\nrows = list_reviews(app)\nprint(count[0], len(rows))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    statements, rows = int(out[0]), int(out[1])
    return Row(f"review list --json: statements for {rows:,} reviews", statements,
               "queries", None, "", "constant (no N+1)", statements <= 10)


def table(rows: list[Row]) -> str:
    lines = ["| figure | value | floor | ratio | target | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        floor = f"{r.floor:.3g} {r.unit} ({r.floor_name})" if r.floor is not None else "-"
        met = "-" if r.ok is None else ("yes" if r.ok else "NO")
        lines.append(f"| {r.figure} | {r.value:.3g} {r.unit} | {floor} | {r.ratio()} | "
                     f"{r.target} | {met} |")
    return "\n".join(lines)


def machine() -> str:
    return (f"{platform.platform()}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Tiny data, for CI.")
    parser.add_argument("--out", type=Path, help="Also write the table as Markdown here.")
    args = parser.parse_args()
    reviews, events = (60, 5_000) if args.quick else (10_000, 1_000_000)
    repeat = 3 if args.quick else 7
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bvflow-bench-") as tmp:
        work = Path(tmp)
        print(f"generating {reviews:,} reviews and {events:,} audit events...", flush=True)
        db, ref = make_database(work / "big.db", reviews, events)
        rows = startup(repeat)
        rows += reads(db, ref, repeat)
        rows.append(queries_for_list(db))
        rows.extend(verify(db, events, 3 if args.quick else 1))
        rows.append(stage_changes(work, 50 if args.quick else 1000))
        rows += sweeps(work, reviews)
        # 3,000 reviews keep the run under ten minutes: each simulated day delivers the
        # reminders that fall due, and that delivery, not the tick, is what takes the time.
        rows.append(scheduler_memory(work, min(reviews, 200 if args.quick else 3_000),
                                     3 if args.quick else 30))
    report = table(rows)
    took = time.perf_counter() - started
    text = (f"# bvflow benchmarks\n\nMachine: {machine()}.\n\nData: {reviews:,} reviews, "
            f"{events:,} audit events. Median of {repeat} runs where repeated. "
            f"The run took {took:.0f} s.\n\n{report}\n")
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
