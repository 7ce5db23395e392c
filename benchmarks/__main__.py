"""bvflow's benchmark suite: ``python -m benchmarks [--quick] [--scales ...] [--out FILE]``.

Every figure is measured at least five times, interleaved with its floor where it has one
(the same work done directly, in the same kind of process: a subprocess for a subprocess
figure), and reported as the median with its spread (min-max) and the ratio of the medians.
The data sets are generated here at three scales. ``--quick`` runs every figure at the small
scale (CI runs it so that the suite cannot rot); ``--out`` writes the report as Markdown
with the machine, the date and the commit.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import floors
from benchmarks.data import make_database, quick_reviews, sweep_database

ROOT = Path(__file__).resolve().parent.parent
SCALES = {"small": (60, 5_000), "medium": (1_000, 200_000), "large": (10_000, 1_000_000)}
RUNS = 5


@dataclass(frozen=True)
class Sample:
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, unit: str) -> str:
        low, high = min(self.values), max(self.values)
        return f"{self.median:.3g} {unit} ({low:.3g}-{high:.3g})"


@dataclass(frozen=True)
class Row:
    figure: str
    value: Sample
    unit: str
    floor: Sample | None = None
    floor_name: str = ""
    target: str = "-"
    # The ratio against the floor that meets the target: at most (or, for rates, at least).
    limit: float | None = None
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor.median == 0:
            return None
        return self.value.median / self.floor.median

    @property
    def met(self) -> bool | None:
        if self.limit is None or self.ratio is None:
            return None
        return self.ratio >= self.limit if self.higher_is_better else self.ratio <= self.limit


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def paired(
    run: Callable[[], object], floor: Callable[[], object] | None, repeat: int
) -> tuple[Sample, Sample | None]:
    """Time ``run`` and ``floor`` alternately, so that the machine's load falls on both."""
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(timed(run))
        if floor is not None:
            theirs.append(timed(floor))
    return Sample(tuple(ours)), Sample(tuple(theirs)) if floor is not None else None


def command(args: Sequence[str], cwd: Path | None = None) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return run


