"""bvflow scheduler run as a real process: it ticks, stops cleanly on SIGTERM, and is alone."""

from __future__ import annotations

import mailbox
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, events

from bvflow.scheduler import parse_interval


def start(db: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bvflow", "--db", str(db), "scheduler", "run",
                             "--every", "1s", *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def started(proc: subprocess.Popen[str], seconds: float = 60) -> None:
    """Wait until the scheduler has said on stderr that it started."""
    assert proc.stderr is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
        line = proc.stderr.readline() if ready else ""
        if "scheduler started" in line:
            return
        assert line or not ready, "the scheduler stopped before it started"
    raise AssertionError("the scheduler did not start")


def wait_for(predicate: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


@pytest.mark.slow
def test_scheduler_ticks_and_stops_on_sigterm(cli: Cli) -> None:
    # Real time throughout: the scheduler is a separate process on the system clock.
    initialised = cli
    cli.ok("init", "--authority", "Exampleshire County Council", "--nation", "england")
    cli.ok("review", "create", "Refuse collection", "--service", "Waste", "--coordinator",
           "jo@exampleshire.gov.uk")
    proc = start(initialised.db)
    try:
        maildir = initialised.db.parent / "mail"
        wait_for(lambda: maildir.is_dir() and len(mailbox.Maildir(maildir).keys()) == 1)
        second = start(initialised.db)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert err.strip().startswith("Error: another 'bvflow scheduler run' ")
        assert "already running" in err
        assert "Traceback" not in err
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "received SIGTERM; stopping after the current sweep" in err
    assert "scheduler stopped" in err
    assert [e[2] for e in events(initialised.db)].count("notification.sent") == 1
    # The lock died with the process: a new scheduler may start.
    again = start(initialised.db)
    started(again)  # its signal handlers are in place: no fixed sleep that a busy host outruns
    again.send_signal(signal.SIGINT)
    again.communicate(timeout=60)
    assert again.returncode == 0


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600),
                                               ("90", 90)], ids=["s", "m", "h", "bare"])
def test_intervals(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


def test_bad_interval_is_one_line(initialised: Cli) -> None:
    result = initialised("scheduler", "run", "--every", "soon")
    assert result.exit_code == 1
    assert result.stderr == "Error: --every 'soon' is not an interval like 30s, 5m or 1h\n"
