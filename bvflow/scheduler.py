"""``bvflow scheduler run``: APScheduler ticks the sweep; bvflow's own tables are the schedule.

APScheduler 3.x runs in memory with one interval job (coalesce, one instance at a time, a
generous misfire grace), so a restart loses nothing and cron running ``bvflow sweep`` is an
equal alternative. SIGTERM or Ctrl-C stops it after any sweep in progress has finished.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bvflow.errors import BVFlowError, InputError
from bvflow.services.app import App
from bvflow.services.delivery import sweep
from bvflow.store.locks import scheduler_lock

log = logging.getLogger("bvflow.scheduler")
INTERVAL = re.compile(r"^(\d+)\s*([smh]?)$")
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_interval(value: str) -> int:
    """'30s', '5m', '1h' or plain seconds."""
    match = INTERVAL.match(value.strip().lower())
    if match is None:
        raise InputError(f"--every {value!r} is not an interval like 30s, 5m or 1h")
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if not 1 <= seconds <= 86_400:
        raise InputError("--every must be between 1 second and 24 hours")
    return seconds


def tick(app: App) -> None:
    """One sweep; errors are logged and the next tick tries again."""
    try:
        report = sweep(app)
    except BVFlowError as exc:
        log.error("sweep failed: %s", exc.message)
        return
    log.info(
        "sweep: queued %d, sent %d, retrying %d, failed %d",
        report.queued,
        report.sent,
        report.retrying,
        report.failed,
    )


def run(app: App, every: int) -> None:
    """Run until SIGTERM or SIGINT; refuses to start beside another scheduler."""
    with scheduler_lock(app.db):
        stop = threading.Event()

        def request_stop(signum: int, _frame: Any) -> None:
            # Once: `timeout` and a service manager may signal both the process and its
            # group, so the same stop can arrive twice.
            if not stop.is_set():
                log.info("received %s; stopping after the current sweep",
                         signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(60, every),
            },
        )
        scheduler.add_job(
            tick, "interval", args=[app], seconds=every, id="sweep", next_run_time=datetime.now(UTC)
        )
        scheduler.start()
        log.info("scheduler started: sweeping %s every %d s", app.db.describe(), every)
        while not stop.wait(0.5):
            pass
        scheduler.shutdown(wait=True)
        log.info("scheduler stopped")