def bvflow(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bvflow", "--db", str(db), "--actor", "bench", *args]


def ms(sample: Sample) -> Sample:
    return Sample(tuple(v * 1000 for v in sample.values))


def startup(repeat: int) -> list[Row]:
    trivial = command([sys.executable, "-c", floors.TRIVIAL_CLICK, "--help"])
    rows = []
    for flag in ("--help", "--version"):
        value, floor = paired(command([sys.executable, "-m", "bvflow", flag]), trivial, repeat)
        assert floor is not None
        rows.append(Row(f"bvflow {flag}", ms(value), "ms", ms(floor), "trivial click --help",
                        "<= 1.2x", 1.2))
    return rows


def reads(db: Path, ref: str, repeat: int) -> list[Row]:
    floor_run = command([sys.executable, "-c", "import sqlmodel"])
    rows = []
    for name, args in (("review show REF", ["review", "show", ref]),
                       ("review list --stage consult", ["review", "list", "--stage", "consult"]),
                       ("audit log --review REF", ["audit", "log", "--review", ref])):
        value, floor = paired(command(bvflow(db, *args)), floor_run, repeat)
        assert floor is not None
        rows.append(Row(name, ms(value), "ms", ms(floor), "python -c 'import sqlmodel'",
                        "<= 1.25x", 1.25))
    return rows


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
    statements, listed = int(out[0]), int(out[1])
    return Row(f"review list --json: statements for {listed:,} reviews",
               Sample((float(statements),)), "queries", target="constant (<= 10)",
               limit=None)


def verify(db: Path, events: int, repeat: int) -> list[Row]:
    """Full verify (chain and state) and --chain-only against a subprocess that reads the
    stored rows, recomputes each hash and checks each link and stored hash."""
    floor_run = command([sys.executable, "-c", floors.VERIFY, str(db)])
    full, floor = paired(command(bvflow(db, "audit", "verify")), floor_run, repeat)
    chain, floor2 = paired(command(bvflow(db, "audit", "verify", "--chain-only")), floor_run,
                           repeat)
    assert floor is not None
    assert floor2 is not None
    what = "subprocess: hash, link and stored-hash check"
    return [
        Row(f"audit verify, chain and state ({events:,} events)", full, "s", floor, what,
            "<= 3x", 3),
        Row(f"audit verify --chain-only ({events:,} events)", chain, "s", floor2, what,
            "<= 1.5x", 1.5),
    ]


def stage_changes(work: Path, base: Path, count: int, repeat: int, label: str) -> Row:
    """Durable 'review advance' per second, through the service API in one process, on
    ``count`` different reviews of the database ``base``, against the floor writing the same
    rows with sqlite3 on a copy of the same database."""
    from benchmarks.data import advance_all

    ours, theirs = [], []
    for run in range(repeat):
        db = work / f"advance-{run}.db"
        shutil.copy(base, db)
        refs = quick_reviews(db, count)
        floor_db = work / f"advance-floor-{run}.db"
        shutil.copy(db, floor_db)
        ours.append(advance_all(db, refs))
        out = subprocess.run([sys.executable, "-c", floors.STAGE_CHANGES, str(floor_db),
                              str(count)], check=True, capture_output=True, text=True)
        theirs.append(float(out.stdout))
        for path in (db, floor_db):
            path.unlink()
    return Row(f"review advance/s, {count} reviews ({label})", Sample(tuple(ours)), "/s",
               Sample(tuple(theirs)), "same rows with sqlite3, same schema", ">= 0.5x", 0.5,
               higher_is_better=True)


def long_history(work: Path, changes: int) -> Row:
    """One review advanced and returned ``changes`` times: the rate over the last tenth
    against the rate over the first tenth (flat means about 1x)."""
    from benchmarks.data import back_and_forth

    first, last = back_and_forth(work / "history.db", changes)
    return Row(f"advance/return on one review: last {changes // 10} of {changes:,} changes",
               Sample(tuple(last)), "/s", Sample(tuple(first)),
               f"the first {changes // 10} on the same review", ">= 0.9x (flat)", 0.9,
               higher_is_better=True)


def sweeps(work: Path, reviews: int, repeat: int) -> list[Row]:
    """A first sweep (queue, render, deliver to a Maildir) on a fresh copy each run, a
    repeated sweep (nothing new), and the dry run; floors on fresh copies alike."""
    work = work / f"sweeps-{reviews}"
    work.mkdir()
    base = sweep_database(work / "sweep-base.db", reviews)
    firsts, floor_firsts = [], []
    for run in range(repeat):
        db, floor_db = work / f"sweep-{run}.db", work / f"sweep-floor-{run}.db"
        shutil.copy(base, db)
        shutil.copy(base, floor_db)
        firsts.append(timed(command(bvflow(db, "sweep"), cwd=work)))
        floor_firsts.append(timed(command(
            [sys.executable, "-c", floors.SWEEP, str(floor_db), str(work / f"floor-mail-{run}")])))
    db, floor_db = work / "sweep-0.db", work / "sweep-floor-0.db"
    again, floor_again = paired(
        command(bvflow(db, "sweep"), cwd=work),
        command([sys.executable, "-c", floors.SWEEP, str(floor_db), str(work / "floor-mail-0")]),
        repeat)
    dry, _ = paired(command(bvflow(db, "sweep", "--dry-run"), cwd=work), None, repeat)
    assert floor_again is not None
    with sqlite3.connect(db) as conn:
        sent = conn.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()
    delivered = int(sent[0])
    what = "subprocess: due dates, Jinja2, MIME, Maildir, records"
    shutil.rmtree(work)
    return [
        Row(f"sweep, {reviews:,} reviews, {delivered:,} reminders (queue, render, deliver)",
            Sample(tuple(firsts)), "s", Sample(tuple(floor_firsts)), what, "<= 3x", 3),
        Row("sweep repeated (nothing new)", again, "s", floor_again, what, "<= 1.5x", 1.5),
        Row("sweep --dry-run", dry, "s"),
    ]


def scheduler_memory(work: Path, reviews: int, seconds: int) -> Row:
    """Current RSS of a real 'scheduler run --every 1s' (from /proc), after its first
    sweeps against its last, ``seconds`` later."""
    db = sweep_database(work / "memory.db", reviews)
    proc = subprocess.Popen(bvflow(db, "scheduler", "run", "--every", "1s"), cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[float] = []
    try:
        for _ in range(seconds * 2):
            time.sleep(0.5)
            samples.append(_rss_mib(proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    settled = samples[len(samples) // 5:]  # after the first sweeps have delivered the queue
    early, late = settled[: max(len(settled) // 5, 1)], settled[-max(len(settled) // 5, 1):]
    return Row(f"scheduler run: current RSS over {seconds} s of 1 s sweeps", Sample(tuple(late)),
               "MiB", Sample(tuple(early)), "its RSS after the first sweeps", "<= 1.1x", 1.1)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def postgres(url: str, work: Path, quick: bool) -> list[Row]:
    from benchmarks.postgres import concurrent_advances, concurrent_delivery

    each, messages = (5, 20) if quick else (25, 300)
    advances = Sample(tuple(concurrent_advances(url, work, 8, each) for _ in range(RUNS)))
    delivered = Sample(tuple(concurrent_delivery(url, work, 4, messages) for _ in range(RUNS)))
    return [
        Row(f"review advance/s, 8 coordinators at once, {each} reviews each", advances, "/s"),
        Row(f"messages delivered/s, 4 sweeps at once on {messages} queued (SKIP LOCKED), "
            "process start-up included", delivered, "/s"),
    ]


def table(rows: list[Row]) -> str:
    lines = ["| figure | median (min-max) | floor, median (min-max) | ratio | target | met |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        floor = f"{r.floor.text(r.unit)}: {r.floor_name}" if r.floor is not None else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        lines.append(f"| {r.figure} | {r.value.text(r.unit)} | {floor} | {ratio} | {r.target} "
                     f"| {met} |")
    return "\n".join(lines)


def machine() -> str:
    return (f"{platform.platform()}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}")


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    return found.stdout.strip() or "unknown"


def at_scale(work: Path, name: str, quick: bool) -> list[Row]:
    reviews, events = SCALES[name]
    print(f"{name}: generating {reviews:,} reviews and {events:,} audit events...", flush=True)
    db, ref = make_database(work / f"{name}.db", reviews, events)
    rows = reads(db, ref, RUNS)
    rows.append(queries_for_list(db))
    rows.extend(verify(db, events, RUNS))
    rows.append(stage_changes(work, db, 20 if quick else 200, RUNS, f"{events:,} events"))
    rows.extend(sweeps(work, reviews, RUNS))
    db.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="The small scale only, for CI.")
    parser.add_argument("--scales", default="small,medium,large",
                        help="Comma-separated: small (60 reviews, 5,000 events), medium "
                             "(1,000 / 200,000), large (10,000 / 1,000,000).")
    parser.add_argument("--out", type=Path, help="Also write the report as Markdown here.")
    parser.add_argument("--postgres", metavar="URL",
                        help="Also measure on this PostgreSQL database (in a schema of its "
                             "own, dropped after), e.g. postgresql+psycopg://postgres@"
                             "127.0.0.1:5432/test.")
    args = parser.parse_args()
    scales = ["small"] if args.quick else [s.strip() for s in args.scales.split(",")]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        parser.error(f"unknown scale(s): {', '.join(unknown)}")
    started = time.perf_counter()
    # Bytecode is cached before anything is timed, as it is for an installed package: with
    # PYTHONDONTWRITEBYTECODE=1 (set on some machines) every bvflow start-up would compile
    # bvflow's modules while the floor's libraries have theirs, so it is unset for the run
    # and the modules are compiled first. The report says what the caller had.
    caller_bytecode = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "bvflow"),
                    str(ROOT / "benchmarks")], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "bvflow", "--help"], check=True,
                   stdout=subprocess.DEVNULL)
    sections: list[tuple[str, list[Row]]] = []
    with tempfile.TemporaryDirectory(prefix="bvflow-bench-") as tmp:
        work = Path(tmp)
        general = startup(RUNS)
        general.append(long_history(work, 100 if args.quick else 1_000))
        general.append(scheduler_memory(work, 200, 6 if args.quick else 30))
        sections.append(("Start-up, history and memory", general))
        for name in scales:
            reviews, events = SCALES[name]
            sections.append((f"{name.capitalize()}: {reviews:,} reviews, {events:,} events",
                             at_scale(work, name, args.quick)))
        if args.postgres:
            sections.append(("PostgreSQL", postgres(args.postgres, work, args.quick)))
    took = time.perf_counter() - started
    bytecode = (f"was {caller_bytecode} in the calling environment; unset for the run, with "
                "bvflow's bytecode compiled first" if caller_bytecode else "unset (bytecode "
                "cached)")
    body = "\n\n".join(f"## {title}\n\n{table(rows)}" for title, rows in sections)
    text = (f"# bvflow benchmarks\n\n"
            f"- Machine: {machine()}.\n"
            f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, "
            f"`python -m benchmarks{' --quick' if args.quick else ''}`, "
            f"PYTHONDONTWRITEBYTECODE {bytecode}; the run took {took:.0f} s.\n"
            f"- Each figure: the median of {RUNS} runs with the spread (min-max), interleaved "
            "with its floor; the ratio is of the medians.\n\n"
            f"{body}\n\n{READING}")
    print(text)
    if args.out:
        args.out.write_text(text)


READING = """## Reading these figures

- Regenerate with `python -m benchmarks --out benchmarks/RESULTS.md`; `python -m benchmarks
  --quick` runs every figure at the small scale and is part of `.ci/run`.
- A floor does the same work as the figure in the same kind of process: start-up and reads
  against a subprocess that only starts Python and imports click or SQLModel; verify
  against a subprocess that re-hashes every stored record and checks every link and stored
  hash; stage changes against sqlite3 writing the same rows (review, stage entries, audit
  event with its JSON record and hash, head, outbox row) in one transaction on a copy of the
  same bvflow database, with its indexes and triggers; sweeps against a subprocess that
  counts each review's working days, renders text and HTML with Jinja2, builds the MIME
  message with the standard library, delivers it to a Maildir and records it, 25 at a time.
- Stage changes are timed in one process through the service API (start-up excluded on
  both sides); every other figure is a whole command.
- PostgreSQL (with `--postgres URL`): 8 coordinator processes advancing reviews of their
  own at once, started together once connected; and 4 `bvflow sweep` processes started
  together on one queue, each claiming with `FOR UPDATE SKIP LOCKED`, checked afterwards to
  have sent and recorded every message exactly once.
- The machine may be shared with other work: the spread shows how much a figure moved, and
  each figure is interleaved with its floor so that load falls on both.
"""


if __name__ == "__main__":
    main()
